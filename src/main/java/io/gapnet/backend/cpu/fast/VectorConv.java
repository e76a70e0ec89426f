package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.PoolDesc;
import jdk.incubator.vector.FloatVector;

/**
 * Convolution as an implicit GEMM on the {@link VectorGemm} engine: rows are output channels (the packed
 * weights), reduction steps are (input channel, ky, kx), columns are output pixels of all images, so small
 * late-layer maps still fill whole register tiles across the batch. Two ways to read the columns:
 * <ul>
 * <li><b>shifted rows</b> (stride 1): the input, zero-padded once into a scratch copy when the convolution
 *     pads, is read in "padded-width" coordinates where every tap (ky, kx) is a constant offset, so packing
 *     a column panel is a straight vector copy per reduction step. A 1x1 convolution without padding reads
 *     the input in place and writes the output directly; otherwise the padded-width result (its extra
 *     columns are discarded) is compacted into the output together with the epilogue.</li>
 * <li><b>subsampled</b> (strided 1x1): every stride-th pixel copied once, then read as shifted rows.</li>
 * <li><b>gather</b> (other strided convolutions, small maps): per column panel, a table of where each tap
 *     of each column's window sits (or that it is padding), then one read per column and step; output and
 *     epilogue go straight to y.</li>
 * </ul>
 */
final class VectorConv implements FastEngine {
    /** Stride-1 spatial convolutions use shifted rows only when the padded width wastes little. */
    private static final int MIN_SHIFT_WIDTH = 14;
    /** Scratch copies larger than this (floats) are avoided: the gather path needs none. */
    private static final long MAX_SCRATCH = 1L << 27;

    private static final ThreadLocal<float[]> PADDED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> WIDE = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public boolean maxPool(PoolDesc d, float[] x, float[] y) {
        return VectorPool.maxPool(d, x, y);
    }

    @Override
    public void conv2d(ConvDesc d, float[] x, PackedA w, float[] bias, float[] residual, float[] y) {
        int oh = d.outH(), ow = d.outW(), p = oh * ow, n = d.n(), m = d.ocPerGroup();
        if (n == 0 || p == 0 || d.oc() == 0) return;
        boolean stride1 = d.strideH() == 1 && d.strideW() == 1;
        boolean unpadded = d.padTop() == 0 && d.padLeft() == 0 && d.padBottom() == 0 && d.padRight() == 0;
        int hp = d.h() + d.padTop() + d.padBottom(), wp = d.w() + d.padLeft() + d.padRight();
        int cpi = (oh - 1) * wp + ow;
        boolean pointwise = d.kh() == 1 && d.kw() == 1;
        // straight into y, epilogue fused: columns are the output pixels of every image
        VectorGemm.Target direct = new VectorGemm.Target(y, 0, n * p, p, d.oc() * p, p, m, bias, residual, d.act());
        if (pointwise && unpadded && !stride1 && (long) n * d.c() * p <= MAX_SCRATCH) {
            // a strided 1x1 convolution (ResNet's downsampling shortcut) only reads every stride-th pixel:
            // gather those once, then it is a 1x1 stride-1 convolution over the smaller map
            VectorGemm.run(w, new Shifted(d, subsampled(d, x, oh, ow), oh, ow, p), direct);
            return;
        }
        boolean shift = stride1 && (pointwise && unpadded || ow >= MIN_SHIFT_WIDTH)
                && (unpadded || (long) n * d.c() * hp * wp <= MAX_SCRATCH)
                && (cpi == p || (long) n * d.oc() * cpi <= MAX_SCRATCH);
        if (!shift) {
            VectorGemm.run(w, new Gather(d, x), direct);
            return;
        }
        float[] src = unpadded ? x : padded(d, x, hp, wp);
        Columns cols = new Shifted(d, src, hp, wp, cpi);
        if (cpi == p) {
            VectorGemm.run(w, cols, direct);
            return;
        }
        float[] wide = scratch(WIDE, (long) n * d.oc() * cpi);
        VectorGemm.run(w, cols, new VectorGemm.Target(wide, 0, n * cpi, cpi, d.oc() * cpi, cpi, m, null, null, Activation.NONE));
        compact(wide, cpi, wp, oh, ow, n * d.oc(), d.oc(), bias, residual, d.act(), y);
    }

    private static float[] scratch(ThreadLocal<float[]> holder, long size) {
        float[] a = holder.get();
        if (a.length < size) {
            a = new float[(int) size];
            holder.set(a);
        }
        return a;
    }

    /** x copied into [n][c][hp][wp] with zero borders. */
    private static float[] padded(ConvDesc d, float[] x, int hp, int wp) {
        float[] xp = scratch(PADDED, (long) d.n() * d.c() * hp * wp);
        int h = d.h(), w = d.w(), top = d.padTop(), left = d.padLeft();
        Parallel.run(d.n() * d.c(), plane -> {
            int s = plane * h * w, t = plane * hp * wp;
            java.util.Arrays.fill(xp, t, t + top * wp, 0f);
            for (int iy = 0; iy < h; iy++) {
                int row = t + (top + iy) * wp;
                java.util.Arrays.fill(xp, row, row + left, 0f);
                System.arraycopy(x, s + iy * w, xp, row + left, w);
                java.util.Arrays.fill(xp, row + left + w, row + wp, 0f);
            }
            java.util.Arrays.fill(xp, t + (top + h) * wp, t + hp * wp, 0f);
        });
        return xp;
    }

    /** x[n][c][oy*strideH][ox*strideW] copied into [n][c][oh][ow]. */
    private static float[] subsampled(ConvDesc d, float[] x, int oh, int ow) {
        float[] xs = scratch(PADDED, (long) d.n() * d.c() * oh * ow);
        int h = d.h(), w = d.w(), sh = d.strideH(), sw = d.strideW();
        Parallel.run(d.n() * d.c(), plane -> {
            for (int oy = 0; oy < oh; oy++) {
                int s = (plane * h + oy * sh) * w, t = (plane * oh + oy) * ow;
                for (int ox = 0; ox < ow; ox++) xs[t + ox] = x[s + ox * sw];
            }
        });
        return xs;
    }

    /** y[plane][oy][ox] = act(wide[plane][oy*wp + ox] + bias[plane % channels] + residual), ox < ow. */
    private static void compact(float[] wide, int cpi, int wp, int oh, int ow, int planes, int channels, float[] bias,
                                float[] residual, Activation act, float[] y) {
        int v = VectorGemm.V;
        boolean vectorAct = VectorGemm.vectorised(act);
        Parallel.run(planes, plane -> {
            float b = bias == null ? 0f : bias[plane % channels];
            for (int oy = 0; oy < oh; oy++) {
                int s = plane * cpi + oy * wp, t = (plane * oh + oy) * ow, ox = 0;
                if (vectorAct) {
                    for (; ox + v <= ow; ox += v) {
                        FloatVector r = FloatVector.fromArray(VectorGemm.S, wide, s + ox).add(b);
                        if (residual != null) r = r.add(FloatVector.fromArray(VectorGemm.S, residual, t + ox));
                        VectorGemm.activate(act, r).intoArray(y, t + ox);
                    }
                }
                for (; ox < ow; ox++) {
                    float r = wide[s + ox] + b;
                    if (residual != null) r += residual[t + ox];
                    y[t + ox] = act.apply(r);
                }
            }
        });
    }

    /** Step k = (ci, ky, kx) as an offset into one image's [c][hp][wp] planes. */
    private static int[] rowOffsets(ConvDesc d, int planeSize, int rowWidth) {
        int taps = d.kh() * d.kw(), k = d.cPerGroup() * taps;
        int[] off = new int[k];
        for (int i = 0; i < k; i++) {
            int ci = i / taps, t = i % taps, ky = t / d.kw(), kx = t % d.kw();
            off[i] = ci * planeSize + ky * d.dilationH() * rowWidth + kx * d.dilationW();
        }
        return off;
    }

    /** Stride-1 columns in padded-width coordinates: column c of an image reads src[image + group + row(k) + c]. */
    private static final class Shifted implements Columns {
        private final float[] src;
        private final int count, cpi, imageStride, groupStride;
        private final int[] rowOff;

        Shifted(ConvDesc d, float[] src, int hp, int wp, int cpi) {
            this.src = src;
            this.cpi = cpi;
            this.count = d.n() * cpi;
            this.imageStride = d.c() * hp * wp;
            this.groupStride = d.cPerGroup() * hp * wp;
            this.rowOff = rowOffsets(d, hp * wp, wp);
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s) {
            int nr = VectorGemm.NR, img = j0 / cpi, col = j0 - img * cpi;
            if (col + nr <= cpi) {
                int base = img * imageStride + g * groupStride + col;
                for (int p = 0; p < kc; p++) VectorGemm.copyPanelRow(src, base + rowOff[k0 + p], dst, dOff + p * nr);
                return;
            }
            int imageBase = g * groupStride;
            for (int p = 0; p < kc; p++) {
                VectorGemm.packImageRow(src, imageBase, imageStride, rowOff[k0 + p], cpi, count, j0, dst, dOff + p * nr);
            }
        }
    }

    /** Any convolution: per column its window origin, per step its offset; zero outside the input. */
    private static final class Gather implements Columns {
        private final float[] src;
        private final int count, p, ow, h, w, strideH, strideW, padTop, padLeft, imageStride, groupStride, taps;
        /** Per tap (ky, kx): its offset from the window's corner. */
        private final int[] rowDy, rowDx;

        Gather(ConvDesc d, float[] src) {
            this.src = src;
            this.p = d.outH() * d.outW();
            this.count = d.n() * p;
            this.ow = d.outW();
            this.h = d.h();
            this.w = d.w();
            this.strideH = d.strideH();
            this.strideW = d.strideW();
            this.padTop = d.padTop();
            this.padLeft = d.padLeft();
            this.imageStride = d.c() * h * w;
            this.groupStride = d.cPerGroup() * h * w;
            this.taps = d.kh() * d.kw();
            this.rowDy = new int[taps];
            this.rowDx = new int[taps];
            for (int t = 0; t < taps; t++) {
                rowDy[t] = t / d.kw() * d.dilationH();
                rowDx[t] = t % d.kw() * d.dilationW();
            }
        }

        @Override
        public int count() {
            return count;
        }

        @Override
        public void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s) {
            int nr = VectorGemm.NR;
            // per tap (ky, kx) and column: where the value sits in the group's first channel, or -1 in the padding
            int[] at = s.tapTable(taps * nr);
            for (int jj = 0; jj < nr; jj++) {
                int j = j0 + jj;
                if (j >= count) {
                    for (int t = 0; t < taps; t++) at[t * nr + jj] = -1;
                    continue;
                }
                int img = j / p, pix = j - img * p, oy = pix / ow, ox = pix - oy * ow;
                int y0 = oy * strideH - padTop, x0 = ox * strideW - padLeft, base = img * imageStride + g * groupStride;
                for (int t = 0; t < taps; t++) {
                    int iy = y0 + rowDy[t], ix = x0 + rowDx[t];
                    at[t * nr + jj] = Integer.compareUnsigned(iy, h) < 0 && Integer.compareUnsigned(ix, w) < 0
                            ? base + iy * w + ix : -1;
                }
            }
            int ci = k0 / taps, t = k0 - ci * taps;
            for (int q = 0; q < kc; q++) {
                int plane = ci * h * w, row = t * nr, d = dOff + q * nr;
                for (int jj = 0; jj < nr; jj++) {
                    int i = at[row + jj];
                    dst[d + jj] = i < 0 ? 0f : src[i + plane];
                }
                if (++t == taps) {
                    t = 0;
                    ci++;
                }
            }
        }
    }
}
