package io.gapnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.TestGraphs;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Device-resident inputs and outputs ({@link Session#runOnDevice}) on every backend this machine has: two models
 * chained without the host give the hand-computed answer, a device run gives exactly what a host run gives, an input
 * in another backend's memory is refused with a clear message, and nothing is left allocated afterwards.
 */
class DeviceTensorTest {
    static List<String> backends() {
        return Backends.available();
    }

    /** relu(2 x) channel by channel: a 1x1 convolution with 2 on the diagonal, then Relu; [N, 3, H, W] in and out. */
    static Graph doubler() {
        float[] w = new float[9];
        for (int c = 0; c < 3; c++) w[c * 3 + c] = 2;
        List<Node> nodes = List.of(new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.none()),
                new Node("relu", "Relu", List.of("c"), List.of("feat"), Attributes.none()));
        return new Graph("doubler", nodes, Map.of("w", Tensor.of(w, 3, 3, 1, 1)),
                List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, 3, -1, -1}, null)),
                List.of(new ValueInfo("feat", DType.FLOAT32, null, null)), 13);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void twoModelsChainedOnTheDeviceGiveTheHandComputedAnswer(String name) {
        try (Backend b = Backends.open(name)) {
            long live = b.liveAllocations();
            try (Session first = Session.open(doubler(), b); Session second = Session.open(TestGraphs.tinyCnn(), b)) {
                // x[c] = c + 1 everywhere: feat = [2, 4, 6]; tinyCnn's conv gives 0.5*2 - 4 + 2*6 = 9 and
                // 0.25*2 + 4 + 6 = 10.5, GAP keeps them, and the Gemm with [[1, 2], [3, 4]] transposed gives 30 and 69
                float[] x = new float[3 * 2 * 5];
                for (int i = 0; i < x.length; i++) x[i] = i / 10 + 1;
                for (int run = 0; run < 3; run++) { // later runs replay (CUDA graphs) and reuse the slots
                    try (DeviceTensor in = DeviceTensor.upload(b, Tensor.of(x, 1, 3, 2, 5))) {
                        Map<String, DeviceTensor> feat = first.runOnDevice(Map.of("x", in));
                        try (DeviceTensor f = feat.get("feat")) {
                            assertArrayEquals(new int[] {1, 3, 2, 5}, f.shape());
                            Map<String, DeviceTensor> y = second.runOnDevice(Map.of("x", f));
                            try (DeviceTensor out = y.get("y")) {
                                assertArrayEquals(new int[] {1, 2}, out.shape());
                                assertArrayEquals(new float[] {30, 69}, out.download().floats(), 1e-5f, name + " run " + run);
                            }
                        }
                    }
                }
            }
            assertEquals(live, b.liveAllocations(), "device buffers left allocated on " + name);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void aDeviceRunGivesExactlyWhatAHostRunGives(String name) {
        Graph g = ResNets.build("resnet18", 4, 11);
        Random r = new Random(5);
        float[] x = new float[2 * 3 * 24 * 20];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Tensor input = Tensor.of(x, 2, 3, 24, 20);
        try (Backend b = Backends.open(name); Session s = Session.open(g, b)) {
            float[] host = s.run(input).floats();
            String in = s.singleInputName(), out = g.outputs().get(0).name();
            try (DeviceTensor dx = DeviceTensor.upload(b, input); DeviceTensor dy = s.runOnDevice(Map.of(in, dx)).get(out)) {
                assertArrayEquals(host, dy.download().floats(), name);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void anInputInAnotherBackendsMemoryIsRefused(String name) {
        String other = name.equals("cpu-ref") ? "cpu" : "cpu-ref";
        try (Backend b = Backends.open(name); Backend o = Backends.open(other); Session s = Session.open(doubler(), b);
             DeviceTensor elsewhere = DeviceTensor.upload(o, Tensor.zeros(1, 3, 2, 2))) {
            ShapeException e = assertThrows(ShapeException.class, () -> s.runOnDevice(Map.of("x", elsewhere)));
            assertTrue(e.getMessage().contains("is in the memory of " + o.name()) && e.getMessage().contains("DeviceTensor.upload"),
                    e.getMessage());
            // the Session is still usable
            try (DeviceTensor here = DeviceTensor.upload(b, Tensor.zeros(1, 3, 2, 2));
                 DeviceTensor y = s.runOnDevice(Map.of("x", here)).get("feat")) {
                assertArrayEquals(new float[12], y.download().floats());
            }
        }
    }
}
