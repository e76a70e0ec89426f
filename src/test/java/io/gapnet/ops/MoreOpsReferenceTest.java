package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.iota;
import static io.gapnet.ops.OpHarness.ints;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Ops that CNNs from model zoos use beyond the ResNet family: LRN, PRelu, unary math, Split, Expand. */
class MoreOpsReferenceTest {
    @Test
    void lrnAcrossChannels() {
        Tensor x = t(f(1, 2, 3), 1, 3, 1, 1);
        // size 3, alpha/size = 1, beta 1, bias 1: y_c = x_c / (1 + sum of squares of the neighbouring channels)
        Tensor y = run("LRN", Map.of("size", 3L, "alpha", 3f, "beta", 1f, "bias", 1f), x);
        assertTensor(new int[] {1, 3, 1, 1}, f(1f / 6, 2f / 15, 3f / 14), y);
        // an even size looks one channel further ahead than behind: windows {0,1}, {1,2}, {2}
        Tensor even = run("LRN", Map.of("size", 2L, "alpha", 2f, "beta", 1f, "bias", 1f), x);
        assertTensor(new int[] {1, 3, 1, 1}, f(1f / 6, 2f / 14, 3f / 10), even);
    }

    @Test
    void preluPerChannel() {
        Tensor x = t(f(-2, 3, -4, 5), 1, 2, 1, 2);
        assertTensor(new int[] {1, 2, 1, 2}, f(-1, 3, -1, 5), run("PRelu", Map.of(), x, t(f(0.5f, 0.25f), 2, 1, 1)));
    }

    @Test
    void unaryMath() {
        assertTensor(new int[] {2}, f(-0.5f, 2), run("Elu", Map.of(), t(f((float) Math.log(0.5), 2), 2)));
        assertTensor(new int[] {1}, f(1.05070102f), run("Selu", Map.of(), t(f(1), 1)));
        assertTensor(new int[] {1}, f((float) Math.log(2)), run("Softplus", Map.of(), t(f(0), 1)));
        assertTensor(new int[] {2}, f(2, 1), run("Exp", Map.of(), t(f((float) Math.log(2), 0), 2)));
        assertTensor(new int[] {2}, f(0, 1), run("Log", Map.of(), t(f(1, (float) Math.E), 2)));
        assertTensor(new int[] {2}, f(2, 3), run("Sqrt", Map.of(), t(f(4, 9), 2)));
        assertTensor(new int[] {2}, f(2, -3), run("Neg", Map.of(), t(f(-2, 3), 2)));
        assertTensor(new int[] {2}, f(2, 3), run("Abs", Map.of(), t(f(-2, 3), 2)));
        assertTensor(new int[] {2}, f(0.25f, -2), run("Reciprocal", Map.of(), t(f(4, -0.5f), 2)));
    }

    @Test
    void split() {
        List<Tensor> parts = OpHarness.runAll("Split", 13, Map.of(), 2, t(iota(6), 6), ints(2, 4));
        assertTensor(new int[] {2}, f(0, 1), parts.get(0));
        assertTensor(new int[] {4}, f(2, 3, 4, 5), parts.get(1));
        List<Tensor> equal = OpHarness.runAll("Split", 11, Map.of("axis", 1L), 3, t(iota(6), 1, 6));
        assertEquals(3, equal.size());
        assertTensor(new int[] {1, 2}, f(4, 5), equal.get(2));
    }

    @Test
    void expand() {
        Tensor y = run("Expand", Map.of(), t(f(1, 2, 3), 3, 1), ints(2, 1, 4));
        float[] want = new float[24];
        for (int i = 0; i < 24; i++) want[i] = 1 + (i / 4) % 3;
        assertTensor(new int[] {2, 3, 4}, want, y);
    }
}
