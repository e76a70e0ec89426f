import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.cpu.fast.FastCpuKernels;
import io.gapnet.onnx.OnnxImporter;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * The fast CPU path with and without Winograd F(4x4,3x3), side by side in one JVM and one Session: the two settings
 * alternate run by run (each setting's packed weights stay with the Session, so neither pays for packing after the
 * warm-up). Usage: WinogradOnOff RUNS MODEL_DIR... (each with model.onnx); batch sizes from BATCHES (default "1 8").
 */
public class WinogradOnOff {
    /** Seconds of warm-up per model and batch at least (-Dwarmup.seconds). */
    static final double WARMUP_SECONDS = Double.parseDouble(System.getProperty("warmup.seconds", "6"));

    public static void main(String[] args) {
        int runs = Integer.parseInt(args[0]);
        String[] batches = System.getenv().getOrDefault("BATCHES", "1 8").trim().split("\\s+");
        System.out.printf(Locale.ROOT, "%d timed runs per setting after at least 3 warm-up runs each and %.0f s in all, settings alternating%n", runs, WARMUP_SECONDS);
        System.out.printf(Locale.ROOT, "%-10s %5s %16s %16s %8s%n", "model", "batch", "winograd ms", "direct ms", "speed-up");
        for (int a = 1; a < args.length; a++) {
            Path dir = Path.of(args[a]);
            String name = dir.getFileName().toString().replace("-torchvision", "");
            try (Backend cpu = Backends.open("cpu"); Session s = Session.open(OnnxImporter.load(dir.resolve("model.onnx")), cpu)) {
                for (String bs : batches) {
                    int b = Integer.parseInt(bs);
                    float[] x = new float[b * 3 * 224 * 224];
                    Random r = new Random(7);
                    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                    Tensor input = Tensor.of(x, b, 3, 224, 224);
                    double[][] ms = new double[2][runs];
                    // warm-up, both settings alternating: at least 3 runs each and WARMUP_SECONDS in all, so that C2
                    // has compiled the Vector API kernels of both paths before any run is timed
                    long warmEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
                    for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) {
                        for (int m = 0; m < 2; m++) {
                            FastCpuKernels.setWinograd(m == 0);
                            s.run(input);
                        }
                    }
                    for (int i = 0; i < runs; i++) {
                        for (int m = 0; m < 2; m++) {
                            FastCpuKernels.setWinograd(m == 0);
                            long t0 = System.nanoTime();
                            s.run(input);
                            ms[m][i] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    double on = median(ms[0]), off = median(ms[1]);
                    System.out.printf(Locale.ROOT, "%-10s %5d %16.1f %16.1f %8.3f%n", name, b, on, off, off / on);
                }
            } finally {
                FastCpuKernels.setWinograd(true);
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
