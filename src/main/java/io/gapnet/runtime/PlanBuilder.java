package io.gapnet.runtime;

import io.gapnet.ShapeException;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Node;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What an op's lowering sees while a plan is compiled: the current node, its input values, and ways to
 * produce its output. {@link #emit} adds a kernel step, or, when every input is a constant, runs the
 * same kernel right away on the host CPU reference and yields a constant: that is how constant
 * subgraphs (shape computations, weight preprocessing) are folded.
 */
public final class PlanBuilder {
    private static final CpuBackend HOST = new CpuBackend();

    final List<Value> values = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();
    private final Map<String, Value> env = new HashMap<>();
    private final Map<String, String> unsupportedOutputs = new HashMap<>();
    private final int opset;
    private Node node;

    PlanBuilder(int opset) {
        this.opset = opset;
    }

    /** The default-domain opset of the model, for ops whose semantics changed between versions. */
    public int opset() {
        return opset;
    }

    public Node node() {
        return node;
    }

    void setNode(Node n) {
        this.node = n;
    }

    Value lookup(String name) {
        Value v = env.get(name);
        if (v == null) {
            String why = unsupportedOutputs.get(name);
            throw new ShapeException(node.describe() + " reads '" + name + "'"
                    + (why != null ? ", " + why : ", which has not been computed"));
        }
        return v;
    }

    Value lookupOutput(String name) {
        Value v = env.get(name);
        if (v == null) {
            String why = unsupportedOutputs.get(name);
            throw new ShapeException("output '" + name + "' " + (why != null ? "is " + why : "is not computed by the graph"));
        }
        return v;
    }

    void bind(String name, Value v) {
        env.put(name, v);
    }

    /** Number of input slots the node lists (including omitted optional ones). */
    public int inputCount() {
        return node.inputs().size();
    }

    /** Required input i. */
    public Value in(int i) {
        String name = node.input(i);
        if (name.isEmpty()) throw error("input " + i + " is required but missing");
        return lookup(name);
    }

    /** Optional input i, or null when omitted. */
    public Value opt(int i) {
        String name = node.input(i);
        return name.isEmpty() ? null : lookup(name);
    }

    /** Required input i, which must be a float tensor. */
    public Value floatIn(int i) {
        Value v = in(i);
        if (v.isInt()) throw error("input " + i + " ('" + v.name + "') must be a float tensor but is int64");
        return v;
    }

    /** Input i as int64 values known at compile time (shapes, axes, indices). */
    public long[] constInts(int i, String what) {
        Value v = in(i);
        if (!v.isConst()) {
            throw error(what + " (input " + i + ", '" + v.name + "') must be known when the plan is compiled, but it is"
                    + " computed from the data at run time; gapnet supports only static shapes and indices");
        }
        return v.constant.toLongs();
    }

    /** A ShapeException that names the current node. */
    public ShapeException error(String message) {
        return new ShapeException(node.describe() + ": " + message);
    }

    public Value constant(Tensor t) {
        Value v = new Value(values.size(), node == null ? "const" : node.output(0), t.shape(), t.dtype(), t, -1);
        values.add(v);
        return v;
    }

    Value constant(String name, Tensor t) {
        Value v = new Value(values.size(), name, t.shape(), t.dtype(), t, -1);
        values.add(v);
        return v;
    }

    Value dynamic(String name, int[] shape) {
        Value v = new Value(values.size(), name, shape, DType.FLOAT32, null, -1);
        values.add(v);
        return v;
    }

    /**
     * Produces a float value of shape {@code outShape} with the kernel {@code k} over {@code inputs} (null
     * entries for omitted optional inputs). Folds on the host when all inputs are constants.
     */
    public Value emit(String op, int[] outShape, long macs, Step.Kernel k, Value... inputs) {
        return emitNamed(node.output(0), op, outShape, macs, k, inputs);
    }

    /** {@link #emit} for an output other than the node's first. */
    public Value emitNamed(String outName, String op, int[] outShape, long macs, Step.Kernel k, Value... inputs) {
        Shapes.numel(outShape);
        boolean allConst = true;
        for (Value v : inputs) {
            if (v != null && v.isInt()) throw error("input '" + v.name + "' is int64, but " + op + " computes on floats");
            if (v != null && !v.isConst()) allConst = false;
        }
        if (allConst) return constant(fold(outShape, k, inputs));
        int[] ids = new int[inputs.length];
        StringBuilder desc = new StringBuilder();
        for (int i = 0; i < inputs.length; i++) {
            ids[i] = inputs[i] == null ? -1 : inputs[i].id;
            if (inputs[i] != null && !inputs[i].isConst()) desc.append(desc.length() > 0 ? " " : "").append(Shapes.str(inputs[i].shape));
        }
        Value out = dynamic(outName, outShape);
        desc.append(" -> ").append(Shapes.str(outShape));
        steps.add(new Step(op, node.name(), ids, out.id, desc.toString(), macs, k));
        return out;
    }

    /** The same data seen with another shape (Reshape, Flatten, Squeeze, Identity...): no copy. */
    public Value alias(Value v, int[] newShape) {
        if (Shapes.numel(newShape) != v.numel()) {
            throw error("cannot view " + Shapes.str(v.shape) + " (" + v.numel() + " elements) as " + Shapes.str(newShape));
        }
        if (v.isConst()) return constant(v.constant.reshape(newShape));
        Value a = new Value(values.size(), node.output(0), newShape, v.dtype, null, v.aliasOf >= 0 ? v.aliasOf : v.id);
        values.add(a);
        return a;
    }

    /** Defines output i of the node (for ops with several outputs, such as Split). */
    public void output(int i, Value v) {
        if (!node.output(i).isEmpty()) bind(node.output(i), v);
    }

    /** Defines the node's first output; its other outputs, if any consumer reads them, are reported as unsupported. */
    public void output(Value v) {
        bind(node.output(0), v);
        for (int i = 1; i < node.outputs().size(); i++) {
            String extra = node.output(i);
            if (!extra.isEmpty()) {
                unsupportedOutputs.put(extra, "output " + i + " of " + node.describe()
                        + ", which gapnet does not compute (only inference outputs are supported)");
            }
        }
    }

    private Tensor fold(int[] outShape, Step.Kernel k, Value[] inputs) {
        // twice: the folded result on the reference backend, then copied out
        int n = Shapes.hostNumel(outShape, 8, node.describe() + " (folded at compile time)");
        DeviceBuffer[] bufs = new DeviceBuffer[inputs.length];
        DeviceBuffer out = null;
        try (Queue q = HOST.openQueue()) {
            for (int i = 0; i < inputs.length; i++) {
                if (inputs[i] == null) continue;
                float[] d = inputs[i].constant.toFloats();
                bufs[i] = HOST.allocate(d.length, "folded constant");
                q.upload(d, 0, bufs[i], 0, d.length);
            }
            out = HOST.allocate(n, "folded result");
            k.run(q.kernels(), bufs, out);
            float[] r = new float[n];
            q.download(out, 0, r, 0, n);
            return Tensor.of(r, outShape);
        } finally {
            for (DeviceBuffer b : bufs) if (b != null) b.close();
            if (out != null) out.close();
        }
    }
}
