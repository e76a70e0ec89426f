package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.iota;
import static io.gapnet.ops.OpHarness.ints;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shape and data-movement ops, by hand. */
class ShapeReferenceTest {
    static final Tensor X234 = t(iota(24), 2, 3, 4);

    @Test
    void flatten() {
        assertArrayEquals(new int[] {6, 4}, run("Flatten", Map.of("axis", 2L), X234).shape());
        assertArrayEquals(new int[] {1, 24}, run("Flatten", Map.of("axis", 0L), X234).shape());
        assertArrayEquals(new int[] {6, 4}, run("Flatten", Map.of("axis", -1L), X234).shape());
        assertArrayEquals(new int[] {2, 12}, run("Flatten", Map.of(), X234).shape());
        assertArrayEquals(iota(24), run("Flatten", Map.of(), X234).floats());
    }

    @Test
    void reshapeZeroAndMinusOne() {
        assertArrayEquals(new int[] {2, 12}, run("Reshape", Map.of(), X234, ints(0, -1)).shape());
        assertArrayEquals(new int[] {4, 3, 2}, run("Reshape", Map.of(), X234, ints(4, -1, 2)).shape());
        Tensor empty = t(new float[0], 0, 3);
        assertArrayEquals(new int[] {3, 0}, run("Reshape", 14, Map.of("allowzero", 1L), empty, ints(3, 0)).shape());
        ShapeException e = assertThrows(ShapeException.class, () -> run("Reshape", Map.of(), X234, ints(5, -1)));
        assertTrue(e.getMessage().contains("do not divide evenly"), e.getMessage());
    }

    @Test
    void transpose() {
        assertTensor(new int[] {3, 2}, f(0, 3, 1, 4, 2, 5), run("Transpose", Map.of(), t(iota(6), 2, 3)));
        Tensor y = run("Transpose", Map.of("perm", new long[] {2, 0, 1}), t(iota(6), 1, 2, 3));
        assertTensor(new int[] {3, 1, 2}, f(0, 3, 1, 4, 2, 5), y);
    }

    @Test
    void squeezeUnsqueeze() {
        Tensor x = t(f(1, 2, 3), 1, 3, 1);
        assertArrayEquals(new int[] {3, 1}, run("Squeeze", Map.of(), x, ints(0)).shape());
        assertArrayEquals(new int[] {3}, run("Squeeze", Map.of(), x).shape());
        assertArrayEquals(new int[] {3}, run("Squeeze", 11, Map.of("axes", new long[] {0, -1}), x).shape());
        assertArrayEquals(new int[] {1, 3, 1}, run("Unsqueeze", Map.of(), t(f(1, 2, 3), 3), ints(0, 2)).shape());
        assertArrayEquals(new int[] {3, 1}, run("Unsqueeze", 11, Map.of("axes", new long[] {-1}), t(f(1, 2, 3), 3)).shape());
        assertThrows(ShapeException.class, () -> run("Squeeze", Map.of(), x, ints(1)));
    }

    @Test
    void concat() {
        Tensor y = run("Concat", Map.of("axis", 1L), t(f(1, 2), 2, 1), t(f(3, 4, 5, 6), 2, 2));
        assertTensor(new int[] {2, 3}, f(1, 3, 4, 2, 5, 6), y);
        assertTensor(new int[] {3, 2}, f(1, 2, 3, 4, 5, 6), run("Concat", Map.of("axis", -2L), t(f(1, 2), 1, 2), t(f(3, 4, 5, 6), 2, 2)));
    }

    @Test
    void padModes() {
        Tensor y = run("Pad", Map.of(), t(f(1, 2, 3, 4), 2, 2), ints(0, 1, 1, 0), t(f(9)));
        assertTensor(new int[] {3, 3}, f(9, 1, 2, 9, 3, 4, 9, 9, 9), y);
        assertTensor(new int[] {7}, f(3, 2, 1, 2, 3, 2, 1), run("Pad", Map.of("mode", "reflect"), t(f(1, 2, 3), 3), ints(2, 2)));
        assertTensor(new int[] {6}, f(1, 1, 2, 3, 3, 3), run("Pad", Map.of("mode", "edge"), t(f(1, 2, 3), 3), ints(1, 2)));
        assertTensor(new int[] {4}, f(0, 1, 2, 0), run("Pad", 2 + 4, Map.of("pads", new long[] {1, 1}), t(f(1, 2), 2)));
    }

    @Test
    void shapeGatherAndConstants() {
        Tensor s = run("Shape", Map.of(), X234);
        assertEquals(DType.INT64, s.dtype());
        assertArrayEquals(new long[] {2, 3, 4}, s.longs());
        assertArrayEquals(new long[] {3, 4}, run("Shape", 15, Map.of("start", 1L), X234).longs());
        Tensor x = t(iota(6), 3, 2);
        assertTensor(new int[] {2, 2}, f(4, 5, 0, 1), run("Gather", Map.of(), x, ints(2, 0)));
        assertTensor(new int[] {3, 1}, f(1, 3, 5), run("Gather", Map.of("axis", 1L), x, ints(-1)));
        assertArrayEquals(new long[] {30}, run("Gather", Map.of(), ints(10, 20, 30), ints(2)).longs());
        Tensor c = run("ConstantOfShape", Map.of("value", Tensor.of(f(7), 1)), ints(2, 3));
        assertTensor(new int[] {2, 3}, f(7, 7, 7, 7, 7, 7), c);
        assertTensor(new int[] {2}, f(1, 2), run("Constant", Map.of("value_floats", f(1, 2))));
        assertArrayEquals(new long[] {5}, run("Constant", Map.of("value_int", 5L)).longs());
    }

    @Test
    void sliceAndCast() {
        assertTensor(new int[] {2}, f(2, 5), run("Slice", Map.of(), t(iota(10), 10), ints(2), ints(8), ints(0), ints(3)));
        assertTensor(new int[] {5}, f(9, 7, 5, 3, 1), run("Slice", Map.of(), t(iota(10), 10), ints(-1), ints(-100), ints(0), ints(-2)));
        assertTensor(new int[] {2}, f(1, 2), run("Cast", Map.of("to", 1L), ints(1, 2)));
    }

    @Test
    void shapeSubgraphIsFoldedWhenShapesAreKnown() {
        // Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as torch exports x.view(x.size(0), -1)
        var nodes = java.util.List.of(
                new io.gapnet.model.Node("shape", "Shape", java.util.List.of("x"), java.util.List.of("s"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("g", "Gather", java.util.List.of("s", "zero"), java.util.List.of("n"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("u", "Unsqueeze", java.util.List.of("n", "axes"), java.util.List.of("n1"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("c", "Concat", java.util.List.of("n1", "minus1"), java.util.List.of("spec"),
                        new io.gapnet.model.Attributes(Map.of("axis", 0L))),
                new io.gapnet.model.Node("r", "Reshape", java.util.List.of("x", "spec"), java.util.List.of("y"), io.gapnet.model.Attributes.none()));
        Map<String, Tensor> inits = Map.of("zero", Tensor.ofLongs(new long[] {0}), "axes", Tensor.ofLongs(new long[] {0}, 1),
                "minus1", Tensor.ofLongs(new long[] {-1}, 1));
        var g = new io.gapnet.model.Graph("view", nodes, inits,
                java.util.List.of(new io.gapnet.model.ValueInfo("x", DType.FLOAT32, new long[] {-1, 2, -1}, null)),
                java.util.List.of(new io.gapnet.model.ValueInfo("y", DType.FLOAT32, null, null)), 13);
        try (var cpu = new io.gapnet.backend.cpu.CpuBackend(); var s = io.gapnet.runtime.Session.open(g, cpu)) {
            Tensor y = s.run(t(iota(12), 3, 2, 2));
            assertArrayEquals(new int[] {3, 4}, y.shape());
            assertArrayEquals(iota(12), y.floats());
            assertArrayEquals(new int[] {1, 8}, s.run(t(iota(8), 1, 2, 4)).shape());
            // the reshape is a view: no kernel runs at all
            assertEquals(0, s.plan(Map.of("x", new int[] {5, 2, 2})).steps().size());
        }
    }
}
