package io.gapnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.gapnet.tensor.Tensor;
import java.util.Arrays;

/** Tolerance checks {@code |got - want| <= atol + rtol * |want|} that print the evidence on failure. */
public final class Approx {
    private Approx() {}

    public static void assertClose(float[] want, float[] got, double atol, double rtol) {
        if (want.length != got.length) fail("length " + got.length + " != expected " + want.length);
        double maxErr = 0;
        int bad = -1;
        for (int i = 0; i < want.length; i++) {
            if (want[i] == got[i] || Float.isNaN(want[i]) && Float.isNaN(got[i])) continue;
            double err = Math.abs((double) got[i] - want[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            maxErr = Math.max(maxErr, err);
            if (bad < 0 && !(err <= atol + rtol * Math.abs(want[i]))) bad = i;
        }
        if (bad >= 0) {
            fail("element " + bad + ": got " + got[bad] + ", want " + want[bad] + " (max abs error " + maxErr
                    + "; got " + head(got) + ", want " + head(want) + ")");
        }
    }

    public static void assertClose(float[] want, float[] got) {
        assertClose(want, got, 1e-5, 1e-5);
    }

    public static void assertTensor(int[] shape, float[] want, Tensor got) {
        assertArrayEquals(shape, got.shape(), () -> "shape " + Arrays.toString(got.shape()));
        assertClose(want, got.floats());
    }

    private static String head(float[] a) {
        return Arrays.toString(Arrays.copyOf(a, Math.min(a.length, 12))) + (a.length > 12 ? "..." : "");
    }
}
