package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.ConvDesc;

/**
 * A group-1 convolution's weights [oc][c*kh*kw] packed as the right operand of {@link FastEngine#conv2dTransposed}:
 * reduction steps as rows, output channels as columns, already in the engine's column panels (per block of at most
 * {@link PackedA#KC} steps, per panel of {@link VectorGemm#NR} channels, the panel's channels for each step next to
 * each other, zero past the last channel), so the engine reads them in place. Made once per constant weight buffer.
 */
public final class TransposedWeights implements Columns {
    private final float[] data;
    private final int oc, k, panels;

    private TransposedWeights(float[] data, int oc, int k) {
        this.data = data;
        this.oc = oc;
        this.k = k;
        this.panels = VectorGemm.ceil(oc, VectorGemm.NR);
    }

    static TransposedWeights of(ConvDesc d, float[] w) {
        int oc = d.oc(), k = d.c() * d.kh() * d.kw(), nr = VectorGemm.NR, panels = VectorGemm.ceil(oc, nr);
        float[] t = new float[panels * nr * k];
        TransposedWeights tw = new TransposedWeights(t, oc, k);
        Parallel.run(panels, q -> {
            for (int k0 = 0; k0 < k; k0 += PackedA.KC) {
                int kc = Math.min(PackedA.KC, k - k0), at = tw.offset(k0, kc, q);
                for (int j = 0; j < nr && q * nr + j < oc; j++) {
                    int src = (q * nr + j) * k + k0;
                    for (int p = 0; p < kc; p++) t[at + p * nr + j] = w[src + p];
                }
            }
        });
        return tw;
    }

    boolean matches(ConvDesc d) {
        return d.group() == 1 && oc == d.oc() && k == d.c() * d.kh() * d.kw();
    }

    /** The packed values: the engine's micro-kernel reads panel q of the block at step k0 from {@link #offset}. */
    float[] data() {
        return data;
    }

    /** Where column panel q of the reduction block starting at step k0 (kc steps) starts. */
    int offset(int k0, int kc, int q) {
        return (k0 * panels + q * kc) * VectorGemm.NR;
    }

    @Override
    public int count() {
        return oc;
    }

    @Override
    public void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s) {
        System.arraycopy(data, offset(k0, kc, j0 / VectorGemm.NR), dst, dOff, kc * VectorGemm.NR);
    }
}
