package io.gapnet.conformance;

import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;

/**
 * One op with fixed shapes and parameters, run on a backend and on the CPU reference with the same random
 * inputs. {@code inputs} gives each input's length; {@code positive} asks for positive inputs (for log and
 * sqrt, variances).
 */
public record KernelCase(String name, int[] inputs, boolean positive, long outputSize, Launch launch) {

    /** The launch: inputs in order, then the output buffer. */
    @FunctionalInterface
    public interface Launch {
        void run(Kernels k, DeviceBuffer[] in, DeviceBuffer out);
    }

    public static KernelCase of(String name, long outputSize, Launch launch, int... inputs) {
        return new KernelCase(name, inputs, false, outputSize, launch);
    }

    public KernelCase withPositiveInputs() {
        return new KernelCase(name, inputs, true, outputSize, launch);
    }

    @Override
    public String toString() {
        return name;
    }
}
