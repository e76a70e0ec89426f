import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.onnx.OnnxImporter;
import io.gapnet.runtime.Session;
import io.gapnet.runtime.Step;
import io.gapnet.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where gapnet's fast CPU path loses to ONNX Runtime, layer by layer: gapnet's step times (each step synchronised,
 * StepListener) and ONNX Runtime's node times (its own profiler, SessionOptions.enableProfiling), medians over the
 * timed runs after a warm-up, the engines alternating run by run. Both execute a ResNet's compute layers in the same
 * order, so the layers are paired by position once ONNX Runtime's layout nodes (ReorderInput/ReorderOutput) and
 * Flatten are left out; a model where the counts differ gets the two totals only. Benchmark only: ONNX Runtime is
 * not a gapnet dependency. Usage: LayersVsOrt RUNS BATCH MODEL_DIR (with model.onnx).
 */
public class LayersVsOrt {
    /** ONNX Runtime's profile (Chrome trace format) has one event per line: a node's duration (us), name and op. */
    private static final Pattern DUR = Pattern.compile("\"dur\" ?: ?(\\d+)"),
            NAME = Pattern.compile("\"name\" ?: ?\"([^\"]+)_kernel_time\""), OP = Pattern.compile("\"op_name\" ?: ?\"([^\"]+)\"");

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]), b = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        int threads = Runtime.getRuntime().availableProcessors();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setIntraOpNumThreads(threads);
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        Path prefix = Files.createTempDirectory("gapnet-ort-profile").resolve("ort");
        o.enableProfiling(prefix.toString());
        float[] x = new float[b * 3 * 224 * 224];
        Random r = new Random(7);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        long[] shape = {b, 3, 224, 224};
        List<String> names = new ArrayList<>(), ops = new ArrayList<>();
        List<double[]> gapMs = new ArrayList<>();
        String profile;
        int warm = 0;
        try (OrtSession ort = env.createSession(dir.resolve("model.onnx").toString(), o);
             Backend cpu = Backends.open("cpu");
             Session gap = Session.open(OnnxImporter.load(dir.resolve("model.onnx")), cpu)) {
            String inName = ort.getInputNames().iterator().next();
            Map<String, Tensor> in = Map.of(gap.singleInputName(), Tensor.of(x, b, 3, 224, 224));
            long warmEnd = System.nanoTime() + (long) (CpuVsOrt.WARMUP_SECONDS * 1e9);
            for (int k = 0; warm < 2 || System.nanoTime() < warmEnd || k < runs; ) {
                boolean timed = warm >= 2 && System.nanoTime() >= warmEnd;
                int run = k;
                CpuVsOrt.settle();
                gap.run(in, List.of(), (i, step, ns) -> {
                    if (!timed) return;
                    while (gapMs.size() <= i) {
                        gapMs.add(new double[runs]);
                        names.add(null);
                        ops.add(null);
                    }
                    gapMs.get(i)[run] = ns / 1e6;
                    names.set(i, step.node());
                    ops.set(i, step.op());
                });
                CpuVsOrt.settle();
                try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                     OrtSession.Result res = ort.run(Map.of(inName, t))) {
                    res.get(0);
                }
                if (timed) k++;
                else warm++;
            }
            profile = Files.readString(Path.of(ort.endProfiling()));
        }
        // ONNX Runtime's node times, run by run in execution order; the first `warm` runs are the warm-up
        Map<String, List<Double>> ortUs = new LinkedHashMap<>();
        for (String line : profile.split("\n")) {
            if (!line.contains("\"Node\"")) continue;
            Matcher d = DUR.matcher(line), n = NAME.matcher(line), op = OP.matcher(line);
            if (!d.find() || !n.find() || !op.find()) continue;
            if (op.group(1).startsWith("Reorder") || op.group(1).equals("Flatten")) continue;
            ortUs.computeIfAbsent(n.group(1), k -> new ArrayList<>()).add(Double.parseDouble(d.group(1)) / 1000);
        }
        List<Double> ortMs = new ArrayList<>();
        for (List<Double> v : ortUs.values()) ortMs.add(median(v.subList(Math.min(warm, v.size() - 1), v.size())));
        double gTotal = 0, oTotal = 0;
        for (double[] v : gapMs) gTotal += median(v);
        for (double v : ortMs) oTotal += v;
        System.out.printf(Locale.ROOT, "%s, batch %d, %d threads, %d timed runs each after %d warm-up runs, engines alternating%n",
                dir.getFileName(), b, threads, runs, warm);
        // a gapnet step that computes a block's projection shortcut too ("Conv+Conv+Add...") stands for two ORT nodes,
        // the shortcut's convolution just before the block's last one
        int ortNeeded = 0;
        for (String op : ops) ortNeeded += op.startsWith("Conv+Conv") ? 2 : 1;
        if (ortMs.size() == ortNeeded) {
            System.out.printf(Locale.ROOT, "%-4s %-16s %-40s %10s %10s %7s%n", "#", "op", "gapnet node", "gapnet ms", "ORT ms", "ratio");
            for (int i = 0, j = 0; i < gapMs.size(); i++) {
                double g = median(gapMs.get(i)), ort = ortMs.get(j++);
                if (ops.get(i).startsWith("Conv+Conv")) ort += ortMs.get(j++);
                System.out.printf(Locale.ROOT, "%-4d %-16s %-40s %10.3f %10.3f %7.2f%n", i, cut(ops.get(i), 16), cut(names.get(i), 40),
                        g, ort, ort / g);
            }
        } else {
            System.out.printf(Locale.ROOT, "%d gapnet steps against %d ONNX Runtime nodes: totals only%n", gapMs.size(), ortMs.size());
        }
        System.out.printf(Locale.ROOT, "sum of layer medians: gapnet %.2f ms, ORT %.2f ms, ratio %.3f%n", gTotal, oTotal, oTotal / gTotal);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static double median(List<Double> v) {
        return median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
