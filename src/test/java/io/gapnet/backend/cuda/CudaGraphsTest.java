package io.gapnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.conformance.Require;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Plans replayed as CUDA graphs: the replays compute what the reference computes on new inputs every run, work that
 * cannot be captured falls back to running directly (and says why), and the switch turns it off. Runs on the CUDA
 * device: the simulator in CI, which records captured work and fails the calls a capture forbids, as a GPU does.
 */
class CudaGraphsTest {
    @BeforeEach
    void needCuda() {
        assumeTrue(Require.acceleratedBackends().contains("cuda"), "SKIPPED: no CUDA device (nor the simulator)");
    }

    @AfterEach
    void defaults() {
        System.clearProperty("gapnet.cuda.graphs");
    }

    private static Tensor random(Random r, int... shape) {
        float[] v = new float[java.util.Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    private static long launchesOver(String graphs, int runs) {
        System.setProperty("gapnet.cuda.graphs", graphs);
        Graph g = ResNets.build("resnet18", 5, 42);
        Random r = new Random(3);
        long before = CudaQueue.GRAPH_LAUNCHES.get();
        try (Backend cuda = Backends.open("cuda"); Session s = Session.open(g, cuda);
             Backend ref = Backends.open("cpu-ref"); Session want = Session.open(g, ref)) {
            for (int i = 0; i < runs; i++) {
                Tensor x = random(r, 2, 3, 32, 32);
                float[] got = s.run(x).floats(), expected = want.run(x).floats();
                for (int j = 0; j < got.length; j++) {
                    assertEquals(expected[j], got[j], 1e-4 + 1e-4 * Math.abs(expected[j]), "run " + i + ", logit " + j);
                }
            }
        }
        return CudaQueue.GRAPH_LAUNCHES.get() - before;
    }

    @Test
    void aSessionReplaysItsPlanFromTheSecondRunOnNewInputs() {
        // run 1 directly, run 2 captured and launched, runs 3 and 4 launched
        assertEquals(3, launchesOver("true", 4));
    }

    @Test
    void graphsOffLaunchesEveryKernel() {
        assertEquals(0, launchesOver("false", 3));
    }

    @Test
    void replaysReadTheBuffersAsTheyAreAtEachLaunch() {
        try (Backend b = Backends.open("cuda"); Queue q = b.openQueue(); DeviceBuffer a = b.allocate(5, "a");
             DeviceBuffer y = b.allocate(5, "y")) {
            Object key = new Object();
            float[] out = new float[5];
            for (int run = 0; run < 4; run++) {
                float[] in = {run + 0.5f, run + 1, run + 2, run * 10 + 1, -run - 1};
                q.upload(in, 0, a, 0, 5);
                q.replay(key, () -> {
                    q.kernels().copy(5, a, y);
                    q.kernels().activation(io.gapnet.backend.Activation.of(io.gapnet.backend.Activation.Kind.NEG), 5, y, y);
                });
                q.download(y, 0, out, 0, 5);
                assertArrayEquals(new float[] {-run - 0.5f, -run - 1, -run - 2, -run * 10 - 1, run + 1}, out, "run " + run);
            }
        }
    }

    @Test
    void workThatWaitsCannotBeCapturedAndRunsDirectly() {
        try (Backend b = Backends.open("cuda"); Queue q = b.openQueue(); DeviceBuffer a = b.allocate(3, "a");
             DeviceBuffer y = b.allocate(3, "y")) {
            Object key = new Object();
            long before = CudaQueue.GRAPH_LAUNCHES.get();
            float[] out = new float[3];
            for (int run = 0; run < 3; run++) {
                float[] in = {run, 2 * run, 3 * run};
                q.upload(in, 0, a, 0, 3);
                q.replay(key, () -> {
                    q.kernels().copy(3, a, y);
                    q.synchronize(); // a capture forbids waiting: the capture fails and the work runs directly
                });
                q.download(y, 0, out, 0, 3);
                assertArrayEquals(in, out, "run " + run);
            }
            assertEquals(before, CudaQueue.GRAPH_LAUNCHES.get());
            assertNotNull(CudaQueue.lastGraphFailure);
            assertTrue(CudaQueue.lastGraphFailure.contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"), CudaQueue.lastGraphFailure);
        }
    }
}
