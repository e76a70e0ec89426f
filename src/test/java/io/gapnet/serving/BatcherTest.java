package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
}
