package io.gapnet.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.backend.Backend;
import io.gapnet.conformance.Require;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Long-running-service properties on every available backend: memory exhaustion, leaks, many threads. */
class ReliabilityTest {
    /** x [1, 1] padded by the amounts of an int64 input into each of `outputs` outputs. */
    static Graph padGraph(int outputs) {
        List<Node> nodes = new ArrayList<>();
        List<ValueInfo> outs = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            nodes.add(new Node("pad" + i, "Pad", List.of("x", "pads"), List.of("y" + i), Attributes.none()));
            outs.add(new ValueInfo("y" + i, DType.FLOAT32, null, null));
        }
        return new Graph("pads", nodes, Map.of(), List.of(new ValueInfo("x", DType.FLOAT32, null, null),
                new ValueInfo("pads", DType.INT64, null, null)), outs, 13);
    }

    @TestFactory
    Stream<DynamicTest> outOfDeviceMemoryLeavesSessionAndBackendUsable() {
        return Require.perBackend("absurd allocation", b -> {
            long before = b.liveAllocations();
            Tensor x = Tensor.of(new float[] {5}, 1, 1);
            try (Session s = Session.open(padGraph(24), b)) {
                // 24 outputs of 46340 x 46340 floats: 206 GB in all, more than any device holds
                Tensor huge = Tensor.ofLongs(new long[] {0, 0, 46339, 46339}, 4);
                DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class,
                        () -> s.run(Map.of("x", x, "pads", huge)));
                assertTrue(e.getMessage().contains("smaller batch"), e.getMessage());
                Map<String, Tensor> small = s.run(Map.of("x", x, "pads", Tensor.ofLongs(new long[] {1, 0, 0, 1}, 4)));
                assertArrayEquals(new float[] {0, 0, 5, 0}, small.get("y23").floats());
            }
            assertEquals(before, b.liveAllocations(), "live allocations after the failed and the good run");
        });
    }

    @TestFactory
    Stream<DynamicTest> thousandSessionCyclesLeaveNothingAllocated() {
        return Require.perBackend("1000 Session open/close cycles", b -> {
            long before = b.liveAllocations();
            Tensor x = Tensor.of(new float[3 * 5 * 5], 1, 3, 5, 5);
            Graph g = io.gapnet.TestGraphs.tinyCnn();
            for (int i = 0; i < 1000; i++) {
                try (Session s = Session.open(g, b)) {
                    if (i % 100 == 0) s.run(x);
                }
            }
            assertEquals(before, b.liveAllocations(), "live allocations after 1000 sessions");
        });
    }

    /** A run that makes no progress for this long is stalled (a deadlock or starvation), however slow the device. */
    static final long STALL_NANOS = 120_000_000_000L;

    /**
     * Waits for every future, failing when none of the work has progressed for {@link #STALL_NANOS}: a stall is
     * the absence of progress, not a slow machine, so there is no deadline for the whole run.
     */
    static int awaitWithoutStall(List<Future<Integer>> futures, AtomicLong lastProgress, AtomicInteger finished, int all) {
        int total = 0;
        try {
            for (Future<Integer> f : futures) {
                while (!f.isDone()) {
                    if (System.nanoTime() - lastProgress.get() > STALL_NANOS) {
                        fail("no inference finished in " + STALL_NANOS / 1_000_000_000 + " s (" + finished.get() + " of " + all
                                + " done): deadlock or starvation");
                    }
                    Thread.sleep(100);
                }
                total += f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the threads", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError a) throw a;
            throw new AssertionError("a thread failed", e.getCause());
        }
        return total;
    }

    @TestFactory
    Stream<DynamicTest> eightThreadsHundredRunsBitIdentical() {
        return Require.perBackend("8 threads x 100 inferences on one Session (25 on the CUDA simulator)", b -> {
            // the CUDA simulator runs kernels on the CPU, one ResNet-18 inference taking a third of a second on
            // two cores: 25 runs per thread there still interleave eight threads' streams for 200 inferences
            int runs = b.device().details().containsKey("simulated") ? 25 : 100;
            Graph g = ResNets.build("resnet18", 10, 5);
            try (Session s = Session.open(g, b)) {
                Tensor[] in = new Tensor[8];
                float[][] want = new float[8][];
                Random r = new Random(9);
                for (int t = 0; t < 8; t++) {
                    float[] v = new float[3 * 32 * 32];
                    for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
                    in[t] = Tensor.of(v, 1, 3, 32, 32);
                    want[t] = s.run(in[t]).floats();
                }
                AtomicLong lastProgress = new AtomicLong(System.nanoTime());
                AtomicInteger finished = new AtomicInteger();
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<Integer>> done = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        int id = t;
                        done.add(pool.submit(() -> {
                            for (int k = 0; k < runs; k++) {
                                assertArrayEquals(want[id], s.run(in[id]).floats(), "thread " + id + " run " + k);
                                finished.incrementAndGet();
                                lastProgress.set(System.nanoTime());
                            }
                            return runs;
                        }));
                    }
                    assertEquals(8 * runs, awaitWithoutStall(done, lastProgress, finished, 8 * runs));
                } finally {
                    pool.shutdownNow();
                }
            }
        });
    }
}
