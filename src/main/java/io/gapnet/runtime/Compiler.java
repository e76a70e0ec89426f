package io.gapnet.runtime;

import io.gapnet.GapnetException;
import io.gapnet.ModelException;
import io.gapnet.ShapeException;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.ops.ConvLaunch;
import io.gapnet.runtime.ops.OpLowering;
import io.gapnet.runtime.ops.OpSet;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a graph for one input signature into a {@link Plan}: shapes are inferred node by node, shape
 * computations and other constant subgraphs are evaluated on the host, every other node becomes kernel
 * steps, and activations are assigned to reusable slots.
 */
public final class Compiler {
    private Compiler() {}

    /**
     * The part of an input that a plan depends on: the shape of a float input, the values of an int64
     * input (int64 inputs are shapes and indices, folded into the plan).
     */
    public record InputSig(int[] shape, DType dtype, Tensor intValue) {
        public static InputSig of(Tensor t) {
            return new InputSig(t.shape(), t.dtype(), t.dtype() == DType.INT64 ? t : null);
        }

        String key() {
            StringBuilder sb = new StringBuilder(Shapes.str(shape)).append(dtype == DType.INT64 ? "i" : "f");
            if (intValue != null) sb.append(Shapes.str(intValue.longs()));
            return sb.toString();
        }
    }

    /** A cache key for a signature and extra requested outputs. */
    static String key(Map<String, InputSig> inputs, Collection<String> extra) {
        StringBuilder sb = new StringBuilder();
        inputs.forEach((k, v) -> sb.append(k).append('=').append(v.key()).append(';'));
        return sb.append(extra).toString();
    }

    /**
     * @param graph an optimised graph (see {@link GraphOptimizer})
     * @param inputs a signature for every graph input
     * @param extraOutputs names of intermediate values to return besides the graph outputs
     */
    public static Plan compile(Graph graph, Map<String, InputSig> inputs, Collection<String> extraOutputs) {
        return compile(graph, inputs, extraOutputs, false);
    }

    /**
     * {@link #compile}; with {@code convPairs} (a backend that runs {@link io.gapnet.backend.Kernels#conv2dPair}), a
     * projection shortcut whose output only the residual Add of a block's last convolution reads is computed in that
     * convolution's step ({@link #pairShortcuts}).
     */
    public static Plan compile(Graph graph, Map<String, InputSig> inputs, Collection<String> extraOutputs,
                               boolean convPairs) {
        PlanBuilder b = new PlanBuilder(graph.opset());
        graph.initializers().forEach((name, t) -> b.bind(name, b.constant(name, t)));
        List<Plan.Input> planInputs = new ArrayList<>();
        for (ValueInfo vi : graph.inputs()) {
            InputSig sig = inputs.get(vi.name());
            if (sig == null) {
                throw new ShapeException("the model needs input '" + vi.name() + "' " + vi.shapeString() + " but it was not given"
                        + " (given: " + inputs.keySet() + ")");
            }
            checkInput(vi, sig);
            Value v;
            if (vi.dtype() == DType.INT64) {
                v = b.constant(vi.name(), sig.intValue());
            } else {
                v = b.dynamic(vi.name(), sig.shape());
                planInputs.add(new Plan.Input(vi.name(), v.id, sig.shape()));
            }
            b.bind(vi.name(), v);
        }
        for (String name : inputs.keySet()) {
            if (graph.input(name) == null) {
                throw new ShapeException("input '" + name + "' is not an input of this model; its inputs are "
                        + graph.inputs().stream().map(ValueInfo::name).toList());
            }
        }
        for (Node n : graph.nodes()) {
            b.setNode(n);
            OpLowering lowering = OpSet.lowering(n.opType(), n.domain());
            if (lowering == null) throw new ModelException(n.describe() + ": operator is not supported");
            try {
                lowering.lower(b);
            } catch (GapnetException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ShapeException(n.describe() + ": cannot be compiled for inputs " + describe(inputs) + " (" + e + ")");
            }
        }
        List<Plan.Output> outputs = new ArrayList<>();
        Set<Integer> keep = new HashSet<>();
        List<String> names = new ArrayList<>();
        Map<String, DType> declared = new HashMap<>();
        for (ValueInfo vi : graph.outputs()) {
            names.add(vi.name());
            declared.put(vi.name(), vi.dtype());
        }
        for (String extra : extraOutputs) if (!names.contains(extra)) names.add(extra);
        for (String name : names) {
            Value v = b.lookupOutput(name);
            keep.add(v.id);
            DType d = declared.getOrDefault(name, DType.FLOAT32);
            outputs.add(new Plan.Output(name, v.isConst() ? -1 : v.id, v.shape(), v.constant(), v.isInt() ? DType.INT64 : d));
        }
        if (convPairs) pairShortcuts(b.steps, b.values, keep);
        List<Long> slotSizes = new ArrayList<>();
        int[] slotOf = MemoryPlanner.plan(b.values, b.steps, keep, slotSizes);
        Map<Integer, Tensor> constants = new LinkedHashMap<>();
        for (Step s : b.steps) {
            for (int in : s.inputs()) {
                if (in >= 0 && b.values.get(in).isConst()) constants.put(in, b.values.get(in).constant());
            }
        }
        int[] sizes = b.values.stream().mapToInt(Value::numel).toArray();
        return new Plan(b.steps, b.values.size(), sizes, slotOf, slotSizes.stream().mapToLong(Long::longValue).toArray(),
                constants, planInputs, outputs);
    }

    /**
     * Merges each convolution step whose residual is the output of another convolution step into one pair step
     * ({@link ConvLaunch#pair}), where {@link ConvLaunch#pairs} allows it and nothing else reads that output (no other
     * step, no view, not a requested output): the shortcut's output then never goes through memory. The pair step keeps
     * the block convolution's node and output; the shortcut's step goes.
     */
    static void pairShortcuts(List<Step> steps, List<Value> values, Set<Integer> keep) {
        int[] readers = new int[values.size()];
        Map<Integer, Integer> producer = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            for (int in : steps.get(i).inputs()) if (in >= 0) readers[root(values, in)]++;
            producer.put(steps.get(i).output(), i);
        }
        Set<Integer> kept = new HashSet<>(); // the storage of every requested output, a view's included
        for (int id : keep) kept.add(root(values, id));
        Set<Integer> dropped = new HashSet<>();
        for (int i = 0; i < steps.size(); i++) {
            Step main = steps.get(i);
            if (!(main.kernel() instanceof ConvLaunch m) || main.inputs().length < 4 || main.inputs()[3] < 0) continue;
            int v = main.inputs()[3];
            Integer at = producer.get(v);
            if (at == null || dropped.contains(at) || kept.contains(v) || readers[v] != 1 || root(values, v) != v) continue;
            Step shortcut = steps.get(at);
            if (!(shortcut.kernel() instanceof ConvLaunch s) || shortcut.inputs()[3] >= 0 || !ConvLaunch.pairs(m.d(), s.d())) {
                continue;
            }
            int[] in = {main.inputs()[0], main.inputs()[1], main.inputs()[2],
                    shortcut.inputs()[0], shortcut.inputs()[1], shortcut.inputs()[2]};
            steps.set(i, new Step(main.op().replace("Conv+Add", "Conv+Conv+Add"), main.node(), in, main.output(),
                    main.shape() + " + shortcut " + shortcut.shape() + " (node " + shortcut.node() + ")",
                    main.macs() + shortcut.macs(), ConvLaunch.pair(m.d(), s.d())));
            dropped.add(at);
        }
        if (dropped.isEmpty()) return;
        List<Step> remaining = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) if (!dropped.contains(i)) remaining.add(steps.get(i));
        steps.clear();
        steps.addAll(remaining);
    }

    /** The value whose storage v uses (itself, or what it is a view of). */
    private static int root(List<Value> values, int v) {
        int a = values.get(v).aliasOf;
        return a >= 0 ? a : v;
    }

    private static String describe(Map<String, InputSig> inputs) {
        StringBuilder sb = new StringBuilder();
        inputs.forEach((k, v) -> sb.append(sb.length() > 0 ? ", " : "").append(k).append(' ').append(Shapes.str(v.shape())));
        return sb.toString();
    }

    /** Checks an input against the model's declaration, with a hint for the usual mistakes. */
    static void checkInput(ValueInfo vi, InputSig sig) {
        int[] s = sig.shape();
        boolean wantInt = vi.dtype() == DType.INT64;
        if (wantInt != (sig.dtype() == DType.INT64)) {
            throw new ShapeException("input '" + vi.name() + "' must be " + (wantInt ? "an int64" : "a float")
                    + " tensor but a " + sig.dtype() + " tensor was given");
        }
        if (!vi.hasShape()) return;
        long[] d = vi.dims();
        boolean ok = d.length == s.length;
        for (int i = 0; ok && i < d.length; i++) ok = d[i] < 0 || d[i] == s[i];
        if (ok) return;
        StringBuilder msg = new StringBuilder("input '" + vi.name() + "' expects shape " + vi.shapeString() + " but got "
                + Shapes.str(s) + ".");
        if (d.length == 4 && s.length == 4 && d[1] > 0 && s[3] == d[1] && s[1] != d[1]) {
            msg.append(" This looks like NHWC (channels-last) data; gapnet models take NCHW: transpose it to [")
                    .append(s[0]).append(", ").append(s[3]).append(", ").append(s[1]).append(", ").append(s[2]).append("].");
        } else if (d.length == s.length + 1 && d[0] < 0) {
            msg.append(" The batch dimension seems to be missing: add a leading dimension of 1.");
        } else if (d.length == 4 && s.length == 4 && d[1] > 0 && s[1] != d[1]) {
            msg.append(" The model takes ").append(d[1]).append(" channels; ").append(d[1] == 1 ? "convert the image to grayscale."
                    : d[1] == 3 ? "convert the image to RGB." : "check the preprocessing.");
        }
        throw new ShapeException(msg.toString());
    }
}
