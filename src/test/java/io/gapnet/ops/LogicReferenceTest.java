package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Comparisons, logic, Where and ArgMax/ArgMin, by hand (booleans are 0/1). */
class LogicReferenceTest {
    static final float NAN = Float.NaN, INF = Float.POSITIVE_INFINITY;
    static final Tensor A = t(f(1, 2, 3, NAN), 4), B = t(f(2, 2, 2, 2), 4);

    @Test
    void comparisonsAndNanComparesFalse() {
        assertTensor(new int[] {4}, f(0, 1, 0, 0), run("Equal", Map.of(), A, B));
        assertTensor(new int[] {4}, f(1, 0, 0, 0), run("Less", Map.of(), A, B));
        assertTensor(new int[] {4}, f(0, 0, 1, 0), run("Greater", Map.of(), A, B));
        assertTensor(new int[] {4}, f(1, 1, 0, 0), run("LessOrEqual", 16, Map.of(), A, B));
        assertTensor(new int[] {4}, f(0, 1, 1, 0), run("GreaterOrEqual", 16, Map.of(), A, B));
        // broadcasting: [2, 1] against [3]
        assertTensor(new int[] {2, 3}, f(1, 1, 0, 0, 0, 0), run("Less", Map.of(), t(f(0, 1), 2, 1), t(f(1, 0.5f, -1), 3)));
    }

    @Test
    void logic() {
        Tensor p = t(f(0, 0, 1, 1), 4), q = t(f(0, 1, 0, 1), 4);
        assertTensor(new int[] {4}, f(0, 0, 0, 1), run("And", Map.of(), p, q));
        assertTensor(new int[] {4}, f(0, 1, 1, 1), run("Or", Map.of(), p, q));
        assertTensor(new int[] {4}, f(0, 1, 1, 0), run("Xor", Map.of(), p, q));
        assertTensor(new int[] {4}, f(1, 1, 0, 0), run("Not", Map.of(), p));
    }

    @Test
    void whereKeepsNanAndInfinityOfTheSideNotTakenOut() {
        Tensor c = t(f(1, 0, 1, 0), 4), x = t(f(10, NAN, -INF, 40), 4), y = t(f(NAN, 2, 3, INF), 4);
        assertTensor(new int[] {4}, f(10, 2, -INF, INF), run("Where", Map.of(), c, x, y));
        // broadcast condition [2, 1] over [2, 2]
        assertTensor(new int[] {2, 2}, f(1, 2, 7, 8), run("Where", Map.of(), t(f(1, 0), 2, 1), t(f(1, 2, 3, 4), 2, 2),
                t(f(5, 6, 7, 8), 2, 2)));
    }

    @Test
    void whereOnInt64ShapesFoldsOnTheHost() {
        // Where(Equal(shape, 0), 1, shape): the kind of shape arithmetic exporters write before a Reshape
        Map<String, Tensor> c = Map.of("s", Tensor.ofLongs(new long[] {0, 6}, 2), "zero", Tensor.ofLongs(new long[] {0}),
                "one", Tensor.ofLongs(new long[] {1}));
        List<Node> nodes = List.of(new Node("eq", "Equal", List.of("s", "zero"), List.of("e"), Attributes.none()),
                new Node("w", "Where", List.of("e", "one", "s"), List.of("shape"), Attributes.none()),
                new Node("r", "Reshape", List.of("x", "shape"), List.of("y"), Attributes.none()));
        Graph g = new Graph("where", nodes, c, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            assertArrayEquals(new int[] {1, 6}, s.run(Tensor.of(new float[6], 2, 3)).shape());
        }
    }

    @Test
    void argMaxAndArgMin() {
        Tensor x = t(f(3, 7, 7, 1, 5, 0, 0, 9), 2, 4);
        assertTensor(new int[] {2, 1}, f(1, 3), run("ArgMax", Map.of("axis", 1L), x));
        assertTensor(new int[] {2, 1}, f(2, 3), run("ArgMax", 12, Map.of("axis", 1L, "select_last_index", 1L), x));
        assertTensor(new int[] {2}, f(3, 2), run("ArgMin", 12, Map.of("axis", -1L, "keepdims", 0L, "select_last_index", 1L), x));
        assertTensor(new int[] {4}, f(1, 0, 0, 1), run("ArgMax", Map.of("keepdims", 0L), x)); // axis 0
        assertTensor(new int[] {}, f(1), run("ArgMax", Map.of("keepdims", 0L), t(f(1, NAN, 5), 3))); // NaN first, as numpy
        ShapeException e = assertThrows(ShapeException.class, () -> run("ArgMax", Map.of("axis", 1L), t(new float[0], 2, 0)));
        assertTrue(e.getMessage().contains("is empty"), e.getMessage());
    }

    @Test
    void anArgMaxGraphOutputIsInt64() {
        Node n = new Node("am", "ArgMax", List.of("x"), List.of("y"), new Attributes(Map.of("axis", 1L, "keepdims", 0L)));
        Graph g = new Graph("argmax", List.of(n), Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.INT64, null, null)), 13);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            Tensor y = s.run(Tensor.of(new float[] {0.1f, 0.7f, 0.2f, 0.9f, 0.05f, 0.05f}, 2, 3));
            assertEquals(DType.INT64, y.dtype());
            assertArrayEquals(new long[] {1, 0}, y.toLongs());
        }
    }
}
