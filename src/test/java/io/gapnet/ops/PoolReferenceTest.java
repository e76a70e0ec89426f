package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.ints;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Pools on x = [[1,2,3],[4,5,6],[7,8,9]] and global pools on two 2x2 channels, by hand. */
class PoolReferenceTest {
    static final Tensor X = t(f(1, 2, 3, 4, 5, 6, 7, 8, 9), 1, 1, 3, 3);
    static final Tensor TWO = t(f(1, 2, 3, 4, 5, 6, 7, 8), 1, 2, 2, 2);
    static final long[] K2 = {2, 2};

    @Test
    void maxPool() {
        assertTensor(new int[] {1, 1, 2, 2}, f(5, 6, 8, 9), run("MaxPool", Map.of("kernel_shape", K2), X));
        Tensor padded = run("MaxPool", Map.of("kernel_shape", K2, "pads", new long[] {1, 1, 1, 1}, "strides", K2), X);
        assertTensor(new int[] {1, 1, 2, 2}, f(1, 3, 7, 9), padded);
        Tensor ceil = run("MaxPool", Map.of("kernel_shape", K2, "strides", K2, "ceil_mode", 1L), X);
        assertTensor(new int[] {1, 1, 2, 2}, f(5, 6, 8, 9), ceil);
        Tensor floor = run("MaxPool", Map.of("kernel_shape", K2, "strides", K2), X);
        assertTensor(new int[] {1, 1, 1, 1}, f(5), floor);
        Tensor dilated = run("MaxPool", Map.of("kernel_shape", K2, "dilations", K2), X);
        assertTensor(new int[] {1, 1, 1, 1}, f(9), dilated);
    }

    @Test
    void averagePoolPadsAndCountIncludePad() {
        Map<String, Object> a = Map.of("kernel_shape", K2, "pads", new long[] {1, 1, 1, 1}, "strides", K2);
        assertTensor(new int[] {1, 1, 2, 2}, f(1, 2.5f, 5.5f, 7), run("AveragePool", a, X));
        Map<String, Object> inc = Map.of("kernel_shape", K2, "pads", new long[] {1, 1, 1, 1}, "strides", K2, "count_include_pad", 1L);
        assertTensor(new int[] {1, 1, 2, 2}, f(0.25f, 1.25f, 2.75f, 7), run("AveragePool", inc, X));
    }

    @Test
    void averagePoolCeilModeDividesByPositionsInside() {
        // the extra ceil-mode windows hang past the input: only the positions inside count, even with count_include_pad
        for (long include : new long[] {0, 1}) {
            Tensor y = run("AveragePool", Map.of("kernel_shape", K2, "strides", K2, "ceil_mode", 1L, "count_include_pad", include), X);
            assertTensor(new int[] {1, 1, 2, 2}, f(3, 4.5f, 7.5f, 9), y);
        }
    }

    @Test
    void globalPools() {
        assertTensor(new int[] {1, 2, 1, 1}, f(2.5f, 6.5f), run("GlobalAveragePool", Map.of(), TWO));
        assertTensor(new int[] {1, 2, 1, 1}, f(4, 8), run("GlobalMaxPool", Map.of(), TWO));
    }

    @Test
    void globalPoolOverEmptyExtentIsAnErrorNotNaN() {
        Tensor empty = t(new float[0], 1, 2, 0, 3);
        for (String op : new String[] {"GlobalAveragePool", "GlobalMaxPool"}) {
            ShapeException e = assertThrows(ShapeException.class, () -> run(op, Map.of(), empty));
            assertTrue(e.getMessage().contains("empty spatial extent"), e.getMessage());
        }
        ShapeException e = assertThrows(ShapeException.class,
                () -> run("ReduceMean", Map.of("axes", new long[] {2, 3}), empty));
        assertTrue(e.getMessage().contains("empty spatial extent"), e.getMessage());
    }

    @Test
    void reduceMean() {
        Tensor x = t(f(0, 1, 2, 3, 4, 5), 2, 3);
        assertTensor(new int[] {2}, f(1, 4), run("ReduceMean", Map.of("axes", new long[] {1}, "keepdims", 0L), x));
        assertTensor(new int[] {1, 3}, f(1.5f, 2.5f, 3.5f), run("ReduceMean", Map.of("axes", new long[] {0}), x));
        assertTensor(new int[] {1, 2, 1, 1}, f(2.5f, 6.5f), run("ReduceMean", Map.of("axes", new long[] {2, 3}), TWO));
        assertTensor(new int[] {1, 1}, f(2.5f), run("ReduceMean", Map.of(), x));
        // opset 18: axes as an input
        assertTensor(new int[] {2, 1}, f(1, 4), run("ReduceMean", 18, Map.of(), x, ints(-1)));
    }

    @Test
    void aWindowOverPaddingAloneIsRefusedNotMinusInfinity() {
        // pads of 2 around a 1x1 input with a 2x2 window: the first window covers only padding
        Tensor one = t(f(7), 1, 1, 1, 1);
        for (String op : new String[] {"MaxPool", "AveragePool"}) {
            ShapeException e = assertThrows(ShapeException.class, () -> run(op, Map.of("kernel_shape", K2, "pads",
                    new long[] {2, 2, 2, 2}), one));
            assertTrue(e.getMessage().contains("covers only padding"), e.getMessage());
        }
        // counting the padding, the mean over it is well defined: 0 / 4
        Tensor counted = run("AveragePool", Map.of("kernel_shape", K2, "pads", new long[] {2, 2, 2, 2}, "count_include_pad", 1L), one);
        assertTensor(new int[] {1, 1, 4, 4}, f(0, 0, 0, 0, 0, 7f / 4, 7f / 4, 0, 0, 7f / 4, 7f / 4, 0, 0, 0, 0, 0), counted);
        // pads below the window are fine
        assertTensor(new int[] {1, 1, 2, 2}, f(7, 7, 7, 7), run("MaxPool", Map.of("kernel_shape", K2, "pads", new long[] {1, 1, 1, 1}), one));
    }
}
