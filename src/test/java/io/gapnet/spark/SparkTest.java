package io.gapnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.cli.CliRunner;
import io.gapnet.image.Preprocessing;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark transformers on a real local[2] session, one for the whole class, checked against the CLI. */
class SparkTest {
    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path images;
    static final String[] PRE = {"--resize", "40", "--crop", "32"};
    static final Preprocessing PREPROCESSING = Preprocessing.imagenet().toBuilder().resizeShorter(40).centerCrop(32).build();

    @BeforeAll
    static void start() throws Exception {
        images = Files.createDirectories(dir.resolve("images"));
        Files.createDirectories(images.resolve("sub"));
        for (int i = 0; i < 7; i++) {
            BufferedImage img = new BufferedImage(40 + 7 * i, 36 + 5 * i, BufferedImage.TYPE_INT_RGB);
            java.util.Random r = new java.util.Random(i);
            for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) img.setRGB(x, y, r.nextInt());
            ImageIO.write(img, i % 2 == 0 ? "png" : "jpg", images.resolve((i == 6 ? "sub/" : "") + "img" + i + (i % 2 == 0 ? ".png" : ".jpg")).toFile());
        }
        Files.write(images.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.writeString(images.resolve("notes.txt"), "not an image, and not read");
        spark = SparkSession.builder().master("local[2]").appName("gapnet tests").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
    }

    /** path -> the CLI's JSON line for it. */
    static Map<String, String> cli(String command, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(command, "--model", "resnet18", "--format", "jsonl", "-q"));
        if (command.equals("classify")) args.addAll(List.of("--top", "3"));
        args.addAll(List.of(PRE));
        args.addAll(List.of(extra));
        args.add(images.toString());
        CliRunner.Result r = CliRunner.run(args.toArray(String[]::new));
        Map<String, String> byPath = new HashMap<>();
        for (String line : r.out().lines().toList()) {
            Matcher m = Pattern.compile("^\\{\"image\":\"([^\"]+)\"").matcher(line);
            assertTrue(m.find(), line);
            byPath.put(Path.of(m.group(1)).toAbsolutePath().normalize().toString(), line);
        }
        return byPath;
    }

    static String local(Row r) {
        return Path.of(java.net.URI.create(r.<String>getAs("path"))).toString();
    }

    static float[] floats(String jsonArray) {
        String[] parts = jsonArray.split(",");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) v[i] = Float.parseFloat(parts[i]);
        return v;
    }

    @Test
    void classifiesLikeTheCliWithAnErrorRowForTheBrokenFile() {
        Map<String, String> want = cli("classify");
        GapnetClassifier c = new GapnetClassifier().setTopK(3);
        c.setModel("resnet18").setBatchSize(3).setPreprocessing(PREPROCESSING);
        List<Row> rows = c.transform(SparkJobs.read(spark, List.of(images.toString())).repartition(2)).collectAsList();
        assertEquals(8, rows.size(), "7 images and the broken file; notes.txt is not an image");
        int failed = 0;
        for (Row r : rows) {
            String line = want.get(local(r));
            assertNotNull(line, local(r) + " is not in the CLI's output " + want.keySet());
            if (r.getAs("error") != null) {
                failed++;
                assertNull(r.getAs("label"));
                assertTrue(line.contains("\"error\":"), line);
                continue;
            }
            List<String> labels = r.getList(r.fieldIndex("top_labels"));
            List<Float> probs = r.getList(r.fieldIndex("top_probabilities"));
            Matcher m = Pattern.compile("\\{\"index\":(\\d+),\"label\":\"([^\"]*)\",\"probability\":([^}]+)}").matcher(line);
            for (int k = 0; k < 3; k++) {
                assertTrue(m.find(), line);
                assertEquals(m.group(2), labels.get(k), local(r) + " rank " + k);
                assertEquals(Float.parseFloat(m.group(3)), probs.get(k), 1e-5, local(r) + " rank " + k);
            }
            assertEquals(labels.get(0), r.getAs("label"));
        }
        assertEquals(1, failed);
        assertEquals(8, c.lastMetrics().images().value());
        assertEquals(1, c.lastMetrics().failures().value());
        assertTrue(c.lastMetrics().inferenceSeconds().value() > 0);
    }

    @Test
    void embedsLikeTheCli() {
        Map<String, String> want = cli("embed");
        GapnetEmbedder e = new GapnetEmbedder();
        e.setModel("resnet18").setPreprocessing(PREPROCESSING);
        List<Row> rows = e.transform(SparkJobs.read(spark, List.of(images.toString()))).collectAsList();
        int checked = 0;
        for (Row r : rows) {
            if (r.getAs("error") != null) continue;
            Matcher m = Pattern.compile("\"embedding\":\\[([^\\]]+)]").matcher(want.get(local(r)));
            assertTrue(m.find());
            float[] cliVector = floats(m.group(1));
            List<Float> sparkVector = r.getList(r.fieldIndex("embedding"));
            assertEquals(512, sparkVector.size());
            for (int k = 0; k < 512; k++) assertEquals(cliVector[k], sparkVector.get(k), 1e-5, local(r) + " value " + k);
            checked++;
        }
        assertEquals(7, checked);
    }

    @Test
    void theLauncherWritesJsonAndParquetAndSharesOneSessionPerExecutor() throws Exception {
        int before = ExecutorSessions.OPENED.get();
        Path json = dir.resolve("out-json"), parquet = dir.resolve("out-parquet");
        SparkJobs.Summary s = SparkJobs.run(new SparkJobs.Job(false, null, "resnet18", null, null, "cpu", 4, 2, PREPROCESSING, "json",
                json.toString(), List.of(images.toString())));
        assertEquals(8, s.images());
        assertEquals(1, s.failures());
        List<Row> rows = spark.read().json(json.toString()).collectAsList();
        assertEquals(8, rows.size());
        for (Row r : rows) {
            assertTrue(r.getAs("path") != null);
            assertTrue(r.getAs("error") != null || (r.getAs("label") != null && r.getAs("probability") != null), r.toString());
        }
        SparkJobs.run(new SparkJobs.Job(true, null, "resnet18", null, null, "cpu", 4, 2, PREPROCESSING, "parquet", parquet.toString(),
                List.of(images.toString())));
        Dataset<Row> back = spark.read().parquet(parquet.toString());
        assertEquals(8, back.count());
        assertEquals(7, back.filter("error is null").count());
        // this suite's transforms all ran in this JVM (local mode): one Session for resnet18 on cpu, whoever opened it
        assertTrue(ExecutorSessions.OPENED.get() - before <= 1, "sessions opened: " + (ExecutorSessions.OPENED.get() - before));
        io.gapnet.GapnetException exists = org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.GapnetException.class,
                () -> SparkJobs.run(new SparkJobs.Job(false, null, "resnet18", null, null, "cpu", 4, 2, PREPROCESSING, "json",
                        json.toString(), List.of(images.toString()))));
        assertTrue(exists.getMessage().contains("exists already"), exists.getMessage());
    }

    @Test
    void aRealTrainedModelGivesTheCliAnswers() throws Exception {
        Path mnist = io.gapnet.TestData.require("models/mnist-8/model.onnx");
        Path digit = io.gapnet.TestData.require("images/mnist_digit8.png");
        GapnetClassifier c = new GapnetClassifier().setTopK(2);
        c.setModel(mnist.toString()).setPreset("mnist");
        Row r = c.transform(SparkJobs.read(spark, List.of(digit.toString()))).collectAsList().get(0);
        CliRunner.Result cli = CliRunner.run("classify", "--model", mnist.toString(), "--preset", "mnist", "--top", "2", "--format",
                "csv", digit.toString());
        // the handwritten 8 is an 8 in both, with the same probability
        assertEquals("8", r.getAs("label"));
        Matcher m = Pattern.compile(",1,8,8,([0-9.E-]+),").matcher(cli.out());
        assertTrue(m.find(), cli.out());
        assertEquals(Float.parseFloat(m.group(1)), (float) r.getAs("probability"), 1e-6);
    }

    @Test
    void sparksImageSourceAndSparkFilesWorkToo() throws Exception {
        Path mnist = io.gapnet.TestData.require("models/mnist-8/model.onnx");
        Path digit = io.gapnet.TestData.require("images/mnist_digit8.png");
        Path shipped = Files.copy(mnist, dir.resolve("digits.onnx"));
        spark.sparkContext().addFile(shipped.toString());
        Dataset<Row> decoded = spark.read().format("image").load(digit.toString());
        GapnetClassifier c = new GapnetClassifier().setTopK(1);
        c.setModel("digits.onnx").setPreset("mnist").setInputCol("image");
        Row r = c.transform(decoded).collectAsList().get(0);
        assertNull(r.getAs("error"));
        assertEquals("8", r.getAs("label"), "Spark decoded the PNG, gapnet classified its pixels with the shipped model");
    }

    @Test
    void aGpuAssignedBySparkPicksTheDevice() {
        assertEquals("cpu", PartitionJob.backendFor("auto", null));
        assertEquals("cuda", PartitionJob.backendFor("cuda", null));
        assertEquals("cpu", PartitionJob.backendFor("cpu", null));
    }
}
