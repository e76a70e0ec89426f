package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ClosedException;
import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Ownership and sharing on every available backend: no leaks, buffers tied to their backend, shared Sessions. */
class BackendLifecycleTest {
    static final Graph MODEL = ResNets.build("resnet18", 10, 3);

    static Tensor random(long seed, int... shape) {
        Random r = new Random(seed);
        float[] v = new float[shape[0] * shape[1] * shape[2] * shape[3]];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    static Stream<DynamicTest> perBackend(String what, java.util.function.Consumer<Backend> body) {
        List<String> names = new ArrayList<>(Require.acceleratedBackends());
        names.add(0, "cpu");
        Stream<DynamicTest> run = names.stream().map(n -> DynamicTest.dynamicTest(n + ": " + what, () -> {
            try (Backend b = Backends.open(n)) {
                body.accept(b);
            }
        }));
        return Stream.concat(run, Require.skipsForUnavailable(what).stream());
    }

    @TestFactory
    Stream<DynamicTest> twoHundredSessionsLeaveNothingAllocated() {
        return perBackend("200 Session open/close cycles", b -> {
            long before = b.liveAllocations();
            Tensor x = random(1, 1, 3, 32, 32);
            for (int i = 0; i < 200; i++) {
                try (Session s = Session.open(MODEL, b)) {
                    if (i % 20 == 0) s.run(x);
                }
            }
            assertEquals(before, b.liveAllocations(), "live allocations after 200 sessions");
            assertEquals(0, b.liveBytes());
        });
    }

    @TestFactory
    Stream<DynamicTest> concurrentRunsMatchSingleThreaded() {
        return perBackend("6 threads on one Session", b -> {
            try (Session s = Session.open(MODEL, b)) {
                Tensor[] in = new Tensor[6];
                float[][] want = new float[6][];
                for (int i = 0; i < 6; i++) {
                    in[i] = random(i, 1 + i % 2, 3, 32, 40);
                    want[i] = s.run(in[i]).floats();
                }
                ExecutorService pool = Executors.newFixedThreadPool(6);
                try {
                    List<Future<float[]>> got = new ArrayList<>();
                    for (int round = 0; round < 4; round++) {
                        for (int i = 0; i < 6; i++) {
                            Tensor t = in[i];
                            got.add(pool.submit(() -> s.run(t).floats()));
                        }
                    }
                    for (int j = 0; j < got.size(); j++) assertArrayEquals(want[j % 6], got.get(j).get(120, TimeUnit.SECONDS));
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    pool.shutdownNow();
                }
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> buffersKnowTheirBackend() {
        return perBackend("foreign and closed buffers are refused", b -> {
            try (CpuBackend other = new CpuBackend(); Queue q = b.openQueue()) {
                DeviceBuffer foreign = other.allocate(4, "foreign");
                DeviceBuffer mine = b.allocate(4, "mine");
                GapnetException e = assertThrows(GapnetException.class, () -> q.kernels().copy(4, foreign, mine));
                assertTrue(e.getMessage().contains("'foreign'"), e.getMessage());
                mine.close();
                mine.close();
                ClosedException c = assertThrows(ClosedException.class, () -> q.upload(new float[4], 0, mine, 0, 4));
                assertTrue(c.getMessage().contains("'mine'"), c.getMessage());
                foreign.close();
            }
        });
    }
}
