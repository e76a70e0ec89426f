package io.gapnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.Approx;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A projection shortcut computed in its block's last convolution step ({@link Compiler#pairShortcuts}): where the
 * plan pairs them, where it must not, and that the paired plan on the fast CPU backend computes what the reference
 * computes unpaired.
 */
class ConvPairsTest {
    private static final Graph RESNET50 = ResNets.build("resnet50", 10, 3);

    private static Map<String, Compiler.InputSig> input(Graph g, int... shape) {
        return Map.of(g.inputs().get(0).name(), new Compiler.InputSig(shape, DType.FLOAT32, null));
    }

    private static long pairSteps(Plan p) {
        return p.steps().stream().filter(s -> s.op().startsWith("Conv+Conv+Add")).count();
    }

    /** The outputs of the downsampling shortcuts in an optimised graph: the residuals that a Conv node computes. */
    private static List<String> shortcuts(Graph g) {
        java.util.Set<String> convOutputs = new java.util.HashSet<>();
        for (Node n : g.nodes()) if (n.opType().equals("Conv")) convOutputs.add(n.output(0));
        return g.nodes().stream().filter(n -> n.opType().equals("FusedConv") && n.inputs().size() > 3)
                .map(n -> n.input(3)).filter(convOutputs::contains).toList();
    }

    @Test
    void eachDownsamplingShortcutOfResNet50RunsInItsBlocksLastStep() {
        Graph g = GraphOptimizer.optimize(RESNET50);
        assertEquals(4, shortcuts(g).size(), "ResNet-50 has one projection shortcut per stage");
        Plan unpaired = Compiler.compile(g, input(g, 2, 3, 64, 64), List.of());
        Plan paired = Compiler.compile(g, input(g, 2, 3, 64, 64), List.of(), true);
        assertEquals(0, pairSteps(unpaired));
        assertEquals(4, pairSteps(paired));
        assertEquals(unpaired.steps().size() - 4, paired.steps().size());
        assertEquals(unpaired.macs(), paired.macs(), "the pair step counts both convolutions' work");
        for (Step s : paired.steps()) {
            assertFalse(s.node().contains("downsample") && !s.op().startsWith("Conv+Conv"), "a shortcut still has a step: " + s);
        }
    }

    @Test
    void aShortcutRequestedAsAnOutputKeepsItsOwnStep() {
        Graph g = GraphOptimizer.optimize(RESNET50);
        List<String> shortcuts = shortcuts(g);
        Plan p = Compiler.compile(g, input(g, 1, 3, 32, 32), List.of(shortcuts.get(1)), true);
        assertEquals(3, pairSteps(p));
    }

    /**
     * x -> 1x1 Conv a (2 -> 2 channels), x -> 1x1 Conv b, y = a + b, and a second graph output z = op(b): another reader
     * of the shortcut's output, or a view of it.
     */
    private static Graph shortcutAlsoReadBy(String op) {
        Map<String, Tensor> w = Map.of("wa", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2, 1, 1),
                "wb", Tensor.of(new float[] {-1, 0.5f, 2, -3}, 2, 2, 1, 1));
        List<Node> nodes = List.of(
                new Node("a", "Conv", List.of("x", "wa"), List.of("ya"), Attributes.none()),
                new Node("b", "Conv", List.of("x", "wb"), List.of("yb"), Attributes.none()),
                new Node("add", "Add", List.of("ya", "yb"), List.of("y"), Attributes.none()),
                new Node("also", op, List.of("yb"), List.of("z"), Attributes.none()));
        return GraphOptimizer.optimize(new Graph("shortcut and " + op, nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null), new ValueInfo("z", DType.FLOAT32, null, null)), 13));
    }

    @Test
    void aShortcutThatAnotherNodeReadsKeepsItsOwnStep() {
        Graph g = shortcutAlsoReadBy("Relu");
        Plan p = Compiler.compile(g, input(g, 1, 2, 3, 3), List.of(), true);
        assertEquals(0, pairSteps(p), p.steps().toString());
    }

    /** z = Flatten(b): a graph output that is a view of the shortcut's output. */
    @Test
    void aShortcutWhoseViewIsAnOutputKeepsItsOwnStep() {
        Graph g = shortcutAlsoReadBy("Flatten");
        Plan p = Compiler.compile(g, input(g, 1, 2, 3, 3), List.of(), true);
        assertEquals(0, pairSteps(p), p.steps().toString());
        // x = 1 everywhere: yb = [-0.5, -1] per pixel, the flattened output 9 of each
        float[] x = new float[18];
        java.util.Arrays.fill(x, 1f);
        try (CpuBackend fast = CpuBackend.fast(); Session s = Session.open(g, fast)) {
            Tensor z = s.run(Map.of("x", Tensor.of(x, 1, 2, 3, 3))).get("z");
            for (int i = 0; i < 18; i++) assertEquals(i < 9 ? -0.5f : -1f, z.floats()[i], 1e-6f, "element " + i);
        }
    }

    @Test
    void thePairedPlanOnTheFastPathComputesWhatTheReferenceDoesUnpaired() {
        float[] x = new float[2 * 3 * 96 * 96];
        Random r = new Random(5);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor in = Tensor.of(x, 2, 3, 96, 96);
        try (CpuBackend fast = CpuBackend.fast(); CpuBackend ref = new CpuBackend();
             Session s = Session.open(RESNET50, fast); Session want = Session.open(RESNET50, ref)) {
            assertTrue(fast.convPairs() && !ref.convPairs());
            assertEquals(4, pairSteps(s.plan(Map.of(s.singleInputName(), new int[] {2, 3, 96, 96}))));
            Approx.assertClose(want.run(in).floats(), s.run(in).floats(), 1e-3, 1e-3);
        }
    }
}
