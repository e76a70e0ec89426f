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

/** Conv on a 3x3 image x = [[1,2,3],[4,5,6],[7,8,9]], every expected value computed by hand. */
class ConvReferenceTest {
    static final Tensor X = t(f(1, 2, 3, 4, 5, 6, 7, 8, 9), 1, 1, 3, 3);
    static final Tensor ONES2 = t(f(1, 1, 1, 1), 1, 1, 2, 2);

    @Test
    void plainConvWithBias() {
        // y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37, then + bias 1
        Tensor y = run("Conv", Map.of(), X, t(f(1, 2, 3, 4), 1, 1, 2, 2), t(f(1), 1));
        assertTensor(new int[] {1, 1, 2, 2}, f(38, 48, 68, 78), y);
    }

    @Test
    void noBias() {
        Tensor y = run("Conv", Map.of(), X, t(f(1, 2, 3, 4), 1, 1, 2, 2));
        assertTensor(new int[] {1, 1, 2, 2}, f(37, 47, 67, 77), y);
    }

    @Test
    void paddedStrided() {
        // 3x3 ones, pad 1, stride 2: sums of the clipped neighbourhoods of the four corners
        Tensor w = t(f(1, 1, 1, 1, 1, 1, 1, 1, 1), 1, 1, 3, 3);
        Tensor y = run("Conv", Map.of("pads", new long[] {1, 1, 1, 1}, "strides", new long[] {2, 2}), X, w);
        assertTensor(new int[] {1, 1, 2, 2}, f(12, 16, 24, 28), y);
    }

    @Test
    void dilated() {
        // 2x2 ones dilated by 2 reach the four corners: 1 + 3 + 7 + 9
        Tensor y = run("Conv", Map.of("dilations", new long[] {2, 2}), X, ONES2);
        assertTensor(new int[] {1, 1, 1, 1}, f(20), y);
    }

    @Test
    void asymmetricPads() {
        // pads [top, left, bottom, right] = [1, 0, 0, 1]: a zero row above and a zero column at the right
        Tensor y = run("Conv", Map.of("pads", new long[] {1, 0, 0, 1}), X, ONES2);
        assertTensor(new int[] {1, 1, 3, 3}, f(3, 5, 3, 12, 16, 9, 24, 28, 15), y);
    }

    @Test
    void autoPadSameUpperAndLower() {
        Tensor upper = run("Conv", Map.of("auto_pad", "SAME_UPPER"), X, ONES2);
        assertTensor(new int[] {1, 1, 3, 3}, f(12, 16, 9, 24, 28, 15, 15, 17, 9), upper);
        Tensor lower = run("Conv", Map.of("auto_pad", "SAME_LOWER"), X, ONES2);
        assertTensor(new int[] {1, 1, 3, 3}, f(1, 3, 5, 5, 12, 16, 11, 24, 28), lower);
        Tensor valid = run("Conv", Map.of("auto_pad", "VALID"), X, ONES2);
        assertTensor(new int[] {1, 1, 2, 2}, f(12, 16, 24, 28), valid);
    }

    @Test
    void depthwiseAndGrouped() {
        Tensor dw = run("Conv", Map.of("group", 2L), t(f(2, 3), 1, 2, 1, 1), t(f(10, 100), 2, 1, 1, 1));
        assertTensor(new int[] {1, 2, 1, 1}, f(20, 300), dw);
        // group 2 of 2 input channels each: [1,1]·[1,2] = 3 and [1,-1]·[3,4] = -1
        Tensor g = run("Conv", Map.of("group", 2L), t(f(1, 2, 3, 4), 1, 4, 1, 1), t(f(1, 1, 1, -1), 2, 2, 1, 1));
        assertTensor(new int[] {1, 2, 1, 1}, f(3, -1), g);
    }

    @Test
    void batchOfThreeAndTwoOutputChannels() {
        // 1x1 conv: out channel 0 = x, out channel 1 = -2x; bias [0, 1]
        Tensor x = t(f(1, 2, 3), 3, 1, 1, 1);
        Tensor y = run("Conv", Map.of(), x, t(f(1, -2), 2, 1, 1, 1), t(f(0, 1), 2));
        assertTensor(new int[] {3, 2, 1, 1}, f(1, -1, 2, -3, 3, -5), y);
    }

    @Test
    void kernelShapeMismatchIsNamed() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> run("Conv", Map.of("kernel_shape", new long[] {3, 3}), X, ONES2));
        assertTrue(e.getMessage().contains("kernel_shape [3, 3] does not match weight shape [1, 1, 2, 2]"), e.getMessage());
    }

    @Test
    void channelMismatchIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> run("Conv", Map.of(), X, t(f(1, 1), 1, 2, 1, 1)));
        assertTrue(e.getMessage().contains("input has 1 channels"), e.getMessage());
    }

    @Test
    void emptyOutputIsAnError() {
        Tensor w = t(new float[16], 1, 1, 4, 4);
        ShapeException e = assertThrows(ShapeException.class, () -> run("Conv", Map.of(), X, w));
        assertTrue(e.getMessage().contains("output would be empty"), e.getMessage());
    }
}
