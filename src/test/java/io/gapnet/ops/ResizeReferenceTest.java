package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.ints;
import static io.gapnet.ops.OpHarness.runWithConstants;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Resize and Upsample, by hand. */
class ResizeReferenceTest {
    static final Tensor ROW = t(f(1, 3), 1, 1, 1, 2);

    static Tensor scales(float... s) {
        return t(s, s.length);
    }

    @Test
    void nearestUpsampleRepeatsEachPixel() {
        Tensor x = t(f(1, 2, 3, 4), 1, 1, 2, 2);
        assertTensor(new int[] {1, 1, 4, 4}, f(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4),
                runWithConstants("Upsample", 9, Map.of(), x, scales(1, 1, 2, 2)));
        assertTensor(new int[] {1, 1, 4, 4}, f(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4),
                runWithConstants("Resize", 13, Map.of("coordinate_transformation_mode", "asymmetric", "nearest_mode", "floor"), x, null,
                        scales(1, 1, 2, 2)));
    }

    @Test
    void linearHalfPixelAndAlignCorners() {
        // half_pixel, x2: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1) between 1 and 3
        assertTensor(new int[] {1, 1, 1, 4}, f(1, 1.5f, 2.5f, 3), runWithConstants("Resize", 13, Map.of("mode", "linear"), ROW, null,
                scales(1, 1, 1, 2)));
        // align_corners: sources 0, 1/3, 2/3, 1
        assertTensor(new int[] {1, 1, 1, 4}, f(1, 5f / 3, 7f / 3, 3), runWithConstants("Resize", 13, Map.of("mode", "linear",
                "coordinate_transformation_mode", "align_corners"), ROW, null, null, ints(1, 1, 1, 4)));
    }

    @Test
    void nearestRoundPreferFloorOnSizes() {
        // 2 -> 3, scale 1.5, half_pixel: sources -1/6, 0.5 (a tie: floor), 7/6
        assertTensor(new int[] {1, 1, 1, 3}, f(1, 1, 3), runWithConstants("Resize", 13, Map.of(), ROW, null, null, ints(1, 1, 1, 3)));
        assertTensor(new int[] {1, 1, 1, 3}, f(1, 3, 3), runWithConstants("Resize", 13, Map.of("nearest_mode", "round_prefer_ceil"), ROW, null,
                null, ints(1, 1, 1, 3)));
    }

    @Test
    void unsupportedModesAreNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> runWithConstants("Resize", 13, Map.of("mode", "cubic"), ROW, null,
                scales(1, 1, 1, 2)));
        assertTrue(e.getMessage().contains("mode 'cubic' is not supported"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> runWithConstants("Resize", 13, Map.of(), ROW, null, scales(1, 1, 2)));
        assertTrue(e.getMessage().contains("one value per input axis"), e.getMessage());
    }
}
