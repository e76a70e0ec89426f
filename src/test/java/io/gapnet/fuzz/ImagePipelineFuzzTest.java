package io.gapnet.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gapnet.InvalidImageException;
import io.gapnet.image.Exif;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the image pipeline with Jazzer: bytes through the header check, PNG and JPEG decoding
 * (ImageIO, TwelveMonkeys), the EXIF reader and orientation, channel conversion, resize and crop, normalisation. Any
 * input may be refused, but only with an {@link InvalidImageException}; anything else (an index out of bounds, an
 * overflow, OutOfMemoryError, a hang) is a finding, and so is a tensor of the wrong shape or with a non-finite value.
 *
 * <p>The seed corpus in src/test/resources/io/gapnet/fuzz/ImagePipelineFuzzTestInputs/decodeAndPreprocess holds
 * small PNGs (RGB, RGBA, grey 8 and 16 bits, palette, interlaced) and JPEGs (grey, colour, progressive, CMYK, with
 * EXIF orientations and with a broken EXIF block); it and every input that once failed run as regression tests in
 * every build, and {@code JAZZER_FUZZ=1} fuzzes for real (CI does, for a bounded time).
 */
class ImagePipelineFuzzTest {
    /** Crop, no crop (the whole resized image), grey: the three shapes of preprocessing. */
    private static final Preprocessing[] PRE = {
        Preprocessing.builder().resizeShorter(20).centerCrop(16).mean(0.485f, 0.456f, 0.406f).std(0.229f, 0.224f, 0.225f).build(),
        Preprocessing.builder().resizeShorter(12).pixelRange(255).channels(Preprocessing.Channels.BGR).mean(0).std(1).build(),
        Preprocessing.builder().centerCrop(8).channels(Preprocessing.Channels.GRAY).mean(0.5f).std(0.5f).build(),
    };
    private static String previousPixels, previousSide;

    @BeforeAll
    static void limits() {
        // keep a fuzzed header's claims cheap to honour: the checks are the same at any limit
        previousPixels = System.getProperty("gapnet.limits.maxImagePixels");
        previousSide = System.getProperty("gapnet.limits.maxImageSide");
        System.setProperty("gapnet.limits.maxImagePixels", Integer.toString(1 << 20));
        System.setProperty("gapnet.limits.maxImageSide", Integer.toString(1 << 14));
    }

    @AfterAll
    static void restore() {
        restore("gapnet.limits.maxImagePixels", previousPixels);
        restore("gapnet.limits.maxImageSide", previousSide);
    }

    private static void restore(String name, String value) {
        if (value == null) System.clearProperty(name);
        else System.setProperty(name, value);
    }

    @FuzzTest(maxDuration = "60s")
    void decodeAndPreprocess(byte[] data) {
        int orientation = Exif.orientation(data);
        if (orientation < 1 || orientation > 8) throw new AssertionError("EXIF orientation " + orientation + " is not 1..8");
        Images.Planes img;
        try {
            Images.declaredSize(data, "fuzz");
            img = Images.decode(data, "fuzz");
        } catch (InvalidImageException expected) {
            return; // a clear, documented refusal
        }
        for (Preprocessing p : PRE) {
            Tensor t;
            try {
                t = Images.toTensor(img, p);
            } catch (InvalidImageException expected) {
                continue; // the resized image would be over the limits
            }
            int[] s = t.shape();
            if (s.length != 4 || s[0] != 1 || s[1] != p.channels()) {
                throw new AssertionError("tensor of shape " + java.util.Arrays.toString(s) + " for " + p.channels() + " channels");
            }
            if (p.crop() > 0 && (s[2] > p.crop() || s[3] > p.crop())) {
                throw new AssertionError("a crop of " + p.crop() + " gave " + s[2] + "x" + s[3]);
            }
            for (float v : t.floats()) {
                if (!Float.isFinite(v)) throw new AssertionError("non-finite value " + v + " from a decoded image");
            }
        }
    }
}
