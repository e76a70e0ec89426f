package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.ConvDesc;

/**
 * The fast convolution: implicit GEMM of the packed weights with the input, columns packed straight from
 * the input (no im2col matrix), bias, residual and activation fused into the final store.
 */
public interface ConvEngine {
    /** y = act(conv(x, w) + bias + residual) for d; w is the weights packed as [group][oc/g][c/g*kh*kw]. */
    void conv2d(ConvDesc d, float[] x, PackedA w, float[] bias, float[] residual, float[] y);

    /** The Vector API engine, or null when the jdk.incubator.vector module is absent or switched off. */
    static ConvEngine best() {
        return Sgemm.Holder.CONV;
    }

    /** Packs d's weights [oc, c/g, kh, kw] for {@link #conv2d}, into {@code into} when it is large enough. */
    static PackedA packWeights(ConvDesc d, float[] w, float[] into) {
        int m = d.ocPerGroup(), k = d.cPerGroup() * d.kh() * d.kw();
        return PackedA.pack(d.group(), m, k, w, 0, m * k, k, 1, into);
    }
}
