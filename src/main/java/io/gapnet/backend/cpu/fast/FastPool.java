package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.PoolDesc;

/**
 * Windowed max and average pooling for the fast CPU path: planes in parallel, each window clipped to the
 * input once per output row and column instead of testing every tap. Same results as the reference ({@code cpu.ref.PoolRef})
 * (the max is NaN when the window holds a NaN, like the reference's; the average sums in double and uses the same divisor).
 */
final class FastPool {
    private FastPool() {}

    static void maxPool(PoolDesc d, float[] x, float[] y) {
        pool(d, x, y, true);
    }

    static void avgPool(PoolDesc d, float[] x, float[] y) {
        pool(d, x, y, false);
    }

    private static void pool(PoolDesc d, float[] x, float[] y, boolean max) {
        int h = d.h(), w = d.w(), oh = d.oh(), ow = d.ow();
        // per output column and row: first tap inside the input, the number of taps inside, and (for
        // count_include_pad) the taps inside the padded extent; the same for every plane
        int[] kx0 = new int[ow], kxn = new int[ow], padCols = new int[ow];
        for (int ox = 0; ox < ow; ox++) {
            int start = ox * d.strideW() - d.padLeft();
            window(start, d.kw(), d.dilationW(), w, kx0, kxn, ox);
            padCols[ox] = inPadded(start, d.kw(), d.dilationW(), -d.padLeft(), w + d.padRight());
        }
        int[] ky0 = new int[oh], kyn = new int[oh], padRowsAt = new int[oh];
        for (int oy = 0; oy < oh; oy++) {
            int start = oy * d.strideH() - d.padTop();
            window(start, d.kh(), d.dilationH(), h, ky0, kyn, oy);
            padRowsAt[oy] = inPadded(start, d.kh(), d.dilationH(), -d.padTop(), h + d.padBottom());
        }
        boolean separable = max && d.dilationH() == 1 && d.dilationW() == 1;
        Parallel.run(d.n() * d.c(), plane -> {
            float[] colMax = separable ? new float[w] : null;
            for (int oy = 0; oy < oh; oy++) {
                int startY = oy * d.strideH() - d.padTop(), padRows = padRowsAt[oy];
                int firstRow = ky0[oy], rows = kyn[oy];
                int out = (plane * oh + oy) * ow;
                if (separable) {
                    // max down the window's rows for every input column (a loop the JIT vectorises), then across
                    java.util.Arrays.fill(colMax, Float.NEGATIVE_INFINITY);
                    for (int a = 0; a < rows; a++) {
                        int row = (plane * h + startY + firstRow + a) * w;
                        for (int ix = 0; ix < w; ix++) colMax[ix] = Math.max(colMax[ix], x[row + ix]);
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        int ix0 = ox * d.strideW() - d.padLeft() + kx0[ox];
                        float m = Float.NEGATIVE_INFINITY;
                        for (int b = 0; b < kxn[ox]; b++) m = Math.max(m, colMax[ix0 + b]);
                        y[out + ox] = m;
                    }
                    continue;
                }
                for (int ox = 0; ox < ow; ox++) {
                    int ix0 = ox * d.strideW() - d.padLeft() + kx0[ox] * d.dilationW();
                    if (max) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int a = 0; a < rows; a++) {
                            int row = (plane * h + startY + (firstRow + a) * d.dilationH()) * w + ix0;
                            for (int b = 0; b < kxn[ox]; b++) m = Math.max(m, x[row + b * d.dilationW()]);
                        }
                        y[out + ox] = m;
                    } else {
                        double sum = 0;
                        for (int a = 0; a < rows; a++) {
                            int row = (plane * h + startY + (firstRow + a) * d.dilationH()) * w + ix0;
                            for (int b = 0; b < kxn[ox]; b++) sum += x[row + b * d.dilationW()];
                        }
                        int divisor = d.countIncludePad() ? padRows * padCols[ox] : rows * kxn[ox];
                        y[out + ox] = divisor == 0 ? 0f : (float) (sum / divisor);
                    }
                }
            }
        });
    }

    /** Taps t < k with 0 <= start + t*dil < size: the first one and how many, into first[i] and count[i]. */
    private static void window(int start, int k, int dil, int size, int[] first, int[] count, int i) {
        int f = 0;
        while (f < k && start + f * dil < 0) f++;
        int l = k;
        while (l > f && start + (l - 1) * dil >= size) l--;
        first[i] = f;
        count[i] = l - f;
    }

    /** Taps whose position lies in [lo, hi): the padded extent, for count_include_pad. */
    private static int inPadded(int start, int k, int dil, int lo, int hi) {
        int n = 0;
        for (int t = 0; t < k; t++) {
            int p = start + t * dil;
            if (p >= lo && p < hi) n++;
        }
        return n;
    }
}
