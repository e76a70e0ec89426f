package io.gapnet.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The fast path's erf, GELUs and ReLU against the reference's, and against published values. */
class ActivationFastTest {
    @Test
    void fastErfAndGelusStayWithinAboutOneFloatUlpOfTheReference() {
        for (Activation.Kind kind : new Activation.Kind[] {Activation.Kind.ERF, Activation.Kind.GELU, Activation.Kind.GELU_TANH}) {
            Activation a = Activation.of(kind);
            double worst = 0;
            for (int i = -120000; i <= 120000; i++) {
                float x = i * 1e-4f;
                float want = a.apply(x), got = a.applyFast(x);
                worst = Math.max(worst, Math.abs((double) got - want) / Math.max(1e-3, Math.abs(want)));
            }
            assertTrue(worst < 3e-7, kind + ": worst relative error " + worst);
        }
    }

    @Test
    void fastErfAtKnownPointsAndTheSpecialValues() {
        // erf(0.5), erf(1), erf(2) to 10 digits (Abramowitz and Stegun, table 7.1)
        assertEquals(0.5204998778, Activation.erfFast(0.5), 1.2e-7);
        assertEquals(0.8427007929, Activation.erfFast(1), 1.2e-7);
        assertEquals(-0.9953222650, Activation.erfFast(-2), 1.2e-7);
        assertEquals(1.0, Activation.erfFast(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, Activation.erfFast(Double.NEGATIVE_INFINITY));
        assertTrue(Double.isNaN(Activation.erfFast(Double.NaN)));
        Activation gelu = Activation.of(Activation.Kind.GELU_TANH);
        assertTrue(Float.isNaN(gelu.applyFast(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, gelu.applyFast(Float.POSITIVE_INFINITY));
        assertEquals(-0f, gelu.applyFast(-100f));
    }

    @Test
    void fastReluIsTheReferencesFunctionWithoutItsBranch() {
        Activation relu = Activation.RELU;
        float[] xs = {-3.5f, -Float.MIN_VALUE, -0f, 0f, Float.MIN_VALUE, 2.25f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] want = {0f, 0f, 0f, 0f, Float.MIN_VALUE, 2.25f, Float.MAX_VALUE, 0f, Float.POSITIVE_INFINITY, 0f};
        for (int i = 0; i < xs.length; i++) {
            assertEquals(want[i], relu.applyFast(xs[i]), 0f, "relu(" + xs[i] + ")");
            assertEquals(relu.apply(xs[i]), relu.applyFast(xs[i]), 0f, "relu(" + xs[i] + ") against the reference");
        }
        assertTrue(Float.isNaN(relu.applyFast(Float.NaN)), "NaN stays NaN");
        assertTrue(Float.isNaN(relu.applyFast(Float.intBitsToFloat(0xffc00000))), "a NaN with the sign bit stays NaN");
    }
}
