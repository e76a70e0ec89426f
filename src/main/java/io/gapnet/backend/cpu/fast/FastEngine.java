package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.PoolDesc;

/**
 * The fast CPU path's Vector API kernels. Convolution: implicit GEMM of the packed weights with the input,
 * columns packed straight from the input (no im2col matrix), bias, residual and activation fused into the
 * final store. Max pooling: vector passes down and across each window.
 */
public interface FastEngine {
    /** y = act(conv(x, w) + bias + residual) for d; w is the weights packed as [group][oc/g][c/g*kh*kw]. */
    void conv2d(ConvDesc d, float[] x, PackedA w, float[] bias, float[] residual, float[] y);

    /**
     * Whether d's output is small enough (a late layer at batch 1 or 2) that {@link #conv2dTransposed} wastes less
     * of the register tile on padding than {@link #conv2d}.
     */
    boolean transposes(ConvDesc d);

    /**
     * {@link #conv2d} computed as its transpose: output pixels of all images as the micro-kernel's rows, output
     * channels as its columns; {@code wt} is the weights packed for that ({@link TransposedWeights#of}), group 1.
     */
    void conv2dTransposed(ConvDesc d, float[] x, TransposedWeights wt, float[] bias, float[] residual, float[] y);

    /**
     * Whether {@link #conv2dPair} (or, where {@link #transposes} holds for both, {@link #conv2dPairTransposed}) computes
     * a and b as one product; else the caller runs them one after the other.
     */
    boolean pairs(ConvDesc a, ConvDesc b);

    /**
     * y = act(conv(xa, wa) + conv(xb, wb) + bias) for a pair that {@link #pairs} accepts: a's activation, bias both
     * convolutions' biases added (null: none).
     */
    void conv2dPair(ConvDesc a, float[] xa, PackedA wa, ConvDesc b, float[] xb, PackedA wb, float[] bias, float[] y);

    /** {@link #conv2dPair} computed transposed, as {@link #conv2dTransposed}, for a pair whose two convolutions transpose. */
    void conv2dPairTransposed(ConvDesc a, float[] xa, TransposedWeights wa, ConvDesc b, float[] xb, TransposedWeights wb,
                              float[] bias, float[] y);

    /** y = max pool of x; false (nothing written) for the dilated pools it leaves to the scalar path. */
    boolean maxPool(PoolDesc d, float[] x, float[] y);

    /** {@code y[yOff + i] += a * x[xOff + i]} for i in [0, n): a stride-1 row of a direct convolution. */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);

    /** Winograd's transforms and products on this engine: Vector API lane loops and the GEMM's micro-kernel. */
    Winograd.Lanes winograd();

    /** The Vector API engine, or null when the jdk.incubator.vector module is absent or switched off. */
    static FastEngine best() {
        return Sgemm.Holder.ENGINE;
    }

    /**
     * Packs d's weights [oc, c/g, kh, kw] for {@link #conv2d} as [group][oc/g][c/g*kh*kw], into {@code into}
     * when it is large enough.
     */
    static PackedA packWeights(ConvDesc d, float[] w, float[] into) {
        int m = d.ocPerGroup(), k = d.cPerGroup() * d.kh() * d.kw();
        return PackedA.pack(d.group(), m, k, w, 0, m * k, k, 1, into);
    }

    /** Whether weights packed earlier serve d (the kept form of a constant buffer is reused only then). */
    static boolean packedFor(ConvDesc d, PackedA a) {
        return a.matches(d.group(), d.ocPerGroup(), d.cPerGroup() * d.kh() * d.kw());
    }
}
