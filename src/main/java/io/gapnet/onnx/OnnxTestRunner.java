package io.gapnet.onnx;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs test folders in the ONNX layout ({@code model.onnx}, {@code test_data_set_K/input_J.pb},
 * {@code output_J.pb}) and compares every output with {@code |got - want| <= atol + rtol * |want|}.
 */
public final class OnnxTestRunner {
    /** The outcome of one test set. */
    public record Result(String test, boolean passed, double maxAbsError, String message) {}

    private OnnxTestRunner() {}

    /** {@code dir} itself when it holds model.onnx, else every folder below it that does, sorted. */
    public static List<Path> findTestFolders(Path dir) {
        if (Files.isRegularFile(dir.resolve("model.onnx"))) return List.of(dir);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
        } catch (IOException e) {
            throw new GapnetException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Runs every test set of one folder; a model that fails to load or run fails each of its sets. */
    public static List<Result> run(Path folder, Backend backend, double atol, double rtol) {
        List<Path> sets;
        try (Stream<Path> s = Files.list(folder)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p)).sorted().toList();
        } catch (IOException e) {
            throw new GapnetException("cannot list " + folder + ": " + e.getMessage(), e);
        }
        String name = folder.getFileName().toString();
        List<Result> results = new ArrayList<>();
        Graph graph;
        try {
            graph = OnnxImporter.load(folder.resolve("model.onnx"));
        } catch (GapnetException e) {
            for (Path set : sets) results.add(new Result(name + "/" + set.getFileName(), false, Double.NaN, e.getMessage()));
            return results;
        }
        try (Session session = Session.open(graph, backend)) {
            for (Path set : sets) {
                String label = name + "/" + set.getFileName();
                try {
                    results.add(runSet(label, session, set, atol, rtol));
                } catch (GapnetException e) {
                    results.add(new Result(label, false, Double.NaN, e.getMessage()));
                }
            }
        }
        return results;
    }

    private static Result runSet(String label, Session session, Path set, double atol, double rtol) {
        Graph g = session.graph();
        Map<String, Tensor> inputs = new LinkedHashMap<>();
        List<ValueInfo> declared = g.inputs();
        for (int j = 0; ; j++) {
            Path f = set.resolve("input_" + j + ".pb");
            if (!Files.exists(f)) break;
            String stored = OnnxImporter.readTensorName(f);
            String inputName = !stored.isEmpty() && g.input(stored) != null ? stored
                    : (j < declared.size() ? declared.get(j).name() : null);
            if (inputName == null) throw new GapnetException(f + " has no matching graph input");
            Tensor t = OnnxImporter.readTensor(f);
            inputs.put(inputName, t.dtype() == DType.FLOAT16 ? t.asType(DType.FLOAT32) : t);
        }
        Map<String, Tensor> got = session.run(inputs);
        List<Tensor> outs = new ArrayList<>(got.values());
        double maxErr = 0;
        for (int j = 0; ; j++) {
            Path f = set.resolve("output_" + j + ".pb");
            if (!Files.exists(f)) break;
            Tensor want = OnnxImporter.readTensor(f);
            if (j >= outs.size()) return new Result(label, false, Double.NaN, "the model produced only " + outs.size() + " outputs");
            Tensor have = outs.get(j);
            if (!Arrays.equals(want.shape(), have.shape()) && want.numel() != have.numel()) {
                return new Result(label, false, Double.NaN, "output " + j + " has shape " + Shapes.str(have.shape())
                        + " but the reference has " + Shapes.str(want.shape()));
            }
            Compare c = compare(want, have, atol, rtol);
            maxErr = Math.max(maxErr, c.maxAbs);
            if (c.firstBad >= 0) {
                return new Result(label, false, maxErr, String.format("output %d element %d: got %s, want %s (max abs error %.3g)",
                        j, c.firstBad, c.got, c.want, c.maxAbs));
            }
        }
        return new Result(label, true, maxErr, "");
    }

    /** Element-wise comparison result: the maximum absolute error and the first element out of tolerance. */
    public record Compare(double maxAbs, int firstBad, String got, String want) {}

    public static Compare compare(Tensor want, Tensor have, double atol, double rtol) {
        if (want.dtype() == DType.INT64 || have.dtype() == DType.INT64) {
            long[] w = want.toLongs(), h = have.toLongs();
            double max = 0;
            for (int i = 0; i < w.length; i++) {
                max = Math.max(max, Math.abs((double) w[i] - h[i]));
                if (w[i] != h[i]) return new Compare(max, i, Long.toString(h[i]), Long.toString(w[i]));
            }
            return new Compare(max, -1, null, null);
        }
        float[] w = want.floats(), h = have.floats();
        double max = 0;
        int bad = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == h[i] || Float.isNaN(w[i]) && Float.isNaN(h[i])) continue;
            double err = Math.abs((double) h[i] - w[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            max = Math.max(max, err);
            if (bad < 0 && !(err <= atol + rtol * Math.abs(w[i]))) bad = i;
        }
        return bad < 0 ? new Compare(max, -1, null, null) : new Compare(max, bad, Float.toString(h[bad]), Float.toString(w[bad]));
    }
}
