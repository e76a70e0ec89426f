package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.TestData;
import io.gapnet.cli.CliRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify, embed, explain and bench --profile as a user runs them. */
class ServicesCliTest {
    static CliRunner.Result cli(String... args) {
        return CliRunner.run(args);
    }

    static final String[] MNIST = {"--grayscale", "--pixel-range", "255", "--mean", "0", "--std", "1", "--resize", "28", "--crop", "28"};

    static String[] args(String... head) {
        String[] all = new String[head.length + MNIST.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(MNIST, 0, all, head.length, MNIST.length);
        return all;
    }

    @Test
    void classifyDirectoryAsCsvWithoutAProgressBarWhenNotATerminal(@TempDir Path dir) throws Exception {
        Path model = TestData.require("models/mnist-8/model.onnx");
        Path eight = TestData.require("images/mnist_digit8.png");
        for (int i = 0; i < 3; i++) Files.copy(eight, dir.resolve("digit" + i + ".png"));
        Files.writeString(dir.resolve("broken.png"), "not a png");
        String[] a = args("classify", "--model", model.toString(), "--format", "csv", "--top", "1");
        String[] full = java.util.Arrays.copyOf(a, a.length + 1);
        full[a.length] = dir.toString();
        CliRunner.Result r = cli(full);
        assertEquals(1, r.code(), "one image is broken");
        String[] lines = r.out().strip().split("\n");
        assertEquals("image,rank,index,label,probability,error", lines[0]);
        assertEquals(5, lines.length, r.out());
        assertTrue(lines[1].endsWith("broken.png,,,,,cannot decode image " + dir.resolve("broken.png") + ": not a PNG or JPEG image"),
                "the broken image is an error row, in order: " + lines[1]);
        assertTrue(lines[2].contains("digit0.png,1,8,8,") && lines[2].endsWith(","), lines[2]);
        assertTrue(r.err().contains("broken.png"), r.err());
        assertTrue(r.err().contains("1 of 4 failed"), r.err());
        assertFalse(r.err().contains("ETA"), "no progress bar outside a terminal: " + r.err());
    }

    @Test
    void oneBadItemNeverStopsTheRun(@TempDir Path dir) throws Exception {
        Path model = TestData.require("models/mnist-8/model.onnx");
        Path eight = TestData.require("images/mnist_digit8.png");
        Path sub = Files.createDirectories(dir.resolve("a/b"));
        Files.copy(eight, sub.resolve("ok.png"));
        byte[] png = Files.readAllBytes(eight);
        Files.write(dir.resolve("a/truncated.png"), java.util.Arrays.copyOf(png, png.length / 2));
        Files.write(dir.resolve("a/empty.jpg"), new byte[0]);
        Files.copy(eight, dir.resolve("z.png"));
        String[] a = args("classify", "--model", model.toString(), "--format", "jsonl", "--top", "1");
        String[] full = java.util.Arrays.copyOf(a, a.length + 2);
        full[a.length] = dir.toString();
        full[a.length + 1] = dir.resolve("missing.png").toString();
        CliRunner.Result r = cli(full);
        assertEquals(1, r.code(), "some items failed: " + r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(5, lines.size(), r.out());
        assertEquals(2, lines.stream().filter(l -> l.contains("\"index\":8")).count(), "both good images classified: " + r.out());
        for (String bad : List.of("missing.png", "truncated.png", "empty.jpg")) {
            assertTrue(lines.stream().anyMatch(l -> l.contains(bad) && l.contains("\"error\":")), bad + " has an error row: " + r.out());
            assertTrue(r.err().contains(bad), r.err());
        }
        assertTrue(r.out().contains("no such file or folder"), r.out());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        // embed reports the same items the same way
        CliRunner.Result e = cli("embed", "--model", "resnet18", "--resize", "40", "--crop", "32", dir.toString(),
                dir.resolve("missing.png").toString());
        assertEquals(1, e.code(), e.err());
        assertEquals(2, e.out().lines().filter(l -> l.contains("\"embedding\":")).count(), e.out());
        assertEquals(3, e.out().lines().filter(l -> l.contains("\"error\":")).count(), e.out());
    }

    @Test
    void anUnreadableFolderIsAnErrorRowOfItsOwn(@TempDir Path dir) throws Exception {
        Path model = TestData.require("models/mnist-8/model.onnx");
        Path eight = TestData.require("images/mnist_digit8.png");
        Files.copy(eight, dir.resolve("ok.png"));
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.copy(eight, locked.resolve("hidden.png"));
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(locked),
                    "SKIPPED: this process reads a folder without permissions (it runs as root)");
            String[] a = args("classify", "--model", model.toString(), "--format", "jsonl");
            String[] full = java.util.Arrays.copyOf(a, a.length + 1);
            full[a.length] = dir.toString();
            CliRunner.Result r = cli(full);
            assertEquals(1, r.code(), r.err());
            assertTrue(r.out().contains("\"error\":\"cannot read: permission denied\""), r.out());
            assertTrue(r.out().contains("ok.png") && r.out().contains("\"index\":8"), r.out());
        } finally {
            Files.setPosixFilePermissions(locked, java.util.Set.of(java.nio.file.attribute.PosixFilePermission.values()));
        }
    }

    @Test
    void multiLabelListsEveryClassAboveTheThreshold() {
        Path model = TestData.require("models/mnist-8/model.onnx");
        Path eight = TestData.require("images/mnist_digit8.png");
        CliRunner.Result r = cli(args("classify", "--model", model.toString(), "--multi-label", "--threshold", "0.999", "--format", "jsonl",
                eight.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"labels\":[") && r.out().contains("\"index\":8"), r.out());
    }

    @Test
    void embedWritesJsonLinesAndNpy(@TempDir Path dir) throws Exception {
        Path eight = TestData.require("images/mnist_digit8.png");
        CliRunner.Result j = cli("embed", "--model", "resnet18", "--resize", "40", "--crop", "32", eight.toString());
        assertEquals(0, j.code(), j.err());
        assertTrue(j.out().startsWith("{\"image\":"), j.out());
        assertEquals(512, j.out().substring(j.out().indexOf('[')).split(",").length);
        Path npy = dir.resolve("e.npy");
        CliRunner.Result n = cli("embed", "--model", "resnet18", "--resize", "40", "--crop", "32", "--format", "npy", "-o", npy.toString(),
                eight.toString(), eight.toString());
        assertEquals(0, n.code(), n.err());
        byte[] b = Files.readAllBytes(npy);
        String header = new String(b, 10, 118, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (2,512)") || header.contains("'shape': (2, 512)"), header);
        assertEquals(128 + 2 * 512 * 4, b.length);
    }

    @Test
    void explainWritesAHeatmapPng(@TempDir Path dir) throws Exception {
        Path eight = TestData.require("images/mnist_digit8.png");
        Path png = dir.resolve("cam.png");
        CliRunner.Result r = cli("explain", "--model", "resnet18", "--resize", "64", "--crop", "64", "--class", "3", "-o", png.toString(),
                eight.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("class 3"), r.out());
        // the whole 28x28 image drawn at 224x224, a 60-pixel colour bar beside it and a 22-pixel caption below
        java.awt.image.BufferedImage out = ImageIO.read(png.toFile());
        assertEquals(224 + 60, out.getWidth());
        assertEquals(224 + 22, out.getHeight());
    }

    @Test
    void benchProfilePrintsAPerLayerTable() {
        CliRunner.Result r = cli("bench", "--size", "32,32", "--iters", "1", "--profile");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("per-layer profile on cpu"), r.out());
        assertTrue(r.out().contains("GFLOP/s"), r.out());
        assertTrue(r.out().contains("Conv+RELU"), r.out());
    }
}
