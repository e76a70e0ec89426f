package io.gapnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** The GAP head's per-channel explanation: each channel's term of the logit, by hand and against the model's own logits. */
class GapHeadTest {
    /** x [1, 2, 2, 2] -> GAP -> Flatten -> MatMul W [2, 3] -> Add b [3]. */
    static Graph matMulHead() {
        Map<String, Tensor> w = Map.of("W", Tensor.of(new float[] {1, 2, 0.5f, 3, -1, 4}, 2, 3),
                "b", Tensor.of(new float[] {0.5f, 0, -1}, 3));
        List<Node> nodes = List.of(
                new Node("gap", "GlobalAveragePool", List.of("x"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc", "MatMul", List.of("f", "W"), List.of("m"), Attributes.none()),
                new Node("bias", "Add", List.of("m", "b"), List.of("y"), Attributes.none()));
        return new Graph("head", nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    @Test
    void aMatMulAndAddHeadTakenApartByHand() {
        GapHead head = GapHead.find(matMulHead());
        assertArrayEquals(new float[] {0.5f, 0, -1}, head.bias());
        // channel 0 = [1, 2, 3, 6]: mean 3, max 6; channel 1 = -1 everywhere
        Tensor features = Tensor.of(new float[] {1, 2, 3, 6, -1, -1, -1, -1}, 1, 2, 2, 2);
        Tensor pooled = Tensor.of(new float[] {3, -1}, 1, 2, 1, 1);
        // class 1: 3 * 2 + (-1) * (-1) + 0 = 7
        GapHead.Explanation e = head.explain(pooled, features, 0, 1);
        assertEquals(7, e.logit(), 1e-6);
        assertEquals(0, e.channels().get(0).channel());
        assertEquals(6, e.channels().get(0).contribution(), 1e-6);
        assertEquals(6f / 7, e.channels().get(0).share(), 1e-6);
        assertEquals(6, e.channels().get(0).max(), 0);
        assertEquals(1, e.channels().get(1).contribution(), 1e-6);
        // class 0: 3 * 1 + (-1) * 3 + 0.5 = 0.5, the bias included
        GapHead.Explanation e0 = head.explain(pooled, features, 0, 0);
        assertEquals(0.5, e0.logit(), 1e-6);
        assertEquals(0.5, e0.bias(), 0);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(matMulHead(), cpu)) {
            assertArrayEquals(new float[] {0.5f, 7, -3.5f}, s.run(features).floats(), 1e-6f);
        }
    }

    @Test
    void theContributionsAndTheBiasAddUpToTheModelsLogitForEveryClass() {
        Graph g = ResNets.build("resnet18");
        Random rnd = new Random(17);
        float[] x = new float[3 * 64 * 64];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            GapHead head = s.head();
            String out = g.outputs().get(0).name();
            Map<String, Tensor> r = s.run(Map.of(s.singleInputName(), Tensor.of(x, 1, 3, 64, 64)),
                    List.of(head.features(), head.pooled()), null);
            float[] logits = r.get(out).floats();
            for (int c = 0; c < logits.length; c += 97) {
                GapHead.Explanation e = head.explain(r.get(head.pooled()), r.get(head.features()), 0, c);
                double sum = e.bias();
                for (GapHead.Channel ch : e.channels()) sum += ch.contribution();
                // the Session's Gemm against the host's sum of W[c,k] * gap_k
                assertEquals(logits[c], sum, 1e-4 * Math.max(1, Math.abs(logits[c])), "class " + c);
                assertEquals(512, e.channels().size());
                for (int i = 1; i < e.channels().size(); i++) {
                    assertTrue(e.channels().get(i - 1).contribution() >= e.channels().get(i).contribution(), "largest first");
                }
                for (GapHead.Channel ch : e.channels()) assertTrue(ch.max() >= ch.mean() - 1e-5, "a map's max is at least its mean");
            }
        }
    }

    @Test
    void anMlpHeadLinearisedAtTheImageAddsUpExactly() {
        // GAP -> Gemm (W1, b1) -> Relu -> Gemm (W2, b2)
        Map<String, Tensor> w = Map.of("W1", Tensor.of(new float[] {1, -1, -1, 0.5f}, 2, 2), "b1", Tensor.of(new float[] {0, 0.25f}, 2),
                "W2", Tensor.of(new float[] {2, 3, -1, 1}, 2, 2), "b2", Tensor.of(new float[] {0.5f, 0}, 2));
        Attributes t = new Attributes(Map.of("transB", 1L));
        List<Node> nodes = List.of(
                new Node("gap", "GlobalAveragePool", List.of("x"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc1", "Gemm", List.of("f", "W1", "b1"), List.of("h"), t),
                new Node("relu", "Relu", List.of("h"), List.of("a"), Attributes.none()),
                new Node("fc2", "Gemm", List.of("a", "W2", "b2"), List.of("y"), t));
        Graph g = new Graph("mlp", nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, null, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        GapHead head = GapHead.find(g);
        assertEquals(GapHead.Kind.MLP, head.kind());
        // maps [1, 3] and [0, 2]: gap (2, 1); h = (1, -1.25); relu (1, 0); logits (2 + 0.5, -1)
        Tensor features = Tensor.of(new float[] {1, 3, 0, 2}, 1, 2, 1, 2);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            assertArrayEquals(new float[] {2.5f, -1}, s.run(features).floats(), 1e-6f);
        }
        // class 0 at this image: the second hidden unit is off, so W_eff = 2 * (1, -1) and b_eff = 0.5
        GapHead.Explanation e = head.explain(Tensor.of(new float[] {2, 1}, 1, 2), features, 0, 0);
        assertEquals(2.5, e.logit(), 1e-6);
        assertEquals(0.5, e.bias(), 1e-6);
        assertEquals(new GapHead.Channel(0, 2, 2, 3, 4, 1.6f), e.channels().get(0));
        assertEquals(-2, e.channels().get(1).contribution(), 1e-6);
        assertArrayEquals(new float[] {2, 2}, head.cam(features, 0, 0), 1e-6f); // 2 * [1, 3] - 2 * [0, 2]
    }
}
