package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Graph;
import io.gapnet.runtime.RandomInputs;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import io.gapnet.util.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time inference per backend: warm-up, then timed runs; images/s, ms per batch (median, p90)",
            "and the max abs difference of the outputs from the CPU reference on the same input (on the first",
            "--parity-images images of the batch: images are independent, so they need no full reference run).",
            "Also: Session.open with Session.prepare for the benchmark's input shape (plan compilation, weight",
            "upload and packing) and the first run after it (mostly JIT) in ms, GFLOP/s",
            "at the median, the plan's activation memory and the process's peak resident memory so far."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "backends, comma-separated, or 'all' for every available one (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--parity-images", description = "images of the batch compared with the CPU reference; 0 skips the"
            + " comparison (default: ${DEFAULT-VALUE})")
    int parityImages = 4;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--size", split = ",", description = "input height,width (default: ${DEFAULT-VALUE})")
    int[] size = {224, 224};

    @Option(names = "--iters", description = "timed runs (default: until 10 runs or 20 s, at least 3)")
    int iters = 0;

    @Option(names = "--warmup", description = "untimed runs first, at least one: the first is reported as first-run (default: ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(names = "--json", description = "print one JSON object per backend instead of a table")
    boolean json;

    @Option(names = "--profile", description = "also time every layer (3 runs, synchronised after each step) and print a per-layer table")
    boolean profile;

    record Row(String backend, String device, int runs, double medianMs, double p90Ms, double imagesPerSec, double maxAbsDiff,
               String gemm, String conv, double openMs, double firstRunMs, double gflops, long activationBytes, long peakRssBytes,
               long allocatedPerRun) {}

    /**
     * Allocation per timed run, beyond the outputs' own arrays, above which the fast CPU path is not in its steady state:
     * once C2 has compiled its kernels an inference allocates its outputs and a few small objects, while a kernel whose
     * Vector API calls C2 left un-intrinsified allocates a vector object for every operation (gigabytes per run).
     */
    static final long ALLOCATION_WARNING_BYTES = 1 << 20;
    /** Warm-up runs after which the allocation per run is taken for the steady state's (fewer: the JIT may still be at work). */
    static final int STEADY_WARMUP = 20;

    @Override
    public Integer call() {
        if (batch < 1) throw new GapnetException("--batch must be at least 1");
        if (parityImages < 0) throw new GapnetException("--parity-images must be 0 (no comparison) or more");
        if (size.length != 2) throw new GapnetException("--size takes H,W");
        Graph graph = Models.load(model);
        if (graph.inputs().size() != 1 || graph.inputs().get(0).dtype() == DType.INT64) {
            throw new GapnetException("bench needs a model with one float input");
        }
        Tensor input = RandomInputs.of(graph, 42, batch, size[0], size[1]).values().iterator().next();
        List<String> selected = backend.equals("all") ? Backends.available() : Arrays.asList(backend.split(","));
        if (!json) {
            System.out.printf(Locale.ROOT, "model %s, input %s, %d warm-up run(s)%n", graph.name(),
                    Arrays.toString(input.shape()), warmup);
        }
        int k = Math.max(1, Math.min(batch, parityImages));
        Tensor reference = null;
        List<Row> rows = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (String name : selected) {
            long opening = System.nanoTime();
            try (Backend b = Backends.open(name);
                 Session s = Session.open(graph, b, io.gapnet.runtime.SessionOptions.DEFAULT.withPrepareAtOpen(false))) {
                Map<String, Tensor> in = Map.of(s.singleInputName(), input);
                s.prepare(Map.of(s.singleInputName(), input.shape())); // what a service does at start for its batch size
                double openMs = (System.nanoTime() - opening) / 1e6;
                io.gapnet.backend.cpu.fast.FastCpuKernels fast = fastCpu(b);
                if (fast != null) fast.recordWinograd(true); // which layers take Winograd: noted in the first run only
                long first = System.nanoTime();
                s.run(in);
                if (fast != null) fast.recordWinograd(false);
                double firstRunMs = (System.nanoTime() - first) / 1e6;
                for (int i = 1; i < warmup; i++) s.run(in);
                List<Double> ms = new ArrayList<>();
                Map<String, Tensor> outs = null;
                Map<Long, Long> allocatedBefore = allocatedByThread();
                long start = System.nanoTime();
                while (iters > 0 ? ms.size() < iters : ms.size() < 3 || (ms.size() < 10 && System.nanoTime() - start < 20e9)) {
                    long t0 = System.nanoTime();
                    outs = s.run(in);
                    ms.add((System.nanoTime() - t0) / 1e6);
                }
                long allocatedPerRun = allocatedBefore == null ? -1 : allocatedSince(allocatedBefore) / ms.size();
                Tensor out = outs.values().iterator().next();
                long outputBytes = 0;
                for (Tensor t : outs.values()) outputBytes += 4L * t.numel();
                if (reference == null && parityImages > 0) reference = referenceOutput(graph, firstImages(input, k));
                double diff = parityImages > 0 ? maxAbsDiff(reference, firstImages(out, k)) : Double.NaN;
                double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double median = percentile(sorted, 0.5), p90 = percentile(sorted, 0.9);
                if (profile) printProfile(s, in, b.name());
                if (fast != null && !json) printWinograd(fast, b.name());
                io.gapnet.runtime.Plan plan = s.plan(Map.of(s.singleInputName(), input.shape()));
                Row row = new Row(b.name(), b.device().name(), sorted.length, median, p90, batch * 1000.0 / median, diff,
                        b.device().details().getOrDefault("GEMM", ""), b.device().details().getOrDefault("convolution", ""), openMs, firstRunMs, 2.0 * plan.macs() / (median / 1e3) / 1e9,
                        plan.peakActivationBytes(), peakRss(), allocatedPerRun);
                rows.add(row);
                if (json) printJson(row);
                String warning = fast == null ? null : allocationWarning(b.name(), warmup, allocatedPerRun, outputBytes);
                if (warning != null) notes.add(warning);
            }
        }
        if (!json) printTable(rows);
        for (String note : notes) System.err.println("gapnet: " + note); // after the table, and outside the JSON
        return 0;
    }

    /** The fast CPU backend's kernels, or null for any other backend. */
    private static io.gapnet.backend.cpu.fast.FastCpuKernels fastCpu(Backend b) {
        try (io.gapnet.backend.Queue q = b.openQueue()) {
            return q.kernels() instanceof io.gapnet.backend.cpu.fast.FastCpuKernels f ? f : null;
        }
    }

    /** Winograd's error against the reference on every convolution shape of the model that took it. */
    private static void printWinograd(io.gapnet.backend.cpu.fast.FastCpuKernels fast, String backendName) {
        List<io.gapnet.backend.cpu.fast.WinogradError> errors = fast.winogradErrors(7);
        if (errors.isEmpty()) return;
        errors.sort(java.util.Comparator.comparingDouble(e -> -e.relative()));
        System.out.printf(Locale.ROOT, "%n%s ran %d convolution shape(s) by Winograd F(4x4,3x3) (-Dgapnet.cpu.winograd=false"
                + " turns it off); error against cpu-ref with each layer's weights and bias, input max(0, N(0,1)):%n",
                backendName, errors.size());
        System.out.printf(Locale.ROOT, "  %-44s %12s %12s %14s%n", "input -> output", "max |diff|", "output RMS", "max/RMS");
        for (io.gapnet.backend.cpu.fast.WinogradError e : errors) {
            io.gapnet.backend.ConvDesc d = e.desc();
            String shape = String.format(Locale.ROOT, "[%d, %d, %d, %d] -> [%d, %d, %d, %d]", d.n(), d.c(), d.h(), d.w(),
                    d.n(), d.oc(), d.outH(), d.outW());
            System.out.printf(Locale.ROOT, "  %-44s %12.2e %12.3f %14.2e%n", shape, e.maxAbs(), e.referenceRms(), e.relative());
        }
    }

    /**
     * The warning for a fast CPU backend whose timed runs allocated {@code perRun} bytes each after {@code warmup}
     * warm-up runs, outputs of {@code outputBytes} included; null when that is what a compiled steady state allocates,
     * or when the warm-up was too short to tell.
     */
    static String allocationWarning(String backend, int warmup, long perRun, long outputBytes) {
        if (warmup < STEADY_WARMUP || perRun <= ALLOCATION_WARNING_BYTES + 2 * outputBytes) return null;
        return String.format(Locale.ROOT, "warning: after %d warm-up runs each timed run on %s still allocated %.1f MB (its"
                + " outputs: %.2f MB). Once the JIT has compiled the vector kernels a run allocates kilobytes; if a longer"
                + " warm-up does not bring it there, this JVM was left with kernels that box their vectors and run several"
                + " times slower for the life of the process: restart it (README, known problem).", warmup, backend,
                perRun / 1e6, outputBytes / 1e6);
    }

    /**
     * Bytes allocated so far by each live thread of this JVM (the fast CPU path's helper threads included), by thread
     * id; null where the JVM does not measure allocation per thread.
     */
    static Map<Long, Long> allocatedByThread() {
        if (!(java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported() || !mx.isThreadAllocatedMemoryEnabled()) {
            return null;
        }
        long[] ids = mx.getAllThreadIds();
        long[] bytes = mx.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new java.util.HashMap<>();
        for (int i = 0; i < ids.length; i++) if (bytes[i] >= 0) m.put(ids[i], bytes[i]);
        return m;
    }

    /** Bytes allocated since {@code before} by the threads alive now (a thread started since counts from zero). */
    static long allocatedSince(Map<Long, Long> before) {
        Map<Long, Long> now = allocatedByThread();
        if (now == null) return 0;
        long sum = 0;
        for (Map.Entry<Long, Long> e : now.entrySet()) sum += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0L));
        return sum;
    }

    /** The process's peak resident set (VmHWM in /proc/self/status), or -1 where there is no such file. */
    static long peakRss() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    private void printProfile(Session s, Map<String, Tensor> in, String backendName) {
        int runs = 3;
        java.util.Map<Integer, long[]> nanos = new java.util.TreeMap<>();
        java.util.Map<Integer, io.gapnet.runtime.Step> steps = new java.util.HashMap<>();
        for (int r = 0; r < runs; r++) {
            s.run(in, List.of(), (i, step, ns) -> {
                nanos.computeIfAbsent(i, k -> new long[1])[0] += ns;
                steps.put(i, step);
            });
        }
        double total = 0;
        for (long[] v : nanos.values()) total += v[0] / (double) runs;
        System.out.printf(Locale.ROOT, "%nper-layer profile on %s (mean of %d runs, each step synchronised):%n", backendName, runs);
        System.out.printf(Locale.ROOT, "%-4s %-22s %-30s %-40s %9s %6s %8s%n", "#", "op", "node", "shapes", "ms", "share", "GFLOP/s");
        java.util.Map<String, double[]> byOp = new java.util.TreeMap<>();
        for (var e : nanos.entrySet()) {
            io.gapnet.runtime.Step st = steps.get(e.getKey());
            double ms = e.getValue()[0] / (double) runs / 1e6;
            double gflops = st.macs() == 0 ? 0 : 2.0 * st.macs() / (ms / 1e3) / 1e9;
            System.out.printf(Locale.ROOT, "%-4d %-22s %-30s %-40s %9.3f %5.1f%% %8.1f%n", e.getKey(), cut(st.op(), 22),
                    cut(st.node(), 30), cut(st.shape(), 40), ms, 100 * ms * 1e6 / total, gflops);
            double[] agg = byOp.computeIfAbsent(st.op().replaceAll("\\+.*", ""), k -> new double[2]);
            agg[0] += ms;
            agg[1] += st.macs();
        }
        System.out.println("by op:");
        for (var e : byOp.entrySet()) {
            double ms = e.getValue()[0];
            System.out.printf(Locale.ROOT, "  %-22s %9.3f ms %5.1f%% %8.1f GFLOP/s%n", e.getKey(), ms, 100 * ms * 1e6 / total,
                    e.getValue()[1] == 0 ? 0 : 2 * e.getValue()[1] / (ms / 1e3) / 1e9);
        }
        System.out.printf(Locale.ROOT, "  %-22s %9.3f ms%n%n", "total", total / 1e6);
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }

    private static Tensor referenceOutput(Graph graph, Tensor input) {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(graph, cpu)) {
            return s.run(input);
        }
    }

    /** The first {@code k} images (rows of dim 0) of a batch. */
    static Tensor firstImages(Tensor t, int k) {
        int[] shape = t.shape();
        if (shape[0] <= k) return t;
        int per = t.numel() / shape[0];
        shape[0] = k;
        return Tensor.of(Arrays.copyOf(t.toFloats(), k * per), shape);
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        float[] x = a.toFloats(), y = b.toFloats();
        if (x.length != y.length) return Double.NaN;
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs((double) x[i] - y[i]));
        return m;
    }

    static double percentile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    private void printTable(List<Row> rows) {
        System.out.printf(Locale.ROOT, "%-10s %-28s %5s %10s %10s %10s %14s %9s %10s %8s %9s %9s %10s%n", "backend", "device", "runs",
                "median ms", "p90 ms", "images/s", "max|diff| ref", "open ms", "first-run", "GFLOP/s", "act MB", "peak RSS",
                "alloc/run");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-10s %-28s %5d %10.2f %10.2f %10.2f %14s %9.1f %10.1f %8.1f %9.1f %9s %10s%n", r.backend(),
                    r.device().length() > 28 ? r.device().substring(0, 28) : r.device(), r.runs(), r.medianMs(), r.p90Ms(),
                    r.imagesPerSec(), Double.isNaN(r.maxAbsDiff()) && parityImages == 0 ? "-"
                            : String.format(Locale.ROOT, "%.3g", r.maxAbsDiff()), r.openMs(), r.firstRunMs(), r.gflops(),
                    r.activationBytes() / 1e6, r.peakRssBytes() < 0 ? "-" : String.format(Locale.ROOT, "%.0f MB", r.peakRssBytes() / 1e6),
                    r.allocatedPerRun() < 0 ? "-" : String.format(Locale.ROOT, "%.1f KB", r.allocatedPerRun() / 1e3));
        }
        System.out.println("open ms: Session.open and Session.prepare for this input shape (plan, weight upload and packing);"
                + " first-run: the first run after them (JIT, scratch memory), in ms;"
                + " act MB: the plan's activation buffers; peak RSS: the whole process's so far;"
                + " alloc/run: Java heap allocated per timed run by all threads, outputs included (megabytes until the JIT"
                + " has compiled the vector kernels, kilobytes after)");
        for (Row r : rows) if (!r.gemm().isEmpty()) System.out.println(r.backend() + " GEMM path: " + r.gemm());
        for (Row r : rows) if (!r.conv().isEmpty()) System.out.println(r.backend() + " convolution path: " + r.conv());
    }

    private void printJson(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", Json.quote(r.backend()));
        m.put("device", Json.quote(r.device()));
        m.put("model", Json.quote(model));
        m.put("batch", batch);
        m.put("height", size[0]);
        m.put("width", size[1]);
        m.put("runs", r.runs());
        m.put("median_ms", String.format(Locale.ROOT, "%.3f", r.medianMs()));
        m.put("p90_ms", String.format(Locale.ROOT, "%.3f", r.p90Ms()));
        m.put("images_per_s", String.format(Locale.ROOT, "%.3f", r.imagesPerSec()));
        if (parityImages > 0) m.put("max_abs_diff_vs_reference", String.format(Locale.ROOT, "%.6g", r.maxAbsDiff()));
        m.put("parity_images", Math.min(batch, parityImages));
        if (!r.gemm().isEmpty()) m.put("gemm_path", Json.quote(r.gemm()));
        if (!r.conv().isEmpty()) m.put("conv_path", Json.quote(r.conv()));
        m.put("open_ms", String.format(Locale.ROOT, "%.3f", r.openMs()));
        m.put("first_run_ms", String.format(Locale.ROOT, "%.3f", r.firstRunMs()));
        m.put("gflops", String.format(Locale.ROOT, "%.3f", r.gflops()));
        m.put("activation_bytes", r.activationBytes());
        if (r.peakRssBytes() >= 0) m.put("peak_rss_bytes", r.peakRssBytes());
        if (r.allocatedPerRun() >= 0) m.put("allocated_bytes_per_run", r.allocatedPerRun());
        StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        System.out.println(sb.append('}'));
    }
}
