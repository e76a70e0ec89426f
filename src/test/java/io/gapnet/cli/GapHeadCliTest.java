package io.gapnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GapHeadCliTest {
    static Path png(Path dir) throws Exception {
        BufferedImage img = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 60; y++) for (int x = 0; x < 80; x++) img.setRGB(x, y, (x * 3) << 16 | (y * 4) << 8 | (x + y));
        Path p = dir.resolve("img.png");
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void fiveChannelsTheRestAndTheBiasAddUpToTheLogit(@TempDir Path dir) throws Exception {
        Path img = png(dir), sheet = dir.resolve("sheet.png");
        CliRunner.Result r = CliRunner.run("explain", "--model", "resnet18", "--resize", "64", "--crop", "64", "--channels", "5",
                "--channel-maps", sheet.toString(), "-o", dir.resolve("cam.png").toString(), img.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        Matcher head = Pattern.compile("logit (-?[0-9.]+) of class \\d+ = the contributions of 512 GAP channels \\+ bias (-?[0-9.]+)")
                .matcher(r.out());
        assertTrue(head.find(), r.out());
        double logit = Double.parseDouble(head.group(1)), sum = 0;
        int rows = 0;
        Pattern row = Pattern.compile("\\s+\\d+\\s+\\d+\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)\\s+(-?[0-9.]+)%");
        for (String l : lines) {
            Matcher m = row.matcher(l);
            if (!m.matches()) continue;
            rows++;
            double w = Double.parseDouble(m.group(1)), mean = Double.parseDouble(m.group(2)), c = Double.parseDouble(m.group(4));
            assertEquals(w * mean, c, 1e-5 + 1e-5 * Math.abs(c), l); // contribution = weight * mean
            sum += c;
        }
        assertEquals(5, rows, r.out());
        Matcher rest = Pattern.compile("the other 507 channels: (-?[0-9.]+) .*; bias: (-?[0-9.]+)").matcher(r.out());
        assertTrue(rest.find(), r.out());
        sum += Double.parseDouble(rest.group(1)) + Double.parseDouble(rest.group(2));
        // the printed terms (host arithmetic) against the logit the model computed (the Session's Gemm)
        assertEquals(logit, sum, 1e-4 * Math.max(1, Math.abs(logit)), r.out());
        BufferedImage s = ImageIO.read(sheet.toFile());
        assertTrue(s != null && s.getWidth() > 5 * 100, "five tiles in a row");
        assertTrue(r.out().contains("maps of those 5 channels written to " + sheet), r.out());
    }

    @Test
    void badChannelOptionsAreOneLine(@TempDir Path dir) throws Exception {
        Path img = png(dir);
        CliRunner.Result r = CliRunner.run("explain", "--model", "resnet18", "--channels", "0", img.toString());
        assertTrue(r.code() != 0 && r.err().contains("--channels must be at least 1"), r.err());
        r = CliRunner.run("explain", "--model", "resnet18", "--channel-maps", dir.resolve("s.png").toString(), img.toString());
        assertTrue(r.code() != 0 && r.err().contains("--channel-maps needs --channels"), r.err());
        assertTrue(!Files.exists(dir.resolve("s.png")));
    }

    static final Path NIN = Path.of("src/test/resources/reference-models/nin-shapes");

    @Test
    void aTrainedNetworkInNetworkHeadGetsTheCamOfItsClassMap(@TempDir Path dir) throws Exception {
        // trained on synthetic squares, rings and crosses (scripts/make_test_models.py): no linear layer after GAP
        for (String shape : List.of("square", "ring", "cross")) {
            Path cam = dir.resolve(shape + ".cam.png");
            CliRunner.Result r = CliRunner.run("explain", "--model", NIN.resolve("model.onnx").toString(), "--labels",
                    NIN.resolve("labels.txt").toString(), "--resize", "32", "--crop", "32", "--mean", "0,0,0", "--std", "1,1,1",
                    "-o", cam.toString(), NIN.resolve(shape + ".png").toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("(" + shape + ")"), shape + ": " + r.out());
            assertTrue(ImageIO.read(cam.toFile()).getWidth() > 0);
        }
        CliRunner.Result r = CliRunner.run("explain", "--model", NIN.resolve("model.onnx").toString(), "--channels", "3",
                NIN.resolve("ring.png").toString());
        assertTrue(r.code() != 0 && r.err().contains("one feature map per class"), r.err());
    }

    @Test
    void explainRefusesAGemHeadWithTheReasonAndPointsToTheEmbedding() {
        CliRunner.Result r = CliRunner.run("explain", "--model", NIN.resolveSibling("se-gem-opset15/model.onnx").toString(),
                NIN.resolve("ring.png").toString());
        assertTrue(r.code() != 0 && r.err().contains("pools with GeM (p = 3.00)") && r.err().contains("gapnet embed"), r.err());
        assertTrue(!r.err().contains("\tat io.gapnet"), r.err());
    }

    @Test
    void infoSaysWhichHeadAndWhatItAllows() {
        CliRunner.Result r = CliRunner.run("info", "--model", NIN.resolve("model.onnx").toString(), "--size", "32,32");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("head: GAP of one map per class") && r.out().contains("class activation maps: yes (each class's"
                + " own map); per-channel explanation: no"), r.out());
        r = CliRunner.run("info", "--model", NIN.resolveSibling("se-gem-opset15/model.onnx").toString(), "--size", "64,64");
        assertTrue(r.out().contains("head: GeM pooling, mean(x^p)^(1/p) with p = 3.00") && r.out().contains("embedding: the GeM vector"),
                r.out());
        assertTrue(r.out().contains("GAP inside the network: 2 (squeeze-and-excitation"), r.out());
        r = CliRunner.run("info", "--model", "resnet18", "--size", "64,64");
        assertTrue(r.out().contains("head: GAP -> linear layer from 512 channels to 1000 classes + bias"), r.out());
        assertTrue(r.out().contains("class activation maps: yes; per-channel explanation: yes"), r.out());
    }

    @Test
    void embedTakesAnyLayerAndNormalises(@TempDir Path dir) throws Exception {
        Path img = png(dir);
        CliRunner.Result r = CliRunner.run("embed", "--model", NIN.resolveSibling("convnext-mini-opset17/model.onnx").toString(),
                "--resize", "64", "--crop", "64", "--normalize", img.toString());
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("\\[([^\\]]*)\\]").matcher(r.out());
        assertTrue(m.find(), r.out());
        double sq = 0;
        String[] v = m.group(1).split(",");
        for (String x : v) sq += Double.parseDouble(x) * Double.parseDouble(x);
        assertEquals(32, v.length, "the GAP vector before LayerNorm -> Linear");
        assertEquals(1, sq, 1e-5);
        r = CliRunner.run("embed", "--model", "resnet18", "--resize", "64", "--crop", "64", "--layer", "layer4.1.conv2", img.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"embedding\":["), r.out());
        r = CliRunner.run("embed", "--model", "resnet18", "--layer", "no-such-layer", img.toString());
        assertTrue(r.code() != 0 && r.err().contains("no value or node named 'no-such-layer'"), r.err());
    }

    @Test
    void theCamPngShowsTheWholeImageTheCropAColourBarAndTheClass(@TempDir Path dir) throws Exception {
        Path img = png(dir), cam = dir.resolve("cam.png");
        CliRunner.Result r = CliRunner.run("explain", "--model", "resnet18", "--resize", "64", "--crop", "64", "--colormap", "viridis",
                "-o", cam.toString(), img.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage out = ImageIO.read(cam.toFile());
        // the whole 80x60 image drawn with its shorter side at 224 (299x224), a 60-pixel colour bar to its right, a
        // 22-pixel caption below
        assertEquals(299 + 60, out.getWidth());
        assertEquals(224 + 22, out.getHeight());
        // resized to 85x64 and cropped to 64x64 from x = 11, i.e. x >= 10.35 in the image (38.6 drawn): drawn column 4 is
        // image column 1.1, outside, dimmed to 0.45 of green 4 * y = 118.5 at drawn row 112 (image row 29.6)
        int rgb = out.getRGB(4, 112);
        assertEquals(0.45 * 118.5, (rgb >> 8) & 0xff, 3);
        r = CliRunner.run("explain", "--model", "resnet18", "--colormap", "rainbow", img.toString());
        assertTrue(r.code() != 0 && r.err().contains("rainbow"), r.err());
    }
}
