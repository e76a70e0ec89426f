package io.gapnet.runtime;

import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;

/**
 * One kernel launch of a plan: reads the values {@code inputs} (value ids; -1 for an omitted optional
 * input) and writes the value {@code output}.
 *
 * @param op the op as the profile and `info` show it (such as "Conv+Add+Relu")
 * @param node the graph node it came from
 * @param shape a short description of its shapes
 * @param macs multiply-accumulates per run (0 for ops without)
 */
public record Step(String op, String node, int[] inputs, int output, String shape, long macs, Kernel kernel) {

    /** The launch itself, written against the {@link Kernels} interface so that every backend runs it. */
    @FunctionalInterface
    public interface Kernel {
        void run(Kernels k, DeviceBuffer[] in, DeviceBuffer out);
    }

    /**
     * A launch with work that can be done once, before the first run: making the backend's own form of a constant
     * input (packed or transformed weights). {@code in} holds the constant inputs; the others are null.
     */
    public interface Preparing extends Kernel {
        void prepare(Kernels k, DeviceBuffer[] in);
    }
}
