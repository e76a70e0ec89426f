package io.gapnet.image;

/**
 * Reads the EXIF orientation (tag 0x0112) of a JPEG and applies it, so a photo taken with a rotated camera
 * reaches the model upright. Values: 1 as stored, 2 mirrored, 3 rotated 180, 4 flipped vertically,
 * 5 transposed, 6 rotated 90 clockwise, 7 transversed, 8 rotated 90 counter-clockwise.
 */
public final class Exif {
    private Exif() {}

    /** The orientation of a JPEG file's bytes; 1 when absent, not a JPEG, or malformed. */
    public static int orientation(byte[] d) {
        if (d.length < 4 || (d[0] & 0xff) != 0xFF || (d[1] & 0xff) != 0xD8) return 1;
        int p = 2;
        while (p + 4 <= d.length && (d[p] & 0xff) == 0xFF) {
            int marker = d[p + 1] & 0xff;
            int len = ((d[p + 2] & 0xff) << 8) | (d[p + 3] & 0xff);
            if (marker == 0xDA || len < 2) return 1; // image data starts: no EXIF before it
            int body = p + 4;
            if (marker == 0xE1 && body + 14 <= d.length && d[body] == 'E' && d[body + 1] == 'x' && d[body + 2] == 'i'
                    && d[body + 3] == 'f' && d[body + 4] == 0 && d[body + 5] == 0) {
                return fromTiff(d, body + 6, Math.min(d.length, p + 2 + len));
            }
            p += 2 + len;
        }
        return 1;
    }

    private static int fromTiff(byte[] d, int tiff, int end) {
        boolean little = d[tiff] == 'I';
        if (!little && d[tiff] != 'M') return 1;
        long ifd = u32(d, tiff + 4, little);
        int at = (int) (tiff + ifd);
        if (ifd < 8 || at + 2 > end) return 1;
        int entries = u16(d, at, little);
        for (int i = 0; i < entries; i++) {
            int e = at + 2 + 12 * i;
            if (e + 12 > end) return 1;
            if (u16(d, e, little) == 0x0112) {
                int v = u16(d, e + 8, little);
                return v >= 1 && v <= 8 ? v : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] d, int i, boolean little) {
        return little ? (d[i] & 0xff) | ((d[i + 1] & 0xff) << 8) : ((d[i] & 0xff) << 8) | (d[i + 1] & 0xff);
    }

    private static long u32(byte[] d, int i, boolean little) {
        return little ? (u16(d, i, true) | ((long) u16(d, i + 2, true) << 16)) : (((long) u16(d, i, false) << 16) | u16(d, i + 2, false));
    }

    /** The planes turned upright according to {@code orientation}. */
    public static Images.Planes apply(Images.Planes img, int orientation) {
        if (orientation <= 1 || orientation > 8) return img;
        int w = img.width(), h = img.height();
        boolean swap = orientation >= 5;
        int nw = swap ? h : w, nh = swap ? w : h;
        float[][] out = new float[img.data().length][nw * nh];
        for (int y = 0; y < nh; y++) {
            for (int x = 0; x < nw; x++) {
                int sx, sy;
                switch (orientation) {
                    case 2: sx = w - 1 - x; sy = y; break;
                    case 3: sx = w - 1 - x; sy = h - 1 - y; break;
                    case 4: sx = x; sy = h - 1 - y; break;
                    case 5: sx = y; sy = x; break;
                    case 6: sx = y; sy = h - 1 - x; break;
                    case 7: sx = w - 1 - y; sy = h - 1 - x; break;
                    default: sx = w - 1 - y; sy = x; break; // 8
                }
                for (int c = 0; c < out.length; c++) out[c][y * nw + x] = img.data()[c][sy * w + sx];
            }
        }
        return new Images.Planes(nw, nh, out);
    }
}
