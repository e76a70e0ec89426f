package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.PoolDesc;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling with vectors, per output row: the maximum down the window's rows for every input column,
 * then the maximum across kw neighbours at every position, then every stride-th of those. NaN wins, as
 * in the reference ({@code max} of anything and NaN is NaN); windows wholly in the padding give -infinity.
 */
final class VectorPool {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();

    /** Per-thread row buffers (grown, never shrunk): no allocation per plane or per call. */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    private VectorPool() {}

    static boolean maxPool(PoolDesc d, float[] x, float[] y) {
        if (d.dilationH() != 1 || d.dilationW() != 1) return false;
        int h = d.h(), w = d.w(), oh = d.oh(), ow = d.ow(), kh = d.kh(), kw = d.kw(), left = d.padLeft();
        int starts = (ow - 1) * d.strideW() + 1; // window starts needed, in padded column coordinates
        int len = Math.max(left + w, starts + kw - 1) + V; // padded row with room for whole vectors
        Parallel.run(d.n() * d.c(), plane -> {
            float[][] rows = ROWS.get();
            if (rows[0].length < len) rows[0] = new float[len];
            if (rows[1].length < starts + V) rows[1] = new float[starts + V];
            float[] col = rows[0], win = rows[1];
            java.util.Arrays.fill(col, 0, len, Float.NEGATIVE_INFINITY);
            for (int oy = 0; oy < oh; oy++) {
                int y0 = oy * d.strideH() - d.padTop(), a0 = Math.max(0, -y0), a1 = Math.min(kh, h - y0);
                // down: col[left + ix] = max over the window's rows inside the input
                int ix = 0;
                for (; ix + V <= w; ix += V) {
                    FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                    for (int a = a0; a < a1; a++) m = m.max(FloatVector.fromArray(S, x, (plane * h + y0 + a) * w + ix));
                    m.intoArray(col, left + ix);
                }
                for (; ix < w; ix++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int a = a0; a < a1; a++) m = Math.max(m, x[(plane * h + y0 + a) * w + ix]);
                    col[left + ix] = m;
                }
                // across: win[s] = max of col[s .. s + kw)
                for (int s = 0; s < starts; s += V) {
                    FloatVector m = FloatVector.fromArray(S, col, s);
                    for (int b = 1; b < kw; b++) m = m.max(FloatVector.fromArray(S, col, s + b));
                    m.intoArray(win, s);
                }
                int out = (plane * oh + oy) * ow;
                for (int ox = 0; ox < ow; ox++) y[out + ox] = win[ox * d.strideW()];
            }
        });
        return true;
    }
}
