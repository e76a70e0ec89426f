import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.onnx.OnnxImporter;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * gapnet's fast CPU path against ONNX Runtime's CPU engine on the same model and input, same thread count
 * (all cores), the two engines alternating run by run with a short pause before each; medians of the timed
 * runs. Benchmark only: ONNX
 * Runtime is not a gapnet dependency. Usage: CpuVsOrt RUNS MODEL_DIR... (each with model.onnx), batch sizes
 * from the BATCHES environment variable (default "1 8"). GFLOP/s counts the model's multiply-adds (gapnet's plan) as
 * two FLOPs each, the same count for both engines.
 */
public class CpuVsOrt {
    /** Seconds of warm-up per model and batch at least (-Dwarmup.seconds). */
    static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("warmup.seconds", "8"));

    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(args[0]);
        String[] batches = System.getenv().getOrDefault("BATCHES", "1 8").trim().split("\\s+");
        int threads = Runtime.getRuntime().availableProcessors();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        List<String> ratios = new ArrayList<>();
        System.out.printf(Locale.ROOT, "threads %d, %d timed runs per engine after at least 2 warm-up runs each and %.0f s in all, engines alternating%n", threads, runs, WARMUP_SECONDS);
        System.out.printf(Locale.ROOT, "%-10s %5s %-12s %12s %10s %9s %16s%n", "model", "batch", "engine", "median ms", "images/s",
                "GFLOP/s", "max|gapnet-ort|");
        for (int a = 1; a < args.length; a++) {
            Path dir = Path.of(args[a]);
            String name = dir.getFileName().toString().replace("-torchvision", "");
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(threads);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession ort = env.createSession(dir.resolve("model.onnx").toString(), o);
                 Backend cpu = Backends.open("cpu");
                 Session gap = Session.open(OnnxImporter.load(dir.resolve("model.onnx")), cpu)) {
                String inName = ort.getInputNames().iterator().next();
                for (String bs : batches) {
                    int b = Integer.parseInt(bs);
                    float[] x = new float[b * 3 * 224 * 224];
                    Random r = new Random(7);
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    long[] shape = {b, 3, 224, 224};
                    Tensor input = Tensor.of(x, b, 3, 224, 224);
                    List<Double> tg = new ArrayList<>(), to = new ArrayList<>();
                    float[] outG = null, outO = null;
                    // warm-up, the engines alternating: at least 2 runs each and WARMUP_SECONDS in all, so that C2 has
                    // compiled gapnet's Vector API kernels (they run boxed, many times slower, until it has) and
                    // ONNX Runtime has settled its arena before any run is timed
                    long warmEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
                    int warm = 0;
                    while (warm < 2 || System.nanoTime() < warmEnd) {
                        gap.run(input);
                        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                             OrtSession.Result res = ort.run(Map.of(inName, t))) {
                            res.get(0);
                        }
                        warm++;
                    }
                    for (int i = 0; i < runs; i++) {
                        settle();
                        long t0 = System.nanoTime();
                        outG = gap.run(input).floats();
                        double g = (System.nanoTime() - t0) / 1e6;
                        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
                            settle();
                            long t1 = System.nanoTime();
                            try (OrtSession.Result res = ort.run(Map.of(inName, t))) {
                                double ms = (System.nanoTime() - t1) / 1e6;
                                float[][] v = (float[][]) res.get(0).getValue();
                                outO = new float[v.length * v[0].length];
                                for (int k = 0; k < v.length; k++) System.arraycopy(v[k], 0, outO, k * v[0].length, v[0].length);
                                to.add(ms);
                            }
                        }
                        tg.add(g);
                    }
                    double diff = 0;
                    for (int i = 0; i < outG.length; i++) diff = Math.max(diff, Math.abs(outG[i] - outO[i]));
                    double mg = median(tg), mo = median(to);
                    // the same arithmetic for both: gapnet's count of the model's multiply-adds at this shape, two FLOPs each
                    double flop = 2.0 * gap.plan(Map.of(gap.singleInputName(), new int[] {b, 3, 224, 224})).macs();
                    System.out.printf(Locale.ROOT, "%-10s %5d %-12s %12.1f %10.2f %9.1f %16.3g%n", name, b, "gapnet cpu", mg, b * 1000 / mg,
                            flop / mg / 1e6, diff);
                    System.out.printf(Locale.ROOT, "%-10s %5d %-12s %12.1f %10.2f %9.1f%n", name, b, "onnxruntime", mo, b * 1000 / mo,
                            flop / mo / 1e6);
                    ratios.add(String.format(Locale.ROOT, "ratio %s b%d: %.3f", name, b, mo / mg));
                }
            }
        }
        ratios.forEach(System.out::println);
    }

    /**
     * A pause before each timed run, so that neither engine's worker threads, still spinning for work after
     * the other engine's run (ONNX Runtime spins by default, fork-join workers briefly), take cores from it.
     */
    static void settle() throws InterruptedException {
        Thread.sleep(30);
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
