package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.iota;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Activations, broadcasting arithmetic, BatchNormalization, Softmax and no-ops, by hand. */
class ElementwiseReferenceTest {
    static final float LN3 = (float) Math.log(3);

    @Test
    void activations() {
        Tensor x = t(f(-4, -1, 0, 1, 4), 5);
        assertTensor(new int[] {5}, f(0, 0, 0, 1, 4), run("Relu", Map.of(), x));
        assertTensor(new int[] {5}, f(-0.4f, -0.1f, 0, 1, 4), run("LeakyRelu", Map.of("alpha", 0.1f), x));
        assertTensor(new int[] {5}, f(0, 0.3f, 0.5f, 0.7f, 1), run("HardSigmoid", Map.of(), x));
        assertTensor(new int[] {5}, f(0, -1f / 3, 0, 2f / 3, 4), run("HardSwish", Map.of(), x));
        assertTensor(new int[] {2}, f(0.5f, 0.75f), run("Sigmoid", Map.of(), t(f(0, LN3), 2)));
        assertTensor(new int[] {2}, f(0, 0.6f), run("Tanh", Map.of(), t(f(0, (float) (0.5 * Math.log(4))), 2)));
    }

    @Test
    void geluErfMishAndTheOtherExportedActivations() {
        Tensor x = t(f(-1, 0, 1, 2), 4);
        // x/2 (1 + erf(x / sqrt 2)) and its tanh form, computed with Python's math.erf and math.tanh
        assertTensor(new int[] {4}, f(-0.15865525f, 0, 0.84134475f, 1.9544997f), run("Gelu", 20, Map.of(), x));
        assertTensor(new int[] {4}, f(-0.15880801f, 0, 0.84119199f, 1.9545977f),
                run("Gelu", 20, Map.of("approximate", "tanh"), x));
        assertTensor(new int[] {3}, f(0.52049988f, -0.84270079f, 0.99997791f), run("Erf", Map.of(), t(f(0.5f, -1, 3), 3)));
        assertTensor(new int[] {3}, f(-0.25250148f, 0, 0.86509839f), run("Mish", 18, Map.of(), t(f(-2, 0, 1), 3)));
        assertTensor(new int[] {3}, f(0.75f, -0.5f, 0), run("Softsign", Map.of(), t(f(3, -1, 0), 3)));
        assertTensor(new int[] {3}, f(0, 0, 2), run("ThresholdedRelu", Map.of(), t(f(0.5f, 1, 2), 3))); // alpha 1
        assertTensor(new int[] {2}, f(-0.78693868f, 3), run("Celu", Map.of("alpha", 2f), t(f(-1, 3), 2))); // 2 (e^-0.5 - 1)
        Tensor halves = t(f(-1.5f, 2.5f, -2.5f, 1.5f, 0.4f), 5);
        assertTensor(new int[] {5}, f(-2, 2, -3, 1, 0), run("Floor", Map.of(), halves));
        assertTensor(new int[] {5}, f(-1, 3, -2, 2, 1), run("Ceil", Map.of(), halves));
        assertTensor(new int[] {5}, f(-2, 2, -2, 2, 0), run("Round", Map.of(), halves)); // half to even
    }

    @Test
    void geluWithAnUnknownApproximationIsNamed() {
        Exception e = assertThrows(io.gapnet.GapnetException.class,
                () -> run("Gelu", 20, Map.of("approximate", "fast"), t(f(1), 1)));
        assertTrue(e.getMessage().contains("approximate"), e.getMessage());
    }

    @Test
    void nanAndInfinitiesPropagateAsOnnxDefines() {
        // ONNX defines these with numpy's max, min and arithmetic: NaN in, NaN out (PyTorch agrees)
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        Tensor x = t(f(nan, inf, -inf, -2), 4);
        assertTensor(new int[] {4}, f(nan, inf, 0, 0), run("Relu", Map.of(), x));
        assertTensor(new int[] {4}, f(nan, inf, -inf, -0.2f), run("LeakyRelu", Map.of("alpha", 0.1f), x));
        assertTensor(new int[] {4}, f(nan, 1, 0, 0.1f), run("HardSigmoid", Map.of(), x));
        assertTensor(new int[] {4}, f(nan, inf, nan, -1f / 3), run("HardSwish", Map.of(), x)); // -inf * 0 is NaN
        assertTensor(new int[] {4}, f(nan, 1, -1, -1), run("Clip", 6, Map.of("min", -1f, "max", 1f), x));
        assertTensor(new int[] {4}, f(nan, 1, 0, (float) (1 / (1 + Math.exp(2)))), run("Sigmoid", Map.of(), x));
        assertTensor(new int[] {4}, f(nan, inf, -1, (float) (Math.exp(-2) - 1)), run("Elu", Map.of(), x));
        assertTensor(new int[] {4}, f(nan, inf, 0, (float) Math.log1p(Math.exp(-2))), run("Softplus", Map.of(), x));
        assertTensor(new int[] {1, 1, 1, 1}, f(nan), run("MaxPool", Map.of("kernel_shape", new long[] {2, 2}),
                t(f(1, nan, 3, 2), 1, 1, 2, 2)));
        assertTensor(new int[] {1, 1, 1, 1}, f(nan), run("GlobalAveragePool", Map.of(), t(f(1, nan, 3, 2), 1, 1, 2, 2)));
        assertTensor(new int[] {1, 1, 1, 1}, f(inf), run("GlobalMaxPool", Map.of(), t(f(1, inf, 3, 2), 1, 1, 2, 2)));
    }

    @Test
    void clipAllForms() {
        Tensor x = t(f(-2, 0.5f, 3), 3);
        // opset 13: bounds as inputs (here graph inputs, known only at run time), either may be omitted
        assertTensor(new int[] {3}, f(-1, 0.5f, 1), run("Clip", 13, Map.of(), x, t(f(-1)), t(f(1))));
        assertTensor(new int[] {3}, f(-2, 0.5f, 1), run("Clip", 13, Map.of(), x, null, t(f(1))));
        assertTensor(new int[] {3}, f(0, 0.5f, 3), run("Clip", 13, Map.of(), x, t(f(0))));
        // opset 6: bounds as attributes
        assertTensor(new int[] {3}, f(-1, 0.5f, 1), run("Clip", 6, Map.of("min", -1f, "max", 1f), x));
    }

    @Test
    void broadcastingArithmetic() {
        Tensor a = t(iota(6), 2, 3);
        Tensor b = t(f(10, 20, 30), 3);
        assertTensor(new int[] {2, 3}, f(10, 21, 32, 13, 24, 35), run("Add", Map.of(), a, b));
        assertTensor(new int[] {2, 3}, f(-10, -19, -28, -7, -16, -25), run("Sub", Map.of(), a, b));
        assertTensor(new int[] {2, 3}, f(2, 4, 6, 3, 6, 9), run("Mul", Map.of(), t(f(2, 3), 2, 1), t(f(1, 2, 3), 1, 3)));
        assertTensor(new int[] {2}, f(0.5f, 4), run("Div", Map.of(), t(f(1, 8), 2), t(f(2), 1)));
        assertTensor(new int[] {2}, f(9, 0.25f), run("Pow", Map.of(), t(f(3, 0.5f), 2), t(f(2))));
    }

    @Test
    void legacyBroadcastAttribute() {
        // opset 6 Add with broadcast=1, axis=1: b of shape [2] lines up with a's axis 1 of [1, 2, 2]
        Tensor a = t(f(1, 2, 3, 4), 1, 2, 2);
        Tensor y = run("Add", 6, Map.of("broadcast", 1L, "axis", 1L), a, t(f(10, 20), 2));
        assertTensor(new int[] {1, 2, 2}, f(11, 12, 23, 24), y);
    }

    @Test
    void variadic() {
        Tensor y = run("Sum", Map.of(), t(f(1), 1), t(f(1, 2), 2), t(f(10, 20), 2, 1));
        assertTensor(new int[] {2, 2}, f(12, 13, 22, 23), y);
        assertTensor(new int[] {2}, f(3, 6), run("Mean", Map.of(), t(f(2, 4), 2), t(f(4, 8), 2)));
        assertTensor(new int[] {2}, f(2, 4), run("Mean", Map.of(), t(f(2, 4), 2)));
        assertTensor(new int[] {2}, f(4, 8), run("Max", Map.of(), t(f(2, 8), 2), t(f(4, 1), 2)));
        assertTensor(new int[] {2}, f(2, 1), run("Min", Map.of(), t(f(2, 8), 2), t(f(4, 1), 2)));
    }

    @Test
    void broadcastMismatchIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> run("Add", Map.of(), t(iota(6), 2, 3), t(f(1, 2), 2)));
        assertTrue(e.getMessage().contains("[2, 3] and [2] cannot be broadcast"), e.getMessage());
    }

    @Test
    void batchNormalization() {
        // ch0: (x - 1) / sqrt(4) * 2 + 0; ch1: (x - 3) / sqrt(0.25) * 1 + 1
        Tensor x = t(f(1, 2, 3, 4), 1, 2, 1, 2);
        Tensor y = run("BatchNormalization", Map.of("epsilon", 0f), x, t(f(2, 1), 2), t(f(0, 1), 2), t(f(1, 3), 2), t(f(4, 0.25f), 2));
        assertTensor(new int[] {1, 2, 1, 2}, f(0, 1, 1, 3), y);
    }

    @Test
    void softmaxBothSemantics() {
        assertTensor(new int[] {2, 2}, f(0.25f, 0.75f, 0.5f, 0.5f), run("Softmax", Map.of(), t(f(0, LN3, 0, 0), 2, 2)));
        Tensor x = t(f(0, LN3, 0, 0), 1, 2, 2);
        // opset 13, axis 1: normalise over dim 1 only
        assertTensor(new int[] {1, 2, 2}, f(0.5f, 0.75f, 0.5f, 0.25f), run("Softmax", 13, Map.of("axis", 1L), x));
        // opset 11, axis 1: coerced to [1, 4], normalised over all four values (e^0 + 3 + 1 + 1 = 6)
        assertTensor(new int[] {1, 2, 2}, f(1f / 6, 0.5f, 1f / 6, 1f / 6), run("Softmax", 11, Map.of("axis", 1L), x));
    }

    @Test
    void identityAndDropoutPassThrough() {
        Tensor x = t(f(1, -2, 3), 3);
        assertTensor(new int[] {3}, f(1, -2, 3), run("Identity", Map.of(), x));
        assertTensor(new int[] {3}, f(1, -2, 3), run("Dropout", Map.of(), x));
        assertTensor(new int[] {3}, f(1, -2, 3), run("Dropout", 7, Map.of("ratio", 0.5f), x));
    }

    @Test
    void dropoutMaskIsReportedWhenUsed() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> OpHarness.runAll("Dropout", 13, Map.of(), 2, t(f(1), 1)));
        assertTrue(e.getMessage().contains("does not compute"), e.getMessage());
    }
}
