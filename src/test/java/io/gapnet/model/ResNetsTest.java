package io.gapnet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ModelException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.runtime.Compiler;
import io.gapnet.runtime.GraphOptimizer;
import io.gapnet.runtime.Plan;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResNetsTest {
    /** Trainable parameters (BatchNorm running statistics are buffers, not parameters). */
    static long trainable(Graph g) {
        long n = 0;
        for (var e : g.initializers().entrySet()) {
            if (!e.getKey().endsWith("running_mean") && !e.getKey().endsWith("running_var")) n += e.getValue().numel();
        }
        return n;
    }

    @Test
    void parameterCountsMatchTorchvision() {
        // torchvision's published parameter counts for the ImageNet models
        assertEquals(11_689_512L, trainable(ResNets.build("resnet18")));
        assertEquals(21_797_672L, trainable(ResNets.build("resnet34")));
        assertEquals(25_557_032L, trainable(ResNets.build("resnet50")));
        assertEquals(44_549_160L, trainable(ResNets.build("resnet101")));
        assertEquals(60_192_808L, trainable(ResNets.build("resnet152")));
    }

    @Test
    void macsMatchPublishedFigures() {
        // published: ResNet-18 1.8 GMACs, ResNet-50 4.1 GMACs per 224x224 image
        assertEquals(1.82e9, macs("resnet18"), 0.01e9);
        assertEquals(4.09e9, macs("resnet50"), 0.01e9);
    }

    private static double macs(String name) {
        Plan p = Compiler.compile(GraphOptimizer.optimize(ResNets.build(name)),
                Map.of("input", new Compiler.InputSig(new int[] {1, 3, 224, 224}, DType.FLOAT32, null)), List.of());
        return p.macs();
    }

    @Test
    void anyClassCountAnySizeDeterministic() {
        Graph a = ResNets.build("resnet18", 7, 42), b = ResNets.build("resnet18", 7, 42), c = ResNets.build("resnet18", 7, 43);
        assertArrayEquals(a.initializers().get("conv1.weight").floats(), b.initializers().get("conv1.weight").floats());
        assertTrue(a.initializers().get("conv1.weight").floats()[0] != c.initializers().get("conv1.weight").floats()[0]);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(a, cpu)) {
            for (int[] hw : new int[][] {{32, 32}, {40, 56}, {64, 33}}) {
                Tensor y = s.run(Tensor.zeros(2, 3, hw[0], hw[1]));
                assertArrayEquals(new int[] {2, 7}, y.shape());
                for (float v : y.floats()) assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void unknownNameListsTheBuiltIns() {
        ModelException e = assertThrows(ModelException.class, () -> ResNets.build("resnet42"));
        assertTrue(e.getMessage().contains("resnet152"), e.getMessage());
    }
}
