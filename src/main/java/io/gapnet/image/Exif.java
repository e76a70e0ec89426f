package io.gapnet.image;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEG;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Reads the EXIF orientation (tag 0x0112) of a JPEG and applies it, so a photo taken with a rotated camera
 * reaches the model upright. Values: 1 as stored, 2 mirrored, 3 rotated 180, 4 flipped vertically,
 * 5 transposed, 6 rotated 90 clockwise, 7 transversed, 8 rotated 90 counter-clockwise.
 */
public final class Exif {
    private Exif() {}

    /**
     * The orientation of a JPEG file's bytes; 1 when absent, not a JPEG, or malformed: a broken EXIF block never fails
     * the image, it only leaves it as stored. The JPEG segments and the TIFF structure inside the EXIF block are read by
     * TwelveMonkeys' metadata reader (already on the class path for the JPEG plug-in), not by hand, and only the first
     * APP1 "Exif" segment (at most 64 KiB) is parsed.
     */
    public static int orientation(byte[] d) {
        if (d.length < 4 || (d[0] & 0xff) != 0xFF || (d[1] & 0xff) != 0xD8) return 1;
        try (ImageInputStream jpeg = new MemoryCacheImageInputStream(new ByteArrayInputStream(d))) {
            List<JPEGSegment> exif = JPEGSegmentUtil.readSegments(jpeg, JPEG.APP1, "Exif");
            if (exif.isEmpty()) return 1;
            try (InputStream body = exif.get(0).segmentData()) {
                byte[] tiff = body.readNBytes(65536);
                // the segment data starts with the "Exif\0\0" identifier, then the TIFF structure
                int skip = tiff.length >= 6 && tiff[0] == 'E' && tiff[1] == 'x' ? 6 : 0;
                try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(tiff, skip, tiff.length - skip))) {
                    Directory dir = new TIFFReader().read(in);
                    Entry e = dir.getEntryById(TIFF.TAG_ORIENTATION);
                    if (e == null || !(e.getValue() instanceof Number n)) return 1;
                    int v = n.intValue();
                    return v >= 1 && v <= 8 ? v : 1;
                }
            }
        } catch (IOException | RuntimeException e) {
            return 1; // malformed EXIF (offsets out of range, loops, wrong types): keep the image as stored
        }
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
