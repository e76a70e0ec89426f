package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatcherTest {
    @Test
    void concurrentCallersGetExactlyTheirOwnResults() throws Exception {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(TinyModels.rgbCnn(), cpu)) {
            int n = 48;
            Tensor[] in = new Tensor[n];
            float[][] want = new float[n][];
            Random r = new Random(4);
            for (int i = 0; i < n; i++) {
                int hw = i % 3 == 0 ? 6 : 5; // two image sizes: only equal shapes share a batch
                float[] v = new float[3 * hw * hw];
                for (int j = 0; j < v.length; j++) v[j] = (float) r.nextGaussian();
                in[i] = Tensor.of(v, 1, 3, hw, hw);
                want[i] = s.run(in[i]).floats();
            }
            try (Batcher batcher = new Batcher(s, List.of(), 8, Duration.ofMillis(30), 2)) {
                ExecutorService callers = Executors.newFixedThreadPool(12);
                try {
                    List<Future<float[]>> got = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        Tensor t = in[i];
                        got.add(callers.submit(() -> {
                            CompletableFuture<Map<String, Tensor>> f = batcher.submit(t);
                            return f.get(60, TimeUnit.SECONDS).get("logits").floats();
                        }));
                    }
                    for (int i = 0; i < n; i++) assertArrayEquals(want[i], got.get(i).get(60, TimeUnit.SECONDS), "caller " + i);
                } finally {
                    callers.shutdownNow();
                }
                long[] sizes = batcher.batchSizeCounts();
                long batched = 0;
                for (int k = 2; k < sizes.length; k++) batched += sizes[k];
                assertTrue(batched > 0, "no batch of more than one request was formed: " + java.util.Arrays.toString(sizes));
            }
        }
    }

    static Tensor image(int seed) {
        float[] v = new float[3 * 4 * 4];
        java.util.Arrays.fill(v, seed);
        return Tensor.of(v, 1, 3, 4, 4);
    }

    /** Rows echo their input: image i's output is its first value, so each caller can check it got its own row. */
    static Map<String, Tensor> echo(Tensor batch) {
        int n = batch.dim(0), per = batch.numel() / n;
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = batch.floats()[i * per];
        return Map.of("y", Tensor.of(out, n, 1));
    }

    @Test
    void batchesFillUpWhileEveryWorkerIsBusy() throws Exception {
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.function.Function<Tensor, Map<String, Tensor>> runner = b -> {
            if (first.getAndSet(false)) {
                started.countDown();
                try {
                    busy.await(); // the one worker is busy until every other request has been queued
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            return echo(b);
        };
        // requests arrive one every 3 ms, and a batch waits only 1 ms for company: before, each became a batch of one,
        // queued behind the busy worker; now they wait together for the worker and leave as full batches
        try (Batcher batcher = new Batcher(runner, List.of(), 16, Duration.ofMillis(1), 1)) {
            List<CompletableFuture<Map<String, Tensor>>> all = new ArrayList<>();
            all.add(batcher.submit(image(0)));
            assertTrue(started.await(10, TimeUnit.SECONDS));
            for (int i = 1; i <= 40; i++) {
                all.add(batcher.submit(image(i)));
                Thread.sleep(3);
            }
            busy.countDown();
            for (int i = 0; i < all.size(); i++) {
                assertEquals((float) i, all.get(i).get(30, TimeUnit.SECONDS).get("y").floats()[0], "request " + i + "'s own row");
            }
            long[] sizes = batcher.batchSizeCounts();
            // 1 (the request that found the worker free), then 16, 16 and the 8 left: not 40 batches of one
            assertEquals(1, sizes[1], java.util.Arrays.toString(sizes));
            assertEquals(2, sizes[16], java.util.Arrays.toString(sizes));
            assertEquals(1, sizes[8], java.util.Arrays.toString(sizes));
        }
    }

    @Test
    void anErrorInABatchAnswersEveryCallerAndTheBatcherGoesOn() throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Function<Tensor, Map<String, Tensor>> runner = b -> {
            if (calls.getAndIncrement() == 0) throw new OutOfMemoryError("planted");
            return echo(b);
        };
        try (Batcher batcher = new Batcher(runner, List.of(), 4, Duration.ofMillis(50), 1)) {
            List<CompletableFuture<Map<String, Tensor>>> doomed = new ArrayList<>();
            for (int i = 0; i < 4; i++) doomed.add(batcher.submit(image(i)));
            for (CompletableFuture<Map<String, Tensor>> f : doomed) {
                java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
                assertTrue(e.getCause() instanceof OutOfMemoryError && e.getCause().getMessage().equals("planted"), e.toString());
            }
            assertEquals(5f, batcher.submit(image(5)).get(30, TimeUnit.SECONDS).get("y").floats()[0], "served after the Error");
        }
    }

    @Test
    void closingAnswersWhatIsQueued() throws Exception {
        Batcher batcher = new Batcher(BatcherTest::echo, List.of(), 4, Duration.ofMillis(20), 1);
        List<CompletableFuture<Map<String, Tensor>>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) all.add(batcher.submit(image(i)));
        batcher.close();
        for (int i = 0; i < all.size(); i++) assertEquals((float) i, all.get(i).get(10, TimeUnit.SECONDS).get("y").floats()[0]);
        org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.ClosedException.class, () -> batcher.submit(image(0)));
    }
}
