package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "gap-bandwidth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the global-average-pooling kernel's effective bandwidth against a device-to-device copy of",
            "the same input, side by side in one run: GAP reads N*C*H*W floats and writes N*C, a copy reads and writes",
            "N*C*H*W. The pooled result is checked against the known mean of the input before anything is printed."})
final class GapBandwidthCommand implements Callable<Integer> {
    @Option(names = "--backend", description = "backend to measure (default: ${DEFAULT-VALUE})")
    String backend = "cuda";

    @Option(names = "--shape", split = ",", description = "NxCxHxW input shapes (default: ${DEFAULT-VALUE})")
    List<String> shapes = List.of("256x2048x7x7", "128x512x56x56");

    @Option(names = "--iters", description = "timed samples per kernel; the median is printed (default: ${DEFAULT-VALUE})")
    int iters = 30;

    /** One shape's medians: seconds per GAP and per copy, and the bandwidths they give. */
    record Result(String shape, double gapSeconds, double copySeconds, double gapBytes, double copyBytes) {
        double gapGBps() {
            return gapBytes / gapSeconds / 1e9;
        }

        double copyGBps() {
            return copyBytes / copySeconds / 1e9;
        }
    }

    @Override
    public Integer call() {
        if (iters < 1) throw new GapnetException("--iters must be at least 1");
        try (Backend b = Backends.open(backend); Queue q = b.openQueue()) {
            for (String s : shapes) {
                Result r = measure(b, q, parse(s), iters);
                System.out.printf(Locale.ROOT, "gap %s %s: %.1f GB/s (%.4f ms), copy %.1f GB/s (%.4f ms), gap/copy %.3f%n",
                        r.shape(), b.name(), r.gapGBps(), r.gapSeconds() * 1e3, r.copyGBps(), r.copySeconds() * 1e3,
                        r.gapGBps() / r.copyGBps());
            }
        }
        return 0;
    }

    static int[] parse(String shape) {
        String[] parts = shape.trim().split("x");
        if (parts.length != 4) throw new GapnetException("--shape " + shape + ": expected NxCxHxW, e.g. 256x2048x7x7");
        int[] d = new int[4];
        long count = 1;
        for (int i = 0; i < 4; i++) {
            try {
                d[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new GapnetException("--shape " + shape + ": '" + parts[i] + "' is not a whole number");
            }
            if (d[i] < 1) throw new GapnetException("--shape " + shape + ": every size must be at least 1 (GAP over an"
                    + " empty extent is undefined)");
            count *= d[i];
        }
        if (count > Integer.MAX_VALUE) throw new GapnetException("--shape " + shape + ": more than 2^31-1 elements");
        return d;
    }

    static Result measure(Backend b, Queue q, int[] d, int iters) {
        int n = d[0], c = d[1], spatial = d[2] * d[3];
        int planes = n * c, count = planes * spatial;
        // x[p, s] = s + p % 7, so plane p's mean is (spatial - 1) / 2 + p % 7, exact in float for these sizes
        float[] host = new float[count];
        for (int i = 0; i < count; i++) host[i] = i % spatial + (i / spatial) % 7;
        try (DeviceBuffer x = b.allocate(count, "gap-bandwidth input"); DeviceBuffer y = b.allocate(planes, "gap output");
             DeviceBuffer copy = b.allocate(count, "copy output")) {
            q.upload(host, 0, x, 0, count);
            double gap = median(q, iters, () -> q.kernels().gap(n, c, spatial, x, y));
            double cp = median(q, iters, () -> q.kernels().copy(count, x, copy));
            float[] means = new float[planes];
            q.download(y, 0, means, 0, planes);
            for (int p = 0; p < planes; p++) {
                double want = (spatial - 1) / 2.0 + p % 7;
                if (Math.abs(means[p] - want) > 1e-4 * Math.max(1, want)) {
                    throw new GapnetException("gap-bandwidth: " + b.name() + "'s GAP gave " + means[p] + " for plane " + p
                            + " of " + Arrays.toString(d) + ", expected " + want + ": the kernel is wrong, its speed meaningless");
                }
            }
            String shape = n + "x" + c + "x" + d[2] + "x" + d[3];
            return new Result(shape, gap, cp, 4.0 * count + 4.0 * planes, 8.0 * count);
        }
    }

    /**
     * Median seconds per call over {@code iters} samples; each sample runs enough calls back to back (then waits for the
     * queue) to last about 2 ms, so that launch and synchronisation costs do not count as the kernel's.
     */
    private static double median(Queue q, int iters, Runnable op) {
        op.run();
        q.synchronize();
        long t0 = System.nanoTime();
        op.run();
        q.synchronize();
        long once = Math.max(1, System.nanoTime() - t0);
        int repeat = (int) Math.max(1, Math.min(1000, 2_000_000 / once));
        double[] s = new double[iters];
        for (int i = 0; i < iters; i++) {
            long start = System.nanoTime();
            for (int r = 0; r < repeat; r++) op.run();
            q.synchronize();
            s[i] = (System.nanoTime() - start) / 1e9 / repeat;
        }
        Arrays.sort(s);
        return BenchCommand.percentile(s, 0.5);
    }
}
