package io.gapnet.image;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.twelvemonkeys.imageio.color.ColorSpaces;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.color.ICC_ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * CMYK and YCCK JPEGs, with and without an ICC profile, decode to the RGB their inks mean. They were refused as
 * "truncated or corrupt" because the decoder's remark that a CMYK file has no profile was taken for damage. The
 * files are written here by TwelveMonkeys' JPEG writer (Adobe APP14 marker, inverted CMYK as Photoshop stores it);
 * the YCCK one is the same writer's output with its colour channels turned into YCbCr and the marker's transform set
 * to 2. Five patches of known colour: cyan, magenta, yellow, black, white.
 */
class CmykJpegTest {
    static final int[][] INKS = {{255, 0, 0, 0}, {0, 255, 0, 0}, {0, 0, 255, 0}, {0, 0, 0, 255}, {0, 0, 0, 0}};
    static final int PATCH = 16;
    /** Ghostscript's CMYK profile (Debian's libgs-common, which .ci/run installs): read, never copied into the repo. */
    static final Path PROFILE = Path.of("/usr/share/color/icc/ghostscript/default_cmyk.icc");

    /** A CMYK JPEG of the patches; {@code ycck}: the channels stored as YCCK instead. */
    static byte[] jpeg(ColorSpace cmyk, boolean ycck) throws Exception {
        ComponentColorModel cm = new ComponentColorModel(cmyk, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(PATCH * INKS.length, PATCH);
        for (int p = 0; p < INKS.length; p++) {
            int[] v = INKS[p].clone();
            if (ycck) {
                // the file stores 255 - ink; Adobe's YCCK stores the YCbCr of the inks C, M, Y (as if they were R, G, B),
                // which the decoder turns back into 255 - ink before the inversion every Adobe CMYK file gets; K as in CMYK
                double sr = v[0], sg = v[1], sb = v[2];
                double y = 0.299 * sr + 0.587 * sg + 0.114 * sb;
                double cb = 128 - 0.168736 * sr - 0.331264 * sg + 0.5 * sb, cr = 128 + 0.5 * sr - 0.418688 * sg - 0.081312 * sb;
                v = new int[] {255 - clamp(y), 255 - clamp(cb), 255 - clamp(cr), v[3]};
            }
            for (int y = 0; y < PATCH; y++) {
                for (int x = p * PATCH; x < (p + 1) * PATCH; x++) for (int b = 0; b < 4; b++) r.setSample(x, y, b, v[b]);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        assumeTrue(writer.getClass().getName().startsWith("com.twelvemonkeys"), "SKIPPED: TwelveMonkeys' JPEG writer is not first");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.98f);
            writer.write(null, new IIOImage(new BufferedImage(cm, r, false, null), null, null), p);
        } finally {
            writer.dispose();
        }
        byte[] b = out.toByteArray();
        if (ycck) {
            int at = adobeMarker(b);
            assertTrue(at >= 0 && b[at + 15] == 0, "an Adobe marker with transform 0 (CMYK) to turn into 2 (YCCK)");
            b[at + 15] = 2;
        }
        return b;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }

    private static int adobeMarker(byte[] b) {
        for (int i = 2; i + 16 < b.length; i++) {
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xEE && b[i + 4] == 'A' && b[i + 5] == 'd') return i;
        }
        return -1;
    }

    /** Each patch's decoded R, G, B holds the inks' colour: the channels it should be dark and light in. */
    static void assertKnownColours(byte[] jpeg, String what) {
        Images.Planes p = Images.decode(new ByteArrayInputStream(jpeg), what);
        String[] names = {"cyan", "magenta", "yellow", "black", "white"};
        for (int i = 0; i < INKS.length; i++) {
            int at = (PATCH / 2) * p.width() + i * PATCH + PATCH / 2;
            float r = p.data()[0][at], g = p.data()[1][at], b = p.data()[2][at];
            String rgb = what + " " + names[i] + ": " + r + ", " + g + ", " + b;
            switch (i) {
                case 0 -> assertTrue(r < 80 && g > 120 && b > 180, rgb);
                case 1 -> assertTrue(g < 80 && r > 180 && b > 90, rgb);
                case 2 -> assertTrue(b < 80 && r > 200 && g > 200, rgb);
                case 3 -> assertTrue(r < 80 && g < 80 && b < 80, rgb);
                default -> assertTrue(r > 230 && g > 230 && b > 230, rgb);
            }
        }
    }

    @Test
    void cmykAndYcckWithoutAProfile() throws Exception {
        ColorSpace generic = ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK);
        assertKnownColours(jpeg(generic, false), "CMYK without a profile");
        assertKnownColours(jpeg(generic, true), "YCCK without a profile");
    }

    @Test
    void cmykAndYcckWithAnEmbeddedProfile() throws Exception {
        assumeTrue(Files.isReadable(PROFILE), "SKIPPED: no CMYK ICC profile at " + PROFILE + " (apt-get install libgs-common)");
        ColorSpace icc = new ICC_ColorSpace(ICC_Profile.getInstance(PROFILE.toString()));
        byte[] cmyk = jpeg(icc, false);
        assertTrue(new String(cmyk, java.nio.charset.StandardCharsets.ISO_8859_1).contains("ICC_PROFILE"), "the profile is embedded");
        assertKnownColours(cmyk, "CMYK with an ICC profile");
        assertKnownColours(jpeg(icc, true), "YCCK with an ICC profile");
    }

    @Test
    void realTruncationIsStillRefused() throws Exception {
        byte[] cmyk = jpeg(ColorSpaces.getColorSpace(ColorSpaces.CS_GENERIC_CMYK), false);
        byte[] cut = java.util.Arrays.copyOf(cmyk, cmyk.length - 40); // inside the entropy-coded data
        io.gapnet.InvalidImageException e = org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.InvalidImageException.class,
                () -> Images.decode(new ByteArrayInputStream(cut), "cut.jpg"));
        assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());
    }
}
