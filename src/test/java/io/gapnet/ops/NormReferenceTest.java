package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LayerNormalization, InstanceNormalization, GroupNormalization, LpNormalization and GlobalLpPool, by hand. */
class NormReferenceTest {
    /** 1 / sqrt(1 + 1e-5): a unit deviation standardised with the default epsilon */
    static final float U = (float) (1 / Math.sqrt(1 + 1e-5));

    @Test
    void layerNormalizationOverTheLastAxis() {
        // rows [1, 2, 3] and [2, 4, 6] both standardise to [-sqrt 1.5, 0, sqrt 1.5] (epsilon 0)
        Tensor x = t(f(1, 2, 3, 2, 4, 6), 2, 3);
        float s = (float) Math.sqrt(1.5);
        assertTensor(new int[] {2, 3}, f(-s, 0, s, -s, 0, s), run("LayerNormalization", Map.of("epsilon", 0f), x,
                t(f(1, 1, 1), 3)));
        assertTensor(new int[] {2, 3}, f(-s, 1, -1 + 0.5f * s, -s, 1, -1 + 0.5f * s), run("LayerNormalization",
                Map.of("epsilon", 0f), x, t(f(1, 2, 0.5f), 3), t(f(0, 1, -1), 3)));
    }

    @Test
    void layerNormalizationFromAnAxisOn() {
        // axis 1 of [1, 2, 2]: all four values [0, 2, 4, 6] together, mean 3, variance 5
        float s = (float) Math.sqrt(5);
        assertTensor(new int[] {1, 2, 2}, f(-3 / s, -1 / s, 1 / s, 3 / s), run("LayerNormalization", Map.of("axis", 1L, "epsilon", 0f),
                t(f(0, 2, 4, 6), 1, 2, 2), t(f(1, 1, 1, 1), 2, 2)));
    }

    @Test
    void instanceNormalizationPerImageAndChannel() {
        // channel 0 [1, 3]: mean 2, variance 1; channel 1 [5, 5]: no variance, 0 / sqrt(eps) = 0
        Tensor x = t(f(1, 3, 5, 5), 1, 2, 1, 2);
        assertTensor(new int[] {1, 2, 1, 2}, f(0.5f - 2 * U, 0.5f + 2 * U, 3, 3), run("InstanceNormalization", Map.of(), x,
                t(f(2, 1), 2), t(f(0.5f, 3), 2)));
    }

    @Test
    void groupNormalizationPerChannelAndPerGroupAffine() {
        // groups {1, 3} and {10, 10}
        Tensor x = t(f(1, 3, 10, 10), 1, 4, 1, 1);
        assertTensor(new int[] {1, 4, 1, 1}, f(-U, U, 1, 1), run("GroupNormalization", 21, Map.of("num_groups", 2L), x,
                t(f(1, 1, 2, 2), 4), t(f(0, 0, 1, 1), 4)));
        assertTensor(new int[] {1, 4, 1, 1}, f(-3 * U, 3 * U, -1, -1), run("GroupNormalization", 18, Map.of("num_groups", 2L), x,
                t(f(3, 5), 2), t(f(0, -1), 2)));
        ShapeException e = assertThrows(ShapeException.class, () -> run("GroupNormalization", 21, Map.of("num_groups", 3L), x,
                t(f(1, 1, 1, 1), 4), t(f(0, 0, 0, 0), 4)));
        assertTrue(e.getMessage().contains("divisor of the 4 channels"), e.getMessage());
    }

    @Test
    void lpNormalizationAndGlobalLpPool() {
        Tensor x = t(f(3, 4, 0, 5), 2, 2);
        assertTensor(new int[] {2, 2}, f(0.6f, 0.8f, 0, 1), run("LpNormalization", Map.of("axis", 1L), x));
        assertTensor(new int[] {2, 2}, f(3f / 7, 4f / 7, 0, 1), run("LpNormalization", Map.of("axis", 1L, "p", 1L), x));
        assertTensor(new int[] {1, 1, 1, 1}, f(5), run("GlobalLpPool", Map.of(), t(f(3, 4, 0, 0), 1, 1, 2, 2)));
        assertTensor(new int[] {1, 1, 1, 1}, f(7), run("GlobalLpPool", Map.of("p", 1L), t(f(3, -4, 0, 0), 1, 1, 2, 2)));
        // (1 + 8) ^ (1/3)
        assertTensor(new int[] {1, 1, 1, 1}, f(2.0800838f), run("GlobalLpPool", Map.of("p", 3L), t(f(1, -2), 1, 1, 1, 2)));
        ShapeException e = assertThrows(ShapeException.class, () -> run("GlobalLpPool", Map.of(), t(new float[0], 1, 2, 0, 3)));
        assertTrue(e.getMessage().contains("empty spatial extent"), e.getMessage());
    }
}
