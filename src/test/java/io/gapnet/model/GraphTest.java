package io.gapnet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ModelException;
import io.gapnet.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GraphTest {
    static final List<ValueInfo> IN = List.of(new ValueInfo("x", DType.FLOAT32, null, null));

    static Node relu(String name, String in, String out) {
        return new Node(name, "Relu", List.of(in), List.of(out), Attributes.none());
    }

    @Test
    void nodesAreSortedTopologically() {
        Graph g = new Graph("g", List.of(relu("b", "a1", "b1"), relu("a", "x", "a1")), Map.of(), IN,
                List.of(new ValueInfo("b1", DType.FLOAT32, null, null)), 13);
        assertEquals("a", g.nodes().get(0).name());
    }

    @Test
    void cyclesAndDoubleProducersAreRejected() {
        ModelException cycle = assertThrows(ModelException.class, () -> new Graph("g",
                List.of(relu("a", "b1", "a1"), relu("b", "a1", "b1")), Map.of(), IN, List.of(), 13));
        assertTrue(cycle.getMessage().contains("cycle"), cycle.getMessage());
        ModelException twice = assertThrows(ModelException.class, () -> new Graph("g",
                List.of(relu("a", "x", "y"), relu("b", "x", "y")), Map.of(), IN, List.of(), 13));
        assertTrue(twice.getMessage().contains("exactly one producer"), twice.getMessage());
        ModelException missingOut = assertThrows(ModelException.class, () -> new Graph("g", List.of(), Map.of(), IN,
                List.of(new ValueInfo("nope", DType.FLOAT32, null, null)), 13));
        assertTrue(missingOut.getMessage().contains("output 'nope' is not produced"), missingOut.getMessage());
    }

    @Test
    void sortingKeepsAnOrderedGraphsOrderAndBreaksTiesByInputOrder() {
        // a diamond given in order, and the same nodes shuffled: x -> a, b -> c
        Node a = relu("a", "x", "a1"), b = relu("b", "x", "b1");
        Node c = new Node("c", "Add", List.of("a1", "b1"), List.of("c1"), Attributes.none());
        List<ValueInfo> out = List.of(new ValueInfo("c1", DType.FLOAT32, null, null));
        assertEquals(List.of("a", "b", "c"), new Graph("g", List.of(a, b, c), Map.of(), IN, out, 13).nodes().stream().map(Node::name).toList());
        assertEquals(List.of("b", "a", "c"), new Graph("g", List.of(c, b, a), Map.of(), IN, out, 13).nodes().stream().map(Node::name).toList());
    }

    @Test
    void aLongChainStoredInReverseIsSortedInOnePass() {
        // 200,000 nodes in reverse order took the old pass-per-node sort past 300 s; this is one linear pass
        int n = 200_000;
        java.util.ArrayList<Node> nodes = new java.util.ArrayList<>(n);
        for (int i = n - 1; i >= 0; i--) nodes.add(relu("r" + i, i == 0 ? "x" : "v" + (i - 1), "v" + i));
        Graph g = new Graph("chain", nodes, Map.of(), IN, List.of(new ValueInfo("v" + (n - 1), DType.FLOAT32, null, null)), 13);
        for (int i = 0; i < n; i += 9973) assertEquals("r" + i, g.nodes().get(i).name());
        assertEquals("r" + (n - 1), g.nodes().get(n - 1).name());
    }
}
