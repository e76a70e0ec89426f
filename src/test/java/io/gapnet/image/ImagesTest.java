package io.gapnet.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.GapnetException;
import io.gapnet.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    static final Preprocessing RAW = new Preprocessing(0, 0, 255, new float[] {0}, new float[] {1}, false, false);

    @Test
    void rgbPngDecodesToNchwPlanes(@TempDir Path dir) throws Exception {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0x102030);
        img.setRGB(1, 0, 0xff0080);
        Path f = dir.resolve("a.png");
        ImageIO.write(img, "png", f.toFile());
        Tensor t = Images.load(f, RAW);
        assertArrayEquals(new int[] {1, 3, 1, 2}, t.shape());
        assertArrayEquals(new float[] {0x10, 0xff, 0x20, 0x00, 0x30, 0x80}, t.floats());
        Tensor bgr = Images.load(f, new Preprocessing(0, 0, 255, new float[] {0}, new float[] {1}, true, false));
        assertArrayEquals(new float[] {0x30, 0x80, 0x20, 0x00, 0x10, 0xff}, bgr.floats());
        Tensor gray = Images.load(f, new Preprocessing(0, 0, 255, new float[] {0}, new float[] {1}, false, true));
        assertEquals(0.299f * 0x10 + 0.587f * 0x20 + 0.114f * 0x30, gray.floats()[0], 1e-3);
    }

    @Test
    void grayPngKeepsItsValues(@TempDir Path dir) throws Exception {
        BufferedImage img = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 0);
        img.getRaster().setSample(1, 0, 0, 100);
        img.getRaster().setSample(2, 0, 0, 255);
        Path f = dir.resolve("g.png");
        ImageIO.write(img, "png", f.toFile());
        Tensor t = Images.load(f, new Preprocessing(0, 0, 255, new float[] {0}, new float[] {1}, false, true));
        assertArrayEquals(new float[] {0, 100, 255}, t.floats());
        Tensor norm = Images.load(f, new Preprocessing(0, 0, 1, new float[] {0.5f}, new float[] {0.5f}, false, true));
        assertEquals(-1f, norm.floats()[0], 1e-6);
        assertEquals(1f, norm.floats()[2], 1e-6);
    }

    @Test
    void resizeAveragesWhenShrinkingAndKeepsConstants() {
        // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block with the antialiasing filter's symmetric weights
        float[] src = {0, 0, 8, 8, 0, 0, 8, 8};
        float[] out = Resize.resize(src, 4, 2, 2, 1);
        assertEquals(out[0] + out[1], 8f, 1e-5);
        assertTrue(out[0] < 2f && out[1] > 6f, java.util.Arrays.toString(out));
        float[] flat = new float[37 * 23];
        java.util.Arrays.fill(flat, 7f);
        for (float v : Resize.resize(flat, 37, 23, 11, 50)) assertEquals(7f, v, 1e-4);
    }

    @Test
    void resizeShorterSideAndCentreCrop() {
        Images.Planes p = new Images.Planes(40, 20, new float[][] {new float[800], new float[800], new float[800]});
        Tensor t = Images.toTensor(p, new Preprocessing(10, 8, 255, new float[] {0}, new float[] {1}, false, false));
        assertArrayEquals(new int[] {1, 3, 8, 8}, t.shape());
        Tensor noCrop = Images.toTensor(p, new Preprocessing(10, 0, 255, new float[] {0}, new float[] {1}, false, false));
        assertArrayEquals(new int[] {1, 3, 10, 20}, noCrop.shape());
    }

    @Test
    void corruptImagesAreClearErrors(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.png");
        Files.write(f, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        GapnetException e = assertThrows(GapnetException.class, () -> Images.load(f, RAW));
        assertTrue(e.getMessage().contains("bad.png"), e.getMessage());
        Path txt = dir.resolve("notes.jpg");
        Files.writeString(txt, "hello");
        e = assertThrows(GapnetException.class, () -> Images.load(txt, RAW));
        assertTrue(e.getMessage().contains("not a PNG or JPEG"), e.getMessage());
    }
}
