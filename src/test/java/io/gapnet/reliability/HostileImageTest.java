package io.gapnet.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.InvalidImageException;
import io.gapnet.image.Images;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Images from elsewhere: truncated, corrupt, empty, and decompression bombs are refused with InvalidImageException. */
class HostileImageTest {
    static byte[] encode(String format, int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(3);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, format, out);
        return out.toByteArray();
    }

    static InvalidImageException refused(byte[] bytes) {
        return assertThrows(InvalidImageException.class, () -> Images.decode(new ByteArrayInputStream(bytes), "hostile"));
    }

    @Test
    void truncatedAndCorruptFiles() throws IOException {
        for (String format : new String[] {"png", "jpg"}) {
            byte[] good = encode(format, 64, 48);
            Images.decode(new ByteArrayInputStream(good), "good");
            refused(Arrays.copyOf(good, good.length / 2));
            refused(Arrays.copyOf(good, 40));
            byte[] corrupt = good.clone();
            Random r = new Random(1);
            for (int i = 30; i < corrupt.length; i += 7) corrupt[i] = (byte) r.nextInt();
            refused(corrupt);
        }
        refused(new byte[0]);
        refused("GIF89a? no: this is text".getBytes());
    }

    /** A PNG of the given declared size whose pixel data is one tiny, valid deflate stream of a single row. */
    static byte[] pngDeclaring(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream i = new DataOutputStream(ihdr);
        i.writeInt(w);
        i.writeInt(h);
        i.write(new byte[] {8, 0, 0, 0, 0}); // 8-bit gray, deflate, no filter, no interlace
        chunk(d, "IHDR", ihdr.toByteArray());
        Deflater def = new Deflater();
        def.setInput(new byte[Math.max(1, Math.min(w, 1 << 16)) + 1]);
        def.finish();
        byte[] buf = new byte[1 << 17];
        int n = def.deflate(buf);
        chunk(d, "IDAT", Arrays.copyOf(buf, n));
        chunk(d, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(DataOutputStream d, String type, byte[] data) throws IOException {
        d.writeInt(data.length);
        byte[] t = type.getBytes();
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }

    @Test
    void decompressionBombIsRefusedBeforeDecoding() throws IOException {
        byte[] bomb = pngDeclaring(200_000, 200_000);
        assertTrue(bomb.length < 1000, "the bomb is a tiny file: " + bomb.length + " bytes");
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        InvalidImageException e = refused(bomb);
        assertTrue(e.getMessage().contains("declares 200000x200000 pixels"), e.getMessage());
        assertTrue(e.getMessage().contains("refused before decoding"), e.getMessage());
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < 256L << 20, "decoding allocated " + ((after - before) >> 20) + " MiB");
    }

    @Test
    void limitsAreConfigurable() throws IOException {
        byte[] small = encode("png", 64, 48);
        String old = System.getProperty("gapnet.limits.maxImagePixels");
        System.setProperty("gapnet.limits.maxImagePixels", "1000");
        try {
            InvalidImageException e = refused(small);
            assertTrue(e.getMessage().contains("64x48"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty("gapnet.limits.maxImagePixels");
            else System.setProperty("gapnet.limits.maxImagePixels", old);
        }
    }

    @Test
    void progressiveJpegDecodes() throws IOException {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, x < 20 ? 0xff0000 : 0x0000ff);
        javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam p = w.getDefaultWriteParam();
        p.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            w.write(null, new javax.imageio.IIOImage(img, null, null), p);
        }
        Images.Planes planes = Images.decode(new ByteArrayInputStream(out.toByteArray()), "progressive.jpg");
        assertTrue(planes.width() == 40 && planes.height() == 30);
        assertTrue(planes.data()[0][5 * 40 + 5] > 200 && planes.data()[2][5 * 40 + 35] > 200, "red left, blue right");
    }

    @Test
    void zeroSizedImage() throws IOException {
        InvalidImageException e = refused(pngDeclaring(0, 10));
        assertTrue(e.getMessage().contains("hostile"), e.getMessage());
    }

    @Test
    void extremeAspectRatiosCostOnlyTheirCrop() throws IOException {
        // a 99-byte 20000x1 PNG made the resize allocate gigabytes; 65535x1 and 1x65535 overflowed int
        io.gapnet.image.Preprocessing imagenet = io.gapnet.image.Preprocessing.imagenet();
        for (int[] wh : new int[][] {{20000, 1}, {65535, 1}, {1, 65535}, {65535, 2}, {3, 65535}}) {
            byte[] png = encode("png", wh[0], wh[1]);
            io.gapnet.tensor.Tensor t = Images.toTensor(Images.decode(new ByteArrayInputStream(png), "thin"), imagenet);
            assertTrue(java.util.Arrays.equals(new int[] {1, 3, 224, 224}, t.shape()) || t.numel() <= 3 * 224 * 224,
                    java.util.Arrays.toString(t.shape()));
            for (float v : t.floats()) assertTrue(Float.isFinite(v));
            // without a crop the whole resized image would be billions of pixels: refused by name, nothing allocated
            io.gapnet.image.Preprocessing noCrop = io.gapnet.image.Preprocessing.builder().resizeShorter(256).build();
            InvalidImageException e = assertThrows(InvalidImageException.class,
                    () -> Images.toTensor(Images.decode(new ByteArrayInputStream(png), "thin"), noCrop));
            assertTrue(e.getMessage().contains("gapnet.limits.maxImagePixels") && e.getMessage().contains("use a centre crop"), e.getMessage());
        }
    }
}
