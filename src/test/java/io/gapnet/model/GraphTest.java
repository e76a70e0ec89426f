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
}
