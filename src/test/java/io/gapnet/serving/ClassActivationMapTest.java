package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ModelException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.GapHead;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassActivationMapTest {
    @Test
    void camOfALinearHeadOverTheInputIsKnownAnalytically() {
        // classes: 0 = channel 0, 1 = 2 * channel 1 - channel 0; the features are the input itself,
        // so cam_0 = x[0] and cam_1 = 2 x[1] - x[0], and their means are the logits
        Graph g = TinyModels.gapLinear(new float[] {1, 0, -1, 2}, 2, 2);
        float[] x = {1, 2, 3, 4, /* channel 1: */ 0, 1, 0, 1};
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            GapHead head = s.head();
            assertEquals("x", head.features());
            Tensor input = Tensor.of(x, 1, 2, 2, 2);
            Map<String, Tensor> out = s.run(Map.of("x", input), List.of(head.features()), null);
            Tensor features = out.get("x");
            assertArrayEquals(new float[] {1, 2, 3, 4}, head.cam(features, 0, 0));
            assertArrayEquals(new float[] {-1, 0, -3, -2}, head.cam(features, 0, 1));
            float[] logits = out.get("logits").floats();
            assertEquals(2.5f, logits[0], 1e-6); // mean of cam_0
            assertEquals(-1.5f, logits[1], 1e-6); // mean of cam_1
            assertArrayEquals(new int[] {1, 2}, s.embed(input).shape());
        }
    }

    @Test
    void modelsWithoutAGapHeadGetAClearError() {
        Graph g = new Graph("no-head", List.of(new Node("relu", "Relu", List.of("x"), List.of("y"), Attributes.none())), Map.of(),
                List.of(new ValueInfo("x", DType.FLOAT32, null, null)), List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        ModelException e = assertThrows(ModelException.class, () -> GapHead.find(g));
        assertTrue(e.getMessage().contains("stops at Relu node 'relu'"), e.getMessage());
    }
}
