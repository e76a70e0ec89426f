package io.gapnet.reliability;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.NonFiniteException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Session;
import io.gapnet.runtime.SessionOptions;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FiniteCheckTest {
    /** x -> Relu -> Log ('log_layer') -> Exp: Log of a zero gives -infinity, first at the Log. */
    static Graph graph() {
        List<Node> nodes = List.of(
                new Node("relu", "Relu", List.of("x"), List.of("r"), Attributes.none()),
                new Node("log_layer", "Log", List.of("r"), List.of("l"), Attributes.none()),
                new Node("exp", "Exp", List.of("l"), List.of("y"), Attributes.none()));
        return new Graph("g", nodes, Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    @Test
    void namesTheFirstLayerThatProducesNonFiniteValues() {
        Tensor x = Tensor.of(new float[] {1, 2, -3, 4}, 4);
        try (CpuBackend cpu = new CpuBackend(); Session plain = Session.open(graph(), cpu);
             Session checked = Session.open(graph(), cpu, SessionOptions.DEFAULT.withCheckFinite(true))) {
            plain.run(x); // without the check the -inf flows on silently (exp(-inf) = 0)
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> checked.run(x));
            assertTrue(e.getMessage().contains("node 'log_layer'"), e.getMessage());
            assertTrue(e.getMessage().contains("-Infinity at element 2"), e.getMessage());
            NonFiniteException in = assertThrows(NonFiniteException.class,
                    () -> checked.run(Tensor.of(new float[] {1, Float.NaN, 0, 0}, 4)));
            assertTrue(in.getMessage().contains("input 'x' holds NaN at element 1"), in.getMessage());
            checked.run(Tensor.of(new float[] {1, 2, 3, 4}, 4));
        }
    }
}
