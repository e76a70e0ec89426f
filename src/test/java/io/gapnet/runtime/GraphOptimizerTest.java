package io.gapnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;

class GraphOptimizerTest {
    /** x [1,1,1,2] -> 1x1 Conv (w = [2, -1] over 2 output channels, bias [1, 0]) -> BN -> Relu. */
    static Graph convBnRelu() {
        Map<String, Tensor> w = Map.of(
                "w", Tensor.of(new float[] {2, -1}, 2, 1, 1, 1), "b", Tensor.of(new float[] {1, 0}, 2),
                "scale", Tensor.of(new float[] {3, 1}, 2), "beta", Tensor.of(new float[] {0.5f, 0}, 2),
                "mean", Tensor.of(new float[] {1, 0}, 2), "var", Tensor.of(new float[] {4, 1}, 2));
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "w", "b"), List.of("c"), Attributes.none()),
                new Node("bn", "BatchNormalization", List.of("c", "scale", "beta", "mean", "var"), List.of("n"),
                        new Attributes(Map.of("epsilon", 0f))),
                new Node("relu", "Relu", List.of("n"), List.of("y"), Attributes.none()));
        return new Graph("cbr", nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    @Test
    void batchNormIsFoldedAndReluFused() {
        Graph g = GraphOptimizer.optimize(convBnRelu());
        assertEquals(1, g.nodes().size(), g.nodes().toString());
        assertEquals("FusedConv", g.nodes().get(0).opType());
        assertEquals("Conv node 'conv'", g.nodes().get(0).describe());
        assertTrue(!g.initializers().containsKey("scale"), "unused initializers are dropped");
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(convBnRelu(), cpu)) {
            // x = [1, 3]: conv ch0 = 2x + 1 = [3, 7]; bn ch0 = (c - 1) / 2 * 3 + 0.5 = [3.5, 9.5]
            // conv ch1 = -x = [-1, -3]; bn ch1 = c; relu -> 0
            Tensor y = s.run(Tensor.of(new float[] {1, 3}, 1, 1, 1, 2));
            Approx.assertTensor(new int[] {1, 2, 1, 2}, new float[] {3.5f, 9.5f, 0, 0}, y);
        }
    }

    @Test
    void resnetBecomesOneStepPerConvolution() {
        Graph g = GraphOptimizer.optimize(ResNets.build("resnet18"));
        long convs = g.nodes().stream().filter(n -> n.opType().equals("FusedConv") || n.opType().equals("Conv")).count();
        assertEquals(20, convs);
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("BatchNormalization") || n.opType().equals("Add")
                || n.opType().equals("Relu")).count(), "every BN, residual Add and ReLU is folded or fused");
    }

    @Test
    void aFusedNodeRemembersTheModelsNodesAndUnfusesBackIntoThem() {
        Graph g = GraphOptimizer.optimize(convBnRelu());
        Node fused = g.nodes().get(0);
        assertEquals(List.of("conv", "bn", "relu"), fused.origins());
        Map<String, Tensor> inits = new java.util.LinkedHashMap<>();
        List<Node> onnx = GraphOptimizer.unfuse(fused, inits, 13);
        assertEquals(List.of("Conv", "Relu"), onnx.stream().map(Node::opType).toList());
        assertTrue(onnx.stream().allMatch(n -> n.domain().isEmpty()), "default-domain ONNX ops only");
        assertTrue(!onnx.get(0).attrs().has("activation"), "the Conv carries no fusion attribute");
        assertEquals("y", onnx.get(1).output(0));
        // the unfused nodes compute what the fused one does: x = [1, 3] gives [3.5, 9.5, 0, 0] as above
        Map<String, Tensor> weights = new java.util.LinkedHashMap<>(g.initializers());
        weights.putAll(inits);
        Graph back = new Graph("back", onnx, weights, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(back, cpu)) {
            Approx.assertTensor(new int[] {1, 2, 1, 2}, new float[] {3.5f, 9.5f, 0, 0}, s.run(Tensor.of(new float[] {1, 3}, 1, 1, 1, 2)));
        }
    }

    @Test
    void clipUnfusesWithItsBoundsAsInputsFromOpset11AndAttributesBefore() {
        Node fused = new Node("c", "Conv", List.of("x", "w"), List.of("y"), Attributes.none())
                .rewrite("FusedConv", io.gapnet.runtime.ops.OpSet.GAPNET_DOMAIN, List.of("x", "w", "", "r"), List.of("y"),
                        io.gapnet.runtime.ops.Activations.withActivation(Attributes.none(), io.gapnet.backend.Activation.clip(0, 6)));
        Map<String, Tensor> inits = new java.util.LinkedHashMap<>();
        List<Node> at13 = GraphOptimizer.unfuse(fused, inits, 13);
        assertEquals(List.of("Conv", "Add", "Clip"), at13.stream().map(Node::opType).toList());
        assertEquals(List.of("y::sum", "c::act_min", "c::act_max"), at13.get(2).inputs());
        assertEquals(0f, inits.get("c::act_min").floats()[0]);
        assertEquals(6f, inits.get("c::act_max").floats()[0]);
        List<Node> at9 = GraphOptimizer.unfuse(fused, new java.util.LinkedHashMap<>(), 9);
        assertEquals(6f, at9.get(2).attrs().getFloat("max", 0));
    }

    /** GELU as PyTorch exports it before opset 20, with the product with x and 0.5 in the given order (0, 1 or 2). */
    static Graph decomposedGelu(int order, float one, int opset) {
        Map<String, Tensor> c = Map.of("sqrt2", Tensor.scalar((float) Math.sqrt(2)), "one", Tensor.scalar(one),
                "half", Tensor.scalar(0.5f));
        List<Node> nodes = new java.util.ArrayList<>(List.of(
                new Node("div", "Div", List.of("x", "sqrt2"), List.of("d"), Attributes.none()),
                new Node("erf", "Erf", List.of("d"), List.of("e"), Attributes.none()),
                new Node("add", "Add", List.of("e", "one"), List.of("a"), Attributes.none())));
        if (order == 0) { // (x * (1 + erf)) * 0.5
            nodes.add(new Node("m1", "Mul", List.of("x", "a"), List.of("m"), Attributes.none()));
            nodes.add(new Node("m2", "Mul", List.of("m", "half"), List.of("y"), Attributes.none()));
        } else if (order == 1) { // ((1 + erf) * 0.5) * x
            nodes.add(new Node("m1", "Mul", List.of("a", "half"), List.of("m"), Attributes.none()));
            nodes.add(new Node("m2", "Mul", List.of("x", "m"), List.of("y"), Attributes.none()));
        } else { // (x * 0.5) * (1 + erf)
            nodes.add(0, new Node("h", "Mul", List.of("x", "half"), List.of("hx"), Attributes.none()));
            nodes.add(new Node("m1", "Mul", List.of("hx", "a"), List.of("y"), Attributes.none()));
        }
        return new Graph("gelu", nodes, c, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), opset);
    }

    @Test
    void theExportedErfGeluBecomesOneGeluInEveryOrder() {
        for (int order = 0; order < 3; order++) {
            for (int opset : new int[] {17, 20}) {
                Graph g = GraphOptimizer.optimize(decomposedGelu(order, 1, opset));
                assertEquals(1, g.nodes().size(), g.nodes().toString());
                Node gelu = g.nodes().get(0);
                assertEquals("Gelu", gelu.opType());
                assertEquals(opset >= 20 ? "" : io.gapnet.runtime.ops.OpSet.GAPNET_DOMAIN, gelu.domain());
                assertEquals(5, gelu.origins().size(), "the fused node stands for the five it replaced");
                try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(decomposedGelu(order, 1, opset), cpu)) {
                    Tensor y = s.run(Tensor.of(new float[] {-1, 0, 1, 2}, 4)); // Python: x/2 (1 + math.erf(x / sqrt 2))
                    Approx.assertTensor(new int[] {4}, new float[] {-0.15865525f, 0, 0.84134475f, 1.9544997f}, y);
                }
            }
        }
    }

    @Test
    void aChainThatIsNotGeluIsLeftAlone() {
        Graph g = GraphOptimizer.optimize(decomposedGelu(0, 2, 17)); // 2 + erf: not GELU
        assertEquals(5, g.nodes().size(), g.nodes().toString());
    }

    @Test
    void swishHardSwishAndMishAsExportedBecomeOneActivationThatAConvAbsorbs() {
        // conv (1x1, weight 1) -> Sigmoid -> Mul = SiLU; then x * HardSigmoid(x) and x * Tanh(Softplus(x)) on the input
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.none()),
                new Node("sig", "Sigmoid", List.of("c"), List.of("s"), Attributes.none()),
                new Node("silu", "Mul", List.of("c", "s"), List.of("y1"), Attributes.none()),
                new Node("hs", "HardSigmoid", List.of("x"), List.of("h"), new Attributes(Map.of("alpha", 1f / 6, "beta", 0.5f))),
                new Node("hswish", "Mul", List.of("h", "x"), List.of("y2"), Attributes.none()),
                new Node("sp", "Softplus", List.of("x"), List.of("p"), Attributes.none()),
                new Node("th", "Tanh", List.of("p"), List.of("t"), Attributes.none()),
                new Node("mish", "Mul", List.of("x", "t"), List.of("y3"), Attributes.none()));
        Graph graph = new Graph("gated", nodes, Map.of("w", Tensor.of(new float[] {1}, 1, 1, 1, 1)),
                List.of(new ValueInfo("x", DType.FLOAT32, null, null)), List.of(new ValueInfo("y1", DType.FLOAT32, null, null),
                new ValueInfo("y2", DType.FLOAT32, null, null), new ValueInfo("y3", DType.FLOAT32, null, null)), 13);
        Graph g = GraphOptimizer.optimize(graph);
        assertEquals(List.of("FusedConv", "HardSwish", "Mish"), g.nodes().stream().map(Node::opType).toList());
        assertEquals("SILU", g.nodes().get(0).attrs().getString("activation", ""));
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(graph, cpu)) {
            Map<String, Tensor> y = s.run(Map.of("x", Tensor.of(new float[] {1}, 1, 1, 1, 1)));
            // 1 / (1 + e^-1); 1 * (1/6 + 1/2); tanh(ln(1 + e))
            Approx.assertTensor(new int[] {1, 1, 1, 1}, new float[] {0.7310586f}, y.get("y1"));
            Approx.assertTensor(new int[] {1, 1, 1, 1}, new float[] {2f / 3}, y.get("y2"));
            Approx.assertTensor(new int[] {1, 1, 1, 1}, new float[] {0.8650984f}, y.get("y3"));
        }
    }
}
