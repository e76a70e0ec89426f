package io.gapnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.TestData;
import io.gapnet.models.ModelCache;
import io.gapnet.models.ModelZoo;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a new user meets it: one clear line per mistake, help with examples, zoo models, signals. */
class AdoptionCliTest {
    static Path png(Path dir, String name) throws Exception {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, x * 5 << 8 | y * 7);
        Path p = dir.resolve(name);
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void mistakesGetOneClearLine(@TempDir Path dir) throws Exception {
        Path img = png(dir, "a.png");
        CliRunner.Result top0 = CliRunner.run("classify", "--top", "0", img.toString());
        assertEquals(Main.USER_ERROR, top0.code());
        assertEquals(1, gapnetLines(top0.err()), top0.err());
        assertTrue(top0.err().contains("--top must be at least 1, not 0"), top0.err());
        Files.createDirectories(dir.resolve("empty"));
        CliRunner.Result empty = CliRunner.run("classify", dir.resolve("empty").toString());
        assertEquals(Main.USER_ERROR, empty.code());
        assertTrue(empty.err().contains("gapnet: no PNG or JPEG images in"), empty.err());
        assertEquals(1, gapnetLines(empty.err()), empty.err());
        CliRunner.Result missing = CliRunner.run("classify", dir.resolve("nope.jpg").toString());
        assertEquals(Main.USER_ERROR, missing.code(), missing.err());
        assertTrue(missing.err().contains("no such file"), missing.err());
        assertEquals(1, gapnetLines(missing.err()), missing.err());
        // a model that ends in Softmax has competing classes: --multi-label is refused with the reason
        Path softmax = dir.resolve("softmax.onnx");
        io.gapnet.onnx.OnnxWriter.writeModel(withSoftmax(), softmax);
        CliRunner.Result multi = CliRunner.run("classify", "--model", softmax.toString(), "--multi-label", "--resize", "8",
                "--crop", "8", img.toString());
        assertEquals(Main.USER_ERROR, multi.code(), multi.err());
        assertTrue(multi.err().contains("ends in Softmax"), multi.err());
        CliRunner.Result labels = CliRunner.run("classify", "--model", softmax.toString(), "--labels", write(dir, "l.txt", "a\nb\n"),
                "--resize", "8", "--crop", "8", img.toString());
        assertEquals(Main.USER_ERROR, labels.code(), labels.err());
        assertTrue(labels.err().contains("names 2 classes but the model has 3 outputs"), labels.err());
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliRunner.Result port = CliRunner.run("serve", "--model", softmax.toString(), "--port",
                    Integer.toString(taken.getLocalPort()));
            assertEquals(Main.USER_ERROR, port.code(), port.err());
            assertTrue(port.err().contains("cannot listen") && port.err().contains("--port"), port.err());
            assertEquals(1, gapnetLines(port.err()), port.err());
            assertFalse(port.err().contains("\tat "), port.err());
        }
    }

    /** gapnet's own lines on standard error (a fuzzing agent in the same JVM may add its own). */
    static long gapnetLines(String err) {
        return err.lines().filter(l -> l.startsWith("gapnet:")).count();
    }

    static String write(Path dir, String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p.toString();
    }

    /** 3 channels -> GAP -> linear to 3 classes -> Softmax. */
    static io.gapnet.model.Graph withSoftmax() {
        var nodes = List.of(
                new io.gapnet.model.Node("gap", "GlobalAveragePool", List.of("x"), List.of("g"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("flat", "Flatten", List.of("g"), List.of("f"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("fc", "Gemm", List.of("f", "w"), List.of("l"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("sm", "Softmax", List.of("l"), List.of("y"), io.gapnet.model.Attributes.none()));
        return new io.gapnet.model.Graph("softmax-head", nodes, java.util.Map.of("w", io.gapnet.tensor.Tensor.of(
                new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3)),
                List.of(new io.gapnet.model.ValueInfo("x", io.gapnet.tensor.DType.FLOAT32, new long[] {-1, 3, -1, -1}, null)),
                List.of(new io.gapnet.model.ValueInfo("y", io.gapnet.tensor.DType.FLOAT32, null, null)), 13);
    }

    @Test
    void everyCommandsHelpHasSentencesDefaultsAndAnExample() {
        for (String cmd : List.of("classify", "embed", "explain", "serve", "models", "spark")) {
            CliRunner.Result r = CliRunner.run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Examples:\n  gapnet " + cmd), cmd + " --help has no example:\n" + r.out());
        }
        String help = CliRunner.run("classify", "--help").out();
        String flat = help.replaceAll("\\s+", " "); // picocli wraps long descriptions
        assertTrue(flat.contains("(default: 5).") && flat.contains("(default: table).") && flat.contains("(default: 256)."), help);
        // option descriptions are sentences: a capital letter first, a full stop last
        Matcher m = Pattern.compile("(?m)^\\s+(?:-\\w, )?--[\\w-]+(?:=\\S+)?\\s{2,}(\\S.*)$").matcher(help);
        int seen = 0;
        while (m.find()) {
            seen++;
            assertTrue(Character.isUpperCase(m.group(1).charAt(0)), "not a sentence: " + m.group(0));
        }
        assertTrue(seen > 10, help);
    }

    @Test
    void builtInModelsSayTheirAnswersMeanNothing(@TempDir Path dir) throws Exception {
        CliRunner.Result r = CliRunner.run("classify", "--model", "resnet18", "--resize", "32", "--crop", "32", "-q",
                png(dir, "x.png").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("random weights")).count(), r.err());
    }

    @Test
    void zooModelsNeedNoOtherFlagAndListInModels(@TempDir Path dir) throws Exception {
        Path mnist = TestData.require("models/mnist-8/model.onnx");
        Path digit = TestData.require("images/mnist_digit8.png");
        String old = System.getProperty("gapnet.cache");
        System.setProperty("gapnet.cache", dir.resolve("cache").toString());
        try {
            assertTrue(CliRunner.run("models").out().contains("empty"));
            CliRunner.Result add = CliRunner.run("models", "--add", "zoo:mnist-8", mnist.toString());
            assertEquals(0, add.code(), add.err());
            CliRunner.Result listed = CliRunner.run("models");
            assertTrue(listed.out().contains(ModelZoo.find("mnist-8").orElseThrow().url()), listed.out());
            assertTrue(listed.out().matches("(?s).*mnist-8 +0\\.0 MB +cached.*"), listed.out());
            // the zoo entry brings its preprocessing (grey, 28x28, raw 0..255) and labels 0-9: the digit is an 8
            CliRunner.Result r = CliRunner.run("classify", "--model", "zoo:mnist-8", "--top", "1", "--format", "csv",
                    digit.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("," + 1 + ",8,8,"), r.out());
            assertFalse(r.err().contains("random weights"), r.err());
        } finally {
            if (old == null) System.clearProperty("gapnet.cache");
            else System.setProperty("gapnet.cache", old);
        }
    }

    @Test
    void explainWritesIntoTheCurrentFolderAndSaysWhatTheScoreIs(@TempDir Path dir) throws Exception {
        Path inputs = Files.createDirectories(dir.resolve("inputs"));
        Path img = png(inputs, "cat.png");
        Path work = Files.createDirectories(dir.resolve("work"));
        ChildJvm.Result r = ChildJvm.run(work, List.of("--add-modules", "jdk.incubator.vector"), "explain", "--model", "resnet18",
                "--resize", "64", "--crop", "64", img.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(work.resolve("cat.png.cam.png")), "written into the current folder");
        assertFalse(Files.exists(inputs.resolve("cat.png.cam.png")), "never into the input's folder");
        assertTrue(r.out().contains(", logit ") && r.out().contains("(softmax probability 0."), r.out());
    }

    @Test
    void withoutTheVectorModuleTheScalarFallbackIsLoggedOnceWithTheFix(@TempDir Path dir) throws Exception {
        ChildJvm.Result r = ChildJvm.run(dir, List.of(), "bench", "--model", "resnet18", "--size", "32,32", "--iters", "1",
                "--backend", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("start Java with --add-modules jdk.incubator.vector")).count(), r.err());
        ChildJvm.Result with = ChildJvm.run(dir, List.of("--add-modules", "jdk.incubator.vector"), "devices");
        assertFalse(with.err().contains("is not loaded"), with.err());
    }

    @Test
    void sigtermLetsTheRequestInFlightFinishThenCloses(@TempDir Path dir) throws Exception {
        Path img = png(dir, "a.png");
        // a 3-second batch delay holds the request in the server when the signal comes
        Process p = ChildJvm.builder(dir, List.of("--add-modules", "jdk.incubator.vector"), "serve", "--model", "resnet18", "--port",
                "0", "--resize", "32", "--crop", "32", "--max-batch", "4", "--max-delay-ms", "3000").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line, url = null;
            StringBuilder seen = new StringBuilder();
            while (url == null && (line = out.readLine()) != null) {
                seen.append(line).append('\n');
                Matcher m = Pattern.compile("at (http://\\S+)").matcher(line);
                if (m.find()) url = m.group(1);
            }
            assertTrue(url != null, "the server never said where it listens:\n" + seen);
            HttpClient client = HttpClient.newHttpClient();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(URI.create(url + "/classify"))
                    .POST(HttpRequest.BodyPublishers.ofFile(img)).build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(1000);
            // SIGTERM, as a container runtime or systemd sends it (Process.destroy would also close our end of the pipes)
            assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor());
            HttpResponse<String> r = inFlight.get();
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("{\"top\":["), r.body());
            StringBuilder rest = new StringBuilder();
            while ((line = out.readLine()) != null) rest.append(line).append('\n');
            assertEquals(143, p.waitFor(), rest.toString());
            assertTrue(rest.toString().contains("gapnet: stopping") && rest.toString().contains("gapnet: stopped"), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }
}
