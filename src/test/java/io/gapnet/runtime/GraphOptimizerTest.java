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

    /**
     * The tanh GELU, {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}: form 0 as PyTorch exports it (the cube as
     * x * (x * x), constants first), form 1 as written by hand in Hugging Face models (Pow(x, 3), 0.5 * x first).
     */
    static Graph tanhGelu(int form, float kappa, int opset) {
        Map<String, Tensor> c = Map.of("kappa", Tensor.scalar(kappa), "beta", Tensor.scalar(0.7978845834732056f),
                "one", Tensor.scalar(1f), "half", Tensor.scalar(0.5f), "three", Tensor.scalar(3f));
        List<Node> nodes = new java.util.ArrayList<>();
        if (form == 0) {
            nodes.add(new Node("sq", "Mul", List.of("x", "x"), List.of("xx"), Attributes.none()));
            nodes.add(new Node("cube", "Mul", List.of("x", "xx"), List.of("x3"), Attributes.none()));
            nodes.add(new Node("k", "Mul", List.of("kappa", "x3"), List.of("kx3"), Attributes.none()));
        } else {
            nodes.add(new Node("cube", "Pow", List.of("x", "three"), List.of("x3"), Attributes.none()));
            nodes.add(new Node("k", "Mul", List.of("x3", "kappa"), List.of("kx3"), Attributes.none()));
        }
        nodes.add(new Node("inner", "Add", List.of("x", "kx3"), List.of("s"), Attributes.none()));
        nodes.add(new Node("b", "Mul", form == 0 ? List.of("beta", "s") : List.of("s", "beta"), List.of("u"), Attributes.none()));
        nodes.add(new Node("t", "Tanh", List.of("u"), List.of("t"), Attributes.none()));
        nodes.add(new Node("a", "Add", form == 0 ? List.of("one", "t") : List.of("t", "one"), List.of("a"), Attributes.none()));
        if (form == 0) {
            nodes.add(new Node("xa", "Mul", List.of("x", "a"), List.of("xa"), Attributes.none()));
            nodes.add(new Node("y", "Mul", List.of("half", "xa"), List.of("y"), Attributes.none()));
        } else {
            nodes.add(new Node("hx", "Mul", List.of("half", "x"), List.of("hx"), Attributes.none()));
            nodes.add(new Node("y", "Mul", List.of("hx", "a"), List.of("y"), Attributes.none()));
        }
        return new Graph("gelu_tanh", nodes, c, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), opset);
    }

    @Test
    void theExportedTanhGeluBecomesOneGeluWithTheTanhApproximation() {
        for (int form = 0; form < 2; form++) {
            for (int opset : new int[] {13, 20}) {
                Graph g = GraphOptimizer.optimize(tanhGelu(form, 0.044715f, opset));
                assertEquals(1, g.nodes().size(), g.nodes().toString());
                Node gelu = g.nodes().get(0);
                assertEquals("Gelu", gelu.opType());
                assertEquals("tanh", gelu.attrs().getString("approximate", "none"));
                assertEquals(opset >= 20 ? "" : io.gapnet.runtime.ops.OpSet.GAPNET_DOMAIN, gelu.domain());
                assertEquals(form == 0 ? 9 : 8, gelu.origins().size(), "the fused node stands for every node it replaced");
                try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(tanhGelu(form, 0.044715f, opset), cpu)) {
                    Tensor y = s.run(Tensor.of(new float[] {-1, 0, 1, 2}, 4)); // Python, the formula in double
                    Approx.assertTensor(new int[] {4}, new float[] {-0.15880801f, 0, 0.84119199f, 1.9545977f}, y);
                }
            }
        }
    }

    @Test
    void aTanhChainWithOtherConstantsIsLeftAlone() {
        assertEquals(9, GraphOptimizer.optimize(tanhGelu(0, 0.05f, 13)).nodes().size());
    }

    /**
     * GeM pooling of x [1, 2, 1, 2] as exported: an optional clamp (Clip with its min as input or attribute, or Max),
     * Pow(p = 3), the spatial mean (ReduceMean over axes 2, 3 or GlobalAveragePool), Pow(q).
     */
    static Graph gem(String clamp, String pool, float q, int opset) {
        Map<String, Tensor> c = Map.of("eps", Tensor.scalar(1e-6f), "p", Tensor.scalar(3f), "q", Tensor.scalar(q));
        List<Node> nodes = new java.util.ArrayList<>();
        String base = "x";
        if (clamp.equals("Clip")) {
            nodes.add(opset >= 11 ? new Node("clamp", "Clip", List.of("x", "eps", ""), List.of("xc"), Attributes.none())
                    : new Node("clamp", "Clip", List.of("x"), List.of("xc"), new Attributes(Map.of("min", 1e-6f))));
            base = "xc";
        } else if (clamp.equals("Max")) {
            nodes.add(new Node("clamp", "Max", List.of("x", "eps"), List.of("xc"), Attributes.none()));
            base = "xc";
        }
        nodes.add(new Node("pow", "Pow", List.of(base, "p"), List.of("xp"), Attributes.none()));
        nodes.add(pool.equals("GlobalAveragePool") ? new Node("mean", pool, List.of("xp"), List.of("m"), Attributes.none())
                : new Node("mean", "ReduceMean", List.of("xp"), List.of("m"), new Attributes(Map.of("axes", new long[] {-2, -1},
                "keepdims", 0L))));
        nodes.add(new Node("root", "Pow", List.of("m", "q"), List.of("y"), Attributes.none()));
        return new Graph("gem", nodes, c, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), opset);
    }

    @Test
    void gemPoolingAsExportedBecomesOneGeM() {
        Tensor x = Tensor.of(new float[] {1, 2, -1, 3}, 1, 2, 1, 2);
        for (String clamp : new String[] {"Clip", "Max", "none"}) {
            for (String pool : new String[] {"ReduceMean", "GlobalAveragePool"}) {
                for (int opset : new int[] {9, 13}) {
                    Graph g = GraphOptimizer.optimize(gem(clamp, pool, 1 / 3f, opset));
                    String what = clamp + " " + pool + " opset " + opset;
                    assertEquals(List.of("GeM"), g.nodes().stream().map(Node::opType).toList(), what);
                    assertEquals(io.gapnet.runtime.ops.OpSet.GAPNET_DOMAIN, g.nodes().get(0).domain());
                    try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(gem(clamp, pool, 1 / 3f, opset), cpu)) {
                        // channel 0: ((1 + 8) / 2)^(1/3); channel 1: ((1e-18 + 27) / 2)^(1/3) clamped, ((-1 + 27) / 2)^(1/3) not
                        float c1 = clamp.equals("none") ? 2.3513347f : 2.3811016f;
                        int[] shape = pool.equals("GlobalAveragePool") ? new int[] {1, 2, 1, 1} : new int[] {1, 2};
                        Approx.assertTensor(shape, new float[] {1.6509636f, c1}, s.run(x));
                    }
                }
            }
        }
    }

    @Test
    void gemOverAnEmptyExtentIsAnErrorNotNaN() {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(gem("Clip", "GlobalAveragePool", 1 / 3f, 13), cpu)) {
            io.gapnet.GapnetException e = org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.GapnetException.class,
                    () -> s.run(Tensor.of(new float[0], 1, 2, 0, 3)));
            assertTrue(e.getMessage().contains("empty spatial extent"), e.getMessage());
            Approx.assertTensor(new int[] {1, 1, 1, 1}, new float[] {2}, s.run(Tensor.of(new float[] {2, 2}, 1, 1, 1, 2)));
        }
    }

    @Test
    void aPowerMeanWhoseExponentsDoNotInvertIsLeftAlone() {
        assertEquals(4, GraphOptimizer.optimize(gem("Clip", "ReduceMean", 0.5f, 13)).nodes().size());
    }
}
