package io.gapnet.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gapnet.GapnetException;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.onnx.OnnxImporter;
import io.gapnet.runtime.Compiler;
import io.gapnet.runtime.GraphOptimizer;
import io.gapnet.tensor.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Coverage-guided fuzzing of the ONNX importer and the compiler with Jazzer. Any input may be rejected, but
 * only with a {@link GapnetException}: any other exception or error (NullPointerException, an index out of
 * bounds, OutOfMemoryError, a hang) is a finding. The seed corpus (the shared node tests, small
 * PyTorch-converted models and mnist-8) and every input that once failed live in
 * src/test/resources/io/gapnet/fuzz/OnnxImporterFuzzTestInputs/importAndCompile and run as regression tests
 * in every build; {@code JAZZER_FUZZ=1} fuzzes for real (CI does, for a bounded time).
 */
class OnnxImporterFuzzTest {
    private static String previousLimit;

    @BeforeAll
    static void limits() {
        // a fuzzed graph may legitimately ask for big tensors; keep them small enough to fuzz quickly
        previousLimit = System.getProperty("gapnet.limits.maxTensorElements");
        System.setProperty("gapnet.limits.maxTensorElements", Integer.toString(1 << 20));
    }

    @AfterAll
    static void restore() {
        if (previousLimit == null) System.clearProperty("gapnet.limits.maxTensorElements");
        else System.setProperty("gapnet.limits.maxTensorElements", previousLimit);
    }

    @FuzzTest(maxDuration = "90s")
    void importAndCompile(byte[] data) {
        try {
            Graph g = OnnxImporter.load(data, "fuzz.onnx", null);
            Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
            for (ValueInfo v : g.inputs()) {
                if (v.dtype() == DType.INT64) return; // the plan depends on values the file does not give
                sigs.put(v.name(), new Compiler.InputSig(shape(v), DType.FLOAT32, null));
            }
            Compiler.compile(GraphOptimizer.optimize(g), sigs, List.of());
        } catch (GapnetException expected) {
            // a clear, documented rejection
        }
    }

    /** The declared shape with dynamic dims set to 2 (unknown rank: [1, 3, 8, 8]). */
    private static int[] shape(ValueInfo v) {
        if (!v.hasShape()) return new int[] {1, 3, 8, 8};
        long[] d = v.dims();
        int[] s = new int[d.length];
        for (int i = 0; i < d.length; i++) s[i] = d[i] < 0 ? 2 : (int) Math.min(d[i], 64);
        return s;
    }
}
