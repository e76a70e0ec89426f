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
    static final Preprocessing RAW = Preprocessing.builder().pixelRange(255).mean(0).std(1).build();

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
        Tensor bgr = Images.load(f, Preprocessing.builder().pixelRange(255).channels(Preprocessing.Channels.BGR).mean(0).std(1).build());
        assertArrayEquals(new float[] {0x30, 0x80, 0x20, 0x00, 0x10, 0xff}, bgr.floats());
        Tensor gray = Images.load(f, Preprocessing.builder().pixelRange(255).channels(Preprocessing.Channels.GRAY).mean(0).std(1).build());
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
        Tensor t = Images.load(f, Preprocessing.builder().pixelRange(255).channels(Preprocessing.Channels.GRAY).mean(0).std(1).build());
        assertArrayEquals(new float[] {0, 100, 255}, t.floats());
        Tensor norm = Images.load(f, Preprocessing.builder().channels(Preprocessing.Channels.GRAY).mean(0.5f).std(0.5f).build());
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
        Tensor t = Images.toTensor(p, Preprocessing.builder().resizeShorter(10).centerCrop(8).pixelRange(255).mean(0).std(1).build());
        assertArrayEquals(new int[] {1, 3, 8, 8}, t.shape());
        Tensor noCrop = Images.toTensor(p, Preprocessing.builder().resizeShorter(10).pixelRange(255).mean(0).std(1).build());
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

    /** A 3x1 gray image of {@code dataType} with {@code bits} per sample holding {@code samples}, written as TIFF. */
    static Path grayTiff(Path dir, int dataType, int bits, double... samples) throws Exception {
        java.awt.color.ColorSpace cs = java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_GRAY);
        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(cs, new int[] {bits}, false, false,
                java.awt.Transparency.OPAQUE, dataType);
        java.awt.image.WritableRaster r = cm.createCompatibleWritableRaster(samples.length, 1);
        for (int x = 0; x < samples.length; x++) {
            if (dataType == java.awt.image.DataBuffer.TYPE_FLOAT) r.setSample(x, 0, 0, samples[x]);
            else r.setSample(x, 0, 0, (int) (long) samples[x]); // the 32 bits of an unsigned sample
        }
        Path f = dir.resolve("g" + dataType + "-" + bits + ".tif");
        assertTrue(ImageIO.write(new BufferedImage(cm, r, false, null), "tiff", f.toFile()), "a TIFF writer");
        return f;
    }

    @Test
    void everyGrayDepthScalesTo0To255(@TempDir Path dir) throws Exception {
        // 16-bit PNG, and 32-bit integer and float TIFFs (the 32-bit case divided by 2^32 - 1 overflowed to 255 / 0)
        BufferedImage sixteen = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        sixteen.getRaster().setSample(1, 0, 0, 65535);
        sixteen.getRaster().setSample(2, 0, 0, 32768);
        Path png = dir.resolve("16.png");
        ImageIO.write(sixteen, "png", png.toFile());
        assertArrayEquals(new float[] {0, 255, 32768 * 255f / 65535}, Images.decode(png).data()[0], 1e-3f);
        Path u32 = grayTiff(dir, java.awt.image.DataBuffer.TYPE_INT, 32, 0, 0xFFFFFFFFL, 0x80000000L);
        assertArrayEquals(new float[] {0, 255, 127.5f}, Images.decode(u32).data()[0], 1e-3f);
        Path f32 = grayTiff(dir, java.awt.image.DataBuffer.TYPE_FLOAT, 32, 0, 1, 0.25);
        assertArrayEquals(new float[] {0, 255, 63.75f}, Images.decode(f32).data()[0], 1e-3f);
        GapnetException nan = assertThrows(GapnetException.class,
                () -> Images.decode(grayTiff(dir, java.awt.image.DataBuffer.TYPE_FLOAT, 32, 0, Double.NaN, 1)));
        assertTrue(nan.getMessage().contains("non-finite sample at (1, 0)"), nan.getMessage());
    }

    @Test
    void preprocessingValuesThatCannotWorkAreRefused() {
        float[] zero = {0}, one = {1};
        assertTrue(assertThrows(GapnetException.class, () -> Preprocessing.builder().pixelRange(255).mean(zero).std(zero).build()).getMessage()
                .contains("std 0.0 must be a positive finite number"));
        assertThrows(GapnetException.class, () -> Preprocessing.builder().pixelRange(255).mean(zero).std(Float.NaN).build());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().pixelRange(255).mean(Float.POSITIVE_INFINITY).std(one).build());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().resizeShorter(-1).pixelRange(255).mean(zero).std(one).build());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().centerCrop(-5).pixelRange(255).mean(zero).std(one).build());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().pixelRange(7).mean(zero).std(one).build());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().pixelRange(255).mean(0, 0).std(one).build());
    }

    @Test
    void aResizedWindowIsExactlyTheCropOfTheWholeResize() {
        java.util.Random r = new java.util.Random(5);
        for (int trial = 0; trial < 40; trial++) {
            int w = 1 + r.nextInt(60), h = 1 + r.nextInt(60), nw = 1 + r.nextInt(90), nh = 1 + r.nextInt(90);
            float[] src = new float[w * h];
            for (int i = 0; i < src.length; i++) src[i] = r.nextFloat() * 255;
            float[] whole = Resize.resize(src, w, h, nw, nh);
            int cw = 1 + r.nextInt(nw), ch = 1 + r.nextInt(nh), x0 = r.nextInt(nw - cw + 1), y0 = r.nextInt(nh - ch + 1);
            float[] win = Resize.window(src, w, h, nw, nh, x0, y0, cw, ch);
            for (int y = 0; y < ch; y++) {
                for (int x = 0; x < cw; x++) assertEquals(whole[(y + y0) * nw + x + x0], win[y * cw + x], "trial " + trial);
            }
        }
    }
}
