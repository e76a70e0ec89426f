package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.TestData;
import io.gapnet.cli.CliRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
        assertEquals("image,rank,index,label,probability", lines[0]);
        assertEquals(4, lines.length, r.out());
        assertTrue(lines[1].contains("digit0.png,1,8,8,"), lines[1]);
        assertTrue(r.err().contains("broken.png"), r.err());
        assertFalse(r.err().contains("ETA"), "no progress bar outside a terminal: " + r.err());
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
        assertEquals(64, ImageIO.read(png.toFile()).getWidth());
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
