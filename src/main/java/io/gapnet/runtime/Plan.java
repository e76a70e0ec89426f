package io.gapnet.runtime;

import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A graph compiled for one input signature: the kernel steps in order, the shapes of all values, the
 * constants the steps read, and the activation memory plan (values assigned to reusable slots by
 * liveness). Backend-independent: a {@link Session} instantiates it on its backend.
 */
public final class Plan {
    /** A float graph input and the value it feeds. */
    public record Input(String name, int valueId, int[] shape) {}

    /** A graph output: a value computed by the steps, or a constant known at compile time (valueId -1). */
    public record Output(String name, int valueId, int[] shape, Tensor constant, DType declared) {}

    final List<Step> steps;
    final int[] slotOf;
    final long[] slotFloats;
    final Map<Integer, Tensor> constants;
    final List<Input> inputs;
    final List<Output> outputs;
    final int valueCount;
    /** Elements of each value, by id. */
    final int[] valueSizes;

    Plan(List<Step> steps, int valueCount, int[] valueSizes, int[] slotOf, long[] slotFloats, Map<Integer, Tensor> constants,
         List<Input> inputs, List<Output> outputs) {
        this.steps = List.copyOf(steps);
        this.valueCount = valueCount;
        this.valueSizes = valueSizes;
        this.slotOf = slotOf;
        this.slotFloats = slotFloats;
        this.constants = Map.copyOf(constants);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    public List<Step> steps() {
        return steps;
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<Output> outputs() {
        return outputs;
    }

    /** Multiply-accumulates of one run. */
    public long macs() {
        long m = 0;
        for (Step s : steps) m += s.macs();
        return m;
    }

    /** Bytes of activation memory one execution context allocates (the sum of its slots). */
    public long peakActivationBytes() {
        long f = 0;
        for (long s : slotFloats) f += s;
        return f * 4;
    }

    /** Bytes of constants (weights) the steps read. */
    public long constantBytes() {
        long b = 0;
        for (Tensor t : constants.values()) b += 4L * t.numel();
        return b;
    }

    public int slotCount() {
        return slotFloats.length;
    }
}
