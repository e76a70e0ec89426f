package io.gapnet.conformance;

import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;

/**
 * One op with fixed shapes and parameters, run on a backend and on the CPU reference with the same random
 * inputs. {@code inputs} gives each input's length; {@code positive} asks for positive inputs (for log and
 * sqrt, variances); {@code specials} mixes NaN, infinities, signed zeros and huge values into the inputs, to check
 * that every backend propagates them as the reference (and ONNX) does. {@code scales} (null: all 1) multiplies
 * each input's values: a convolution's weights get 1/sqrt(fan-in), as a trained network's do, so its outputs
 * have about unit size whatever the channel count.
 */
public record KernelCase(String name, int[] inputs, boolean positive, boolean specials, long outputSize, Launch launch,
                         float[] scales) {

    /** The launch: inputs in order, then the output buffer. */
    @FunctionalInterface
    public interface Launch {
        void run(Kernels k, DeviceBuffer[] in, DeviceBuffer out);
    }

    public static KernelCase of(String name, long outputSize, Launch launch, int... inputs) {
        return new KernelCase(name, inputs, false, false, outputSize, launch, null);
    }

    /** The same case with input i's values multiplied by scales[i]. */
    public KernelCase withScales(float... scales) {
        if (scales.length != inputs.length) throw new IllegalArgumentException("one scale per input");
        return new KernelCase(name, inputs, positive, specials, outputSize, launch, scales.clone());
    }

    /** What input i's values are multiplied by. */
    public float scale(int i) {
        return scales == null ? 1f : scales[i];
    }

    public KernelCase withPositiveInputs() {
        return new KernelCase(name, inputs, true, specials, outputSize, launch, scales);
    }

    /** The same case with NaN, +-Inf, +-0 and +-1e30 among its inputs, named "... with NaN/Inf". */
    public KernelCase withSpecialValues() {
        return new KernelCase(name + " with NaN/Inf", inputs, positive, true, outputSize, launch, scales);
    }

    @Override
    public String toString() {
        return name;
    }
}
