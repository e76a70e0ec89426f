package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.ConvDesc;

/**
 * Winograd's error on one convolution ({@link FastCpuKernels#winogradErrors}): the largest |difference| from the
 * reference convolution, and the reference output's RMS.
 */
public record WinogradError(ConvDesc desc, double maxAbs, double referenceRms) {
    /** The largest difference relative to the output's typical size. */
    public double relative() {
        return referenceRms == 0 ? maxAbs : maxAbs / referenceRms;
    }
}
