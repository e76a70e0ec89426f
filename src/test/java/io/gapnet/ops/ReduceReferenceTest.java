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

/** The ONNX reduction family on the reference, against values computed by hand. */
class ReduceReferenceTest {
    static final float INF = Float.POSITIVE_INFINITY;
    /** [[0, 1, 2], [3, 4, 5]] */
    static final Tensor X = t(f(0, 1, 2, 3, 4, 5), 2, 3);
    static final Map<String, Object> ROWS = Map.of("axes", new long[] {1}, "keepdims", 0L);

    @Test
    void everyReductionOverTheLastAxis() {
        assertTensor(new int[] {2}, f(3, 12), run("ReduceSum", 11, ROWS, X));
        assertTensor(new int[] {2}, f(1, 4), run("ReduceMean", ROWS, X));
        assertTensor(new int[] {2}, f(2, 5), run("ReduceMax", ROWS, X));
        assertTensor(new int[] {2}, f(0, 3), run("ReduceMin", ROWS, X));
        assertTensor(new int[] {2}, f(0, 60), run("ReduceProd", ROWS, X));
        Tensor signed = t(f(-1, 2, -3, 4, -5, 6), 2, 3);
        assertTensor(new int[] {2}, f(6, 15), run("ReduceL1", ROWS, signed));
        assertTensor(new int[] {2}, f(3.7416574f, 8.774964f), run("ReduceL2", ROWS, signed)); // sqrt 14, sqrt 77
        assertTensor(new int[] {2}, f(14, 77), run("ReduceSumSquare", ROWS, signed));
        assertTensor(new int[] {2}, f(1.0986123f, 2.4849067f), run("ReduceLogSum", ROWS, X)); // ln 3, ln 12
        // ln(1 + e + e^2) = 2.4076060; the second row is the first plus 3
        assertTensor(new int[] {2}, f(2.4076060f, 5.4076060f), run("ReduceLogSumExp", ROWS, X));
    }

    @Test
    void logSumExpDoesNotOverflow() {
        assertTensor(new int[] {1}, f(1000.6931f), run("ReduceLogSumExp", ROWS, t(f(1000, 1000), 1, 2))); // 1000 + ln 2
        assertTensor(new int[] {1}, f(INF), run("ReduceLogSumExp", ROWS, t(f(1, INF), 1, 2)));
    }

    @Test
    void axesKeepdimsAndNegativeAxes() {
        assertTensor(new int[] {1, 3}, f(3, 5, 7), run("ReduceSum", 11, Map.of("axes", new long[] {0}), X));
        assertTensor(new int[] {1, 1}, f(5), run("ReduceMax", Map.of(), X)); // no axes: all of them
        assertTensor(new int[] {3}, f(0, 1, 2), run("ReduceMin", Map.of("axes", new long[] {-2}, "keepdims", 0L), X));
        assertTensor(new int[] {}, f(0), run("ReduceProd", Map.of("axes", new long[] {0, 1}, "keepdims", 0L), X));
    }

    @Test
    void axesAsAnInputFromOpset13ForSumAnd18ForTheRest() {
        assertTensor(new int[] {2, 1}, f(3, 12), run("ReduceSum", 13, Map.of(), X, ints(1)));
        assertTensor(new int[] {1, 3}, f(3, 4, 5), run("ReduceMax", 18, Map.of(), X, ints(0)));
        assertTensor(new int[] {3}, f(9, 17, 29), run("ReduceSumSquare", 18, Map.of("keepdims", 0L), X, ints(0)));
        // no axes: every axis, unless noop_with_empty_axes makes it the identity
        assertTensor(new int[] {1, 1}, f(15), run("ReduceSum", 13, Map.of(), X));
        assertTensor(new int[] {2, 3}, f(0, 1, 2, 3, 4, 5), run("ReduceSum", 13, Map.of("noop_with_empty_axes", 1L), X));
        assertTensor(new int[] {2, 3}, f(0, 1, 2, 3, 4, 5), run("ReduceL1", 18, Map.of("noop_with_empty_axes", 1L), X, ints()));
    }

    @Test
    void anEmptyExtentGivesTheIdentityButTheMeanIsRefused() {
        Tensor empty = t(new float[0], 2, 0);
        assertTensor(new int[] {2}, f(0, 0), run("ReduceSum", 11, ROWS, empty));
        assertTensor(new int[] {2}, f(1, 1), run("ReduceProd", ROWS, empty));
        assertTensor(new int[] {2}, f(-INF, -INF), run("ReduceMax", ROWS, empty));
        assertTensor(new int[] {2}, f(INF, INF), run("ReduceMin", ROWS, empty));
        assertTensor(new int[] {2}, f(-INF, -INF), run("ReduceLogSumExp", ROWS, empty));
        assertTensor(new int[] {2}, f(0, 0), run("ReduceL2", ROWS, empty));
        ShapeException e = assertThrows(ShapeException.class, () -> run("ReduceMean", ROWS, empty));
        assertTrue(e.getMessage().contains("empty extent"), e.getMessage());
    }

    @Test
    void nanWinsTheMaxAndTheMin() {
        Tensor x = t(f(1, Float.NaN, 3), 1, 3);
        assertTensor(new int[] {1}, f(Float.NaN), run("ReduceMax", ROWS, x));
        assertTensor(new int[] {1}, f(Float.NaN), run("ReduceMin", ROWS, x));
        assertTensor(new int[] {1}, f(Float.NaN), run("ReduceLogSumExp", ROWS, x));
    }

    @Test
    void spatialMaxIsGlobalMaxPooling() {
        Tensor x = t(f(1, 7, 3, 2, -1, -2, -3, -4), 1, 2, 2, 2);
        assertTensor(new int[] {1, 2, 1, 1}, f(7, -1), run("ReduceMax", Map.of("axes", new long[] {2, 3}), x));
    }

    @Test
    void aRepeatedAxisIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> run("ReduceSum", 11, Map.of("axes", new long[] {1, -1}), X));
        assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
    }

    @Test
    void int64ReductionsOfShapesFoldOnTheHost() {
        // Reshape(x, ReduceProd(Shape(x))): the flattened size as exporters compute it
        java.util.List<io.gapnet.model.Node> nodes = java.util.List.of(
                new io.gapnet.model.Node("shape", "Shape", java.util.List.of("x"), java.util.List.of("s"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("prod", "ReduceProd", java.util.List.of("s"), java.util.List.of("p"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("max", "ReduceMax", java.util.List.of("s"), java.util.List.of("m"), io.gapnet.model.Attributes.none()),
                new io.gapnet.model.Node("cat", "Concat", java.util.List.of("p", "m"), java.util.List.of("c"),
                        new io.gapnet.model.Attributes(Map.of("axis", 0L))),
                new io.gapnet.model.Node("sum", "ReduceSum", java.util.List.of("c"), java.util.List.of("n"),
                        new io.gapnet.model.Attributes(Map.of("keepdims", 1L))),
                new io.gapnet.model.Node("r", "Reshape", java.util.List.of("x", "p"), java.util.List.of("y"), io.gapnet.model.Attributes.none()));
        io.gapnet.model.Graph g = new io.gapnet.model.Graph("prod", nodes, Map.of(),
                java.util.List.of(new io.gapnet.model.ValueInfo("x", io.gapnet.tensor.DType.FLOAT32, null, null)),
                java.util.List.of(new io.gapnet.model.ValueInfo("y", io.gapnet.tensor.DType.FLOAT32, null, null),
                        new io.gapnet.model.ValueInfo("n", io.gapnet.tensor.DType.INT64, null, null)), 11);
        try (io.gapnet.backend.cpu.CpuBackend cpu = new io.gapnet.backend.cpu.CpuBackend();
             io.gapnet.runtime.Session s = io.gapnet.runtime.Session.open(g, cpu)) {
            Map<String, Tensor> out = s.run(Map.of("x", Tensor.of(new float[24], 2, 3, 4)));
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {24}, out.get("y").shape());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {28}, out.get("n").toLongs()); // 24 + max(2, 3, 4)
        }
    }
}
