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

class ExplainChannelsTest {
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
}
