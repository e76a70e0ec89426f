package io.gapnet.ops;

import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one ONNX op on the CPU reference through the whole stack (graph, compiler, session). Float and
 * int64 inputs become graph inputs named in0, in1, ...; a null input is an omitted optional input.
 */
public final class OpHarness {
    private OpHarness() {}

    public static Tensor run(String op, Map<String, Object> attrs, Tensor... inputs) {
        return run(op, 17, attrs, inputs);
    }

    public static Tensor run(String op, int opset, Map<String, Object> attrs, Tensor... inputs) {
        return runAll(op, opset, attrs, 1, inputs).get(0);
    }

    public static List<Tensor> runAll(String op, int opset, Map<String, Object> attrs, int outputs, Tensor... inputs) {
        return runAll(op, opset, attrs, outputs, inputs.length, inputs);
    }

    /** As {@link #run(String, int, Map, Tensor...)}, with the inputs after the first initializers of the model (weights, scales). */
    public static Tensor runWithConstants(String op, int opset, Map<String, Object> attrs, Tensor... inputs) {
        return runAll(op, opset, attrs, 1, 1, inputs).get(0);
    }

    private static List<Tensor> runAll(String op, int opset, Map<String, Object> attrs, int outputs, int constFrom, Tensor... inputs) {
        List<String> names = new ArrayList<>();
        List<ValueInfo> infos = new ArrayList<>();
        Map<String, Tensor> feed = new LinkedHashMap<>(), inits = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) {
                names.add("");
                continue;
            }
            String n = "in" + i;
            names.add(n);
            if (i >= constFrom) {
                inits.put(n, inputs[i]);
                continue;
            }
            infos.add(new ValueInfo(n, inputs[i].dtype(), null, null));
            feed.put(n, inputs[i]);
        }
        List<String> outs = new ArrayList<>();
        List<ValueInfo> outInfos = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            outs.add("out" + i);
            outInfos.add(new ValueInfo("out" + i, io.gapnet.tensor.DType.FLOAT32, null, null));
        }
        Node node = new Node("n", op, names, outs, new Attributes(attrs));
        Graph g = new Graph("single-" + op, List.of(node), inits, infos, outInfos, opset);
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            return new ArrayList<>(s.run(feed).values());
        }
    }

    public static Tensor t(float[] data, int... shape) {
        return Tensor.of(data, shape);
    }

    public static Tensor ints(long... values) {
        return Tensor.ofLongs(values, values.length);
    }

    public static float[] f(float... v) {
        return v;
    }

    /** 0, 1, 2, ... n-1 as floats. */
    public static float[] iota(int n) {
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
