package io.gapnet.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ExifTest {
    /** A JPEG with {@code app1} (the bytes after the APP1 length) inserted after SOI. */
    static byte[] jpegWithApp1(byte[] app1) throws Exception {
        return jpegWithApp1(new BufferedImage(48, 32, BufferedImage.TYPE_BYTE_GRAY), app1);
    }

    /** {@code img} as a JPEG with {@code app1} (the bytes after the APP1 length) inserted after SOI. */
    static byte[] jpegWithApp1(BufferedImage img, byte[] app1) throws Exception {
        ByteArrayOutputStream jpg = new ByteArrayOutputStream();
        ImageIO.write(img, "jpg", jpg);
        byte[] plain = jpg.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(plain, 0, 2);
        out.write(0xFF);
        out.write(0xE1);
        out.write((app1.length + 2) >> 8);
        out.write((app1.length + 2) & 0xff);
        out.writeBytes(app1);
        out.write(plain, 2, plain.length - 2);
        return out.toByteArray();
    }

    /** An EXIF block (little-endian TIFF) whose first IFD is at {@code ifdOffset} and holds one orientation entry. */
    static byte[] exif(long ifdOffset, int entries, long nextIfd) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(6 + 8 + 2 + 12 + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("Exif\0\0".getBytes()).put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt((int) ifdOffset);
        b.putShort((short) entries).putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) 6).putShort((short) 0);
        b.putInt((int) nextIfd);
        return b.array();
    }

    @Test
    void craftedExifNeverFailsTheImage() throws Exception {
        byte[][] hostile = {
            exif(0x7FFFFFF8L, 1, 0), // an IFD offset near 2^31
            exif(0xFFFFFFF8L, 1, 0), // near 2^32: wraps negative as a signed int
            exif(8, 0xFFFF, 0), // more entries than the block holds
            exif(8, 1, 8), // the next IFD is this one: a loop
            exif(8, 1, 0xFFFFFFFFL),
            "Exif\0\0II".getBytes(), // cut short
            "Exif\0\0XX*\0\10\0\0\0".getBytes(), // no byte order mark
        };
        for (byte[] app1 : hostile) {
            byte[] jpeg = jpegWithApp1(app1);
            int o = Exif.orientation(jpeg);
            assertEquals(true, o >= 1 && o <= 8, "an orientation, whatever the block holds: " + o);
            Images.Planes p = Images.decode(new ByteArrayInputStream(jpeg), "crafted.jpg");
            assertEquals(48 * 32, p.width() * p.height(), "the image is still decoded");
        }
        assertEquals(6, Exif.orientation(jpegWithApp1(exif(8, 1, 0))), "the well-formed block of the same shape");
    }

    /** A 48x32 grey JPEG, black with a white 16x16 block at the top left, with an EXIF orientation inserted after SOI. */
    static byte[] jpegWithOrientation(int orientation, boolean littleEndian) throws Exception {
        BufferedImage img = new BufferedImage(48, 32, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) img.getRaster().setSample(x, y, 0, 255);
        ByteArrayOutputStream tiff = new ByteArrayOutputStream();
        tiff.writeBytes("Exif\0\0".getBytes());
        if (littleEndian) {
            tiff.writeBytes(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte) orientation, 0, 0, 0, 0, 0, 0, 0});
        } else {
            tiff.writeBytes(new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0});
        }
        return jpegWithApp1(img, tiff.toByteArray());
    }

    @Test
    void readsTheOrientationInBothByteOrders() throws Exception {
        for (int o = 1; o <= 8; o++) {
            assertEquals(o, Exif.orientation(jpegWithOrientation(o, true)));
            assertEquals(o, Exif.orientation(jpegWithOrientation(o, false)));
        }
        assertEquals(1, Exif.orientation(new byte[] {1, 2, 3}));
    }

    @Test
    void rotatedPhotosArriveUpright() throws Exception {
        // orientation 6: the stored image must be turned 90 degrees clockwise; the bright block moves top-right
        Images.Planes p = Images.decode(new ByteArrayInputStream(jpegWithOrientation(6, false)), "rotated.jpg");
        assertEquals(32, p.width());
        assertEquals(48, p.height());
        assertEquals(255, p.data()[0][31], 40);
        assertEquals(0, p.data()[0][0], 40);
    }

    @Test
    void everyOrientationMapsCornersAsDefined() {
        float[] v = {1, 2, 3, 4, 5, 6}; // 3 wide, 2 high: 1 2 3 / 4 5 6
        Images.Planes p = new Images.Planes(3, 2, new float[][] {v});
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4}, Exif.apply(p, 2).data()[0]);
        assertArrayEquals(new float[] {6, 5, 4, 3, 2, 1}, Exif.apply(p, 3).data()[0]);
        assertArrayEquals(new float[] {4, 5, 6, 1, 2, 3}, Exif.apply(p, 4).data()[0]);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, Exif.apply(p, 5).data()[0]);
        assertArrayEquals(new float[] {4, 1, 5, 2, 6, 3}, Exif.apply(p, 6).data()[0]);
        assertArrayEquals(new float[] {6, 3, 5, 2, 4, 1}, Exif.apply(p, 7).data()[0]);
        assertArrayEquals(new float[] {3, 6, 2, 5, 1, 4}, Exif.apply(p, 8).data()[0]);
    }
}
