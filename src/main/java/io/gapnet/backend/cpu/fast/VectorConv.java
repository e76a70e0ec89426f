package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.PoolDesc;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution as an implicit GEMM on the {@link VectorGemm} engine: rows are output channels (the packed
 * weights), reduction steps are (input channel, ky, kx), columns are output pixels of all images, so small
 * late-layer maps still fill whole register tiles across the batch. Two ways to read the columns:
 * <ul>
 * <li><b>shifted rows</b> (maps at least 14 wide): the input, zero-padded once into a scratch copy and, for
 *     strided convolutions (with few output channels, such as a 7x7 stem, or where the planes waste few columns
 *     or the columns make few panels), split into stride x stride phase planes, is read in "plane-width"
 *     coordinates where every tap (ky, kx) is a constant offset, so packing a column panel is a straight vector copy per
 *     reduction step. A 1x1 stride-1 convolution without padding reads the input in place and writes the
 *     output directly; otherwise the plane-width result (its extra columns are discarded) is compacted into
 *     the output together with the epilogue, unless the output rows are wide enough (or a whole number of vectors
 *     wide) to be packed by output row instead ({@link OutputRows}), which writes the output directly.</li>
 * <li><b>subsampled</b> (strided 1x1): every stride-th pixel copied once, then read as shifted rows.</li>
 * <li><b>gather</b> (small maps, other strided convolutions, very large inputs): per column panel, a table of where each tap
 *     of each column's window sits (or that it is padding), then one read per column and step; output and
 *     epilogue go straight to y.</li>
 * </ul>
 */
final class VectorConv implements FastEngine {
    /** Stride-1 spatial convolutions use shifted rows only when the padded width wastes little. */
    private static final int MIN_SHIFT_WIDTH = 14;
    /** Strided convolutions use phase planes only up to this many output channels per group. */
    private static final int MAX_PHASED_ROWS = 96;
    /** Scratch copies larger than this (floats) are avoided: the gather path needs none. */
    private static final long MAX_SCRATCH = 1L << 27;

    private static final ThreadLocal<float[]> PADDED = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> WIDE = ThreadLocal.withInitial(() -> new float[0]);
    /** {@link #pixelRows}' per-thread window corners: one int for each row of a run of panels, grown on demand. */
    private static final ThreadLocal<int[]> CORNERS = ThreadLocal.withInitial(() -> new int[PackedA.MR]);
    private static final ThreadLocal<float[]> PACKED_ROWS = new ThreadLocal<>();
    /** The shortcut's pixel rows of {@link #conv2dPairTransposed} (the block convolution's take {@link #PACKED_ROWS}). */
    private static final ThreadLocal<float[]> PACKED_SHORTCUT_ROWS = new ThreadLocal<>();
    /** Output pixels (of all images) up to which {@link #transposes} considers the transposed product. */
    static final int MAX_TRANSPOSED_PIXELS = 128;
    /**
     * Output rows at least this wide (or a whole number of vectors wide) are packed by {@link OutputRows}, straight
     * into the output: few of their vectors cross a row's end.
     */
    private static final int MIN_ROW_MAPPED_WIDTH = 64;
    /**
     * A 1x1 convolution of one image whose input is read in place ({@link #readsInPlace}) is computed transposed up to
     * this many pixels when it has at least {@link #MIN_IN_PLACE_REDUCTION} input channels: a 14x14 map (196 pixels)
     * pads 33 row panels by 2 rows, 7 column panels by 28 columns. With fewer channels the value-by-value transposed
     * store outweighs that (ResNet-50 at batch 1: its 256-to-1024-channel 14x14 layers ran 1-8% slower transposed, the
     * 1024-to-256 ones 0-6% faster and the 1024-to-512 one 5-8% faster, in two runs).
     */
    static final int MAX_IN_PLACE_PIXELS = 256;
    static final int MIN_IN_PLACE_REDUCTION = 512;
    /** {@link #pixelRows}' per-thread offsets of a reduction block's steps from a window's corner. */
    private static final ThreadLocal<int[]> STEPS = ThreadLocal.withInitial(() -> new int[PackedA.KC]);

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        VectorSpecies<Float> s = VectorGemm.S;
        FloatVector av = FloatVector.broadcast(s, a);
        int i = 0;
        for (int end = n - s.length(); i <= end; i += s.length()) {
            FloatVector.fromArray(s, x, xOff + i).fma(av, FloatVector.fromArray(s, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    @Override
    public Winograd.Lanes winograd() {
        return VectorWinograd.LANES;
    }

    @Override
    public boolean maxPool(PoolDesc d, float[] x, float[] y) {
        return VectorPool.maxPool(d, x, y);
    }

    /**
     * Group 1, at most {@link #MAX_TRANSPOSED_PIXELS} output pixels ({@link #MAX_IN_PLACE_PIXELS} for a 1x1
     * convolution read in place with many input channels) (and gathered rows, packed weights and the
     * zero-padded input copy within the scratch bound), and at least a tenth less padding with pixels
     * as 6-row panels and channels as 32-column panels than the other way round: a 7x7 map at batch 1 is 49 of 64
     * columns (two panels) but 49 of 54 rows.
     */
    @Override
    public boolean transposes(ConvDesc d) {
        long pixels = (long) d.n() * d.outH() * d.outW(), k = (long) d.c() * d.kh() * d.kw();
        int nr = VectorGemm.NR, mr = VectorGemm.MR;
        int maxPixels = readsInPlace(d) && d.c() >= MIN_IN_PLACE_REDUCTION ? MAX_IN_PLACE_PIXELS : MAX_TRANSPOSED_PIXELS;
        if (d.group() != 1 || pixels == 0 || pixels > maxPixels || pixels * k > MAX_SCRATCH
                || (long) VectorGemm.ceil(d.oc(), nr) * nr * k > MAX_SCRATCH
                || padded(d) && (long) d.n() * d.c() * paddedH(d) * paddedW(d) > MAX_SCRATCH) return false;
        double columnsWay = (double) VectorGemm.ceil(pixels, nr) * nr / pixels;
        double rowsWay = (double) VectorGemm.ceil(pixels, mr) * mr / pixels * VectorGemm.ceil(d.oc(), nr) * nr / d.oc();
        return rowsWay < 0.9 * columnsWay;
    }

    @Override
    public void conv2dTransposed(ConvDesc d, float[] x, TransposedWeights wt, float[] bias, float[] residual, float[] y) {
        int p = d.outH() * d.outW();
        VectorGemm.run(rows(d, x, PACKED_ROWS), wt, VectorGemm.Target.transposed(y, d.n(), p, d.oc(), bias, residual, d.act()));
    }

    @Override
    public void conv2dPairTransposed(ConvDesc a, float[] xa, TransposedWeights wa, ConvDesc b, float[] xb, TransposedWeights wb,
                                     float[] bias, float[] y) {
        int p = a.outH() * a.outW();
        VectorGemm.run(rows(a, xa, PACKED_ROWS), wa, rows(b, xb, PACKED_SHORTCUT_ROWS), wb,
                VectorGemm.Target.transposed(y, a.n(), p, a.oc(), bias, null, a.act()));
    }

    /**
     * The pixel rows of a transposed product: a 1x1 convolution of one image reads its input planes as they are (when
     * the buffer reaches past the last panel's rows: activation slots usually do), else they are gathered into panels
     * first, in {@code scratch}.
     */
    private static PackedA rows(ConvDesc d, float[] x, ThreadLocal<float[]> scratch) {
        int p = d.outH() * d.outW();
        PackedA a = readsInPlace(d) ? PackedA.inPlace(x, p, d.c(), p) : null;
        if (a == null) {
            a = pixelRows(d, x, scratch.get());
            scratch.set(a.data());
        }
        return a;
    }

    /**
     * The im2col matrix with pixels as rows (row i: output pixel i % p of image i / p; step (ci, ky, kx): the input
     * under that tap, 0 in the padding), written straight into the engine's packed panels: per panel of MR pixels and
     * step, the MR values side by side, which for neighbouring pixels are neighbouring inputs. (Building the
     * row-major im2col first and packing it after read each input channel plane once per pixel; for a 2048-channel
     * 7x7 layer that took a third of the convolution.) A padded convolution reads a zero-padded copy of its input
     * ({@link #phased} at stride 1), so that every tap of every window is inside and each value is one load from a
     * per-row offset plus a per-step offset, with no bounds test (testing every value took a 512-channel 3x3 layer's
     * packing 0.23 ms of its 1.3).
     */
    static PackedA pixelRows(ConvDesc d, float[] x, float[] into) {
        int ow = d.outW(), p = d.outH() * ow, m = d.n() * p, kw = d.kw(), taps = d.kh() * kw, k = d.c() * taps;
        int hp = paddedH(d), wp = paddedW(d), plane = hp * wp, mr = PackedA.MR;
        float[] src = padded(d) ? phased(d, x, 1, 1, hp, wp) : x;
        PackedA a = PackedA.empty(1, m, k, into);
        float[] dst = a.data();
        int blocks = VectorGemm.ceil(k, PackedA.KC), panels = a.panels;
        // items are reduction blocks, split into runs of panels only as far as needed to keep every core busy
        int splits = Math.min(panels, VectorGemm.ceil(2L * Parallel.threads(), blocks));
        int perItem = VectorGemm.ceil(panels, splits), runs = VectorGemm.ceil(panels, perItem);
        Parallel.run(blocks * runs, item -> {
            int kb = item / runs, ip0 = (item - kb * runs) * perItem, ip1 = Math.min(panels, ip0 + perItem);
            int k0 = kb * PackedA.KC, kc = Math.min(PackedA.KC, k - k0), rows = (ip1 - ip0) * mr;
            // per row: where its window's corner is in src (the first channel)
            int[] corner = CORNERS.get();
            if (corner.length < rows) CORNERS.set(corner = new int[rows]);
            int valid = Math.min(rows, m - ip0 * mr);
            for (int r = 0; r < valid; r++) {
                int i = ip0 * mr + r, img = i / p, pix = i - img * p, oy = pix / ow, ox = pix - oy * ow;
                corner[r] = img * d.c() * plane + oy * d.strideH() * wp + ox * d.strideW();
            }
            // per step of the block: where its tap of its channel is from a window's corner
            int[] step = STEPS.get();
            for (int q = 0, ci = k0 / taps, t = k0 - ci * taps; q < kc; q++) {
                int ky = t / kw, kx = t - ky * kw;
                step[q] = ci * plane + ky * d.dilationH() * wp + kx * d.dilationW();
                if (++t == taps) {
                    t = 0;
                    ci++;
                }
            }
            int at0 = a.offset(0, k0, kc, ip0), panelStride = kc * mr;
            // panel by panel, step by step: the MR values of a step side by side, after the previous step's
            for (int r = 0, at = at0; r < rows; r += mr, at += panelStride) {
                int q = 0;
                if (r + mr <= valid) {
                    for (; q < kc; q++) {
                        int off = step[q], o = at + q * mr;
                        for (int rr = 0; rr < mr; rr++) dst[o + rr] = src[corner[r + rr] + off];
                    }
                }
                for (; q < kc; q++) { // the last panel, past the last pixel
                    int off = step[q], o = at + q * mr;
                    for (int rr = 0; rr < mr; rr++) dst[o + rr] = r + rr < valid ? src[corner[r + rr] + off] : 0f;
                }
            }
        });
        return a;
    }

    /** One image, 1x1, stride 1, no padding: the input planes are the pixel rows' matrix stored column by column. */
    private static boolean readsInPlace(ConvDesc d) {
        return d.n() == 1 && d.kh() == 1 && d.kw() == 1 && stride1(d) && !padded(d);
    }

    private static boolean padded(ConvDesc d) {
        return d.padTop() != 0 || d.padLeft() != 0 || d.padBottom() != 0 || d.padRight() != 0;
    }

    private static int paddedH(ConvDesc d) {
        return d.h() + d.padTop() + d.padBottom();
    }

    private static int paddedW(ConvDesc d) {
        return d.w() + d.padLeft() + d.padRight();
    }

    @Override
    public void conv2d(ConvDesc d, float[] x, PackedA w, float[] bias, float[] residual, float[] y) {
        int oh = d.outH(), ow = d.outW(), p = oh * ow, n = d.n(), m = d.ocPerGroup();
        if (n == 0 || p == 0 || d.oc() == 0) return;
        boolean stride1 = stride1(d);
        boolean unpadded = !padded(d);
        boolean pointwise = d.kh() == 1 && d.kw() == 1;
        VectorGemm.Target direct = direct(d, y, bias, residual);
        if (pointwise && unpadded && !stride1 && (long) n * d.c() * p <= MAX_SCRATCH) {
            // a strided 1x1 convolution (ResNet's downsampling shortcut) only reads every stride-th pixel:
            // gather those once, then it is a 1x1 stride-1 convolution over the smaller map
            VectorGemm.run(w, pointwiseColumns(d, x), direct);
            return;
        }
        // the zero-padded input split into strideH x strideW phase planes of hq x wq (one plane at stride 1)
        int sh = d.strideH(), sw = d.strideW();
        int hq = Math.floorDiv(d.h() + d.padTop() + d.padBottom() + sh - 1, sh);
        int wq = Math.floorDiv(d.w() + d.padLeft() + d.padRight() + sw - 1, sw);
        int cpi = (oh - 1) * wq + ow;
        boolean inPlace = stride1 && unpadded;
        // a packed column panel serves every output channel: with many of them gathering costs less than
        // splitting the input into phase planes and compacting the result, with few (the 7x7 stem's 64) the phase
        // planes win. They also win with many where the plane-width columns waste at most 1 in 25 (ResNet-50's
        // 28x28 stride-2 layer: 811 columns for 784 pixels, 4-8% faster), or where the columns make so few panels
        // that the rows are cut between the threads and each would gather its panels again (its 14x14 one at
        // batch 1: 7 panels, 11% faster; at batch 8, 49 panels and 7% more columns, gathering stays 7% faster)
        long panels = VectorGemm.ceil((long) n * p, VectorGemm.NR);
        boolean fewWasted = (long) cpi * 25 <= (long) p * 26, fewPanels = panels < 4L * Parallel.threads();
        boolean longRows = ow >= MIN_SHIFT_WIDTH && (stride1 || m <= MAX_PHASED_ROWS || fewWasted || fewPanels);
        boolean shift = (pointwise && inPlace || longRows)
                && (inPlace || (long) n * d.c() * sh * sw * hq * wq <= MAX_SCRATCH)
                && (cpi == p || (long) n * d.oc() * cpi <= MAX_SCRATCH);
        if (!shift) {
            VectorGemm.run(w, new Gather(d, x), direct);
            return;
        }
        float[] src = inPlace ? x : phased(d, x, sh, sw, hq, wq);
        if (cpi == p) {
            VectorGemm.run(w, new Shifted(d, src, sh, sw, hq, wq), direct);
            return;
        }
        if (ow % VectorGemm.V == 0 || ow >= MIN_ROW_MAPPED_WIDTH) {
            VectorGemm.run(w, new OutputRows(d, src, sh, sw, hq, wq), direct);
            return;
        }
        Columns cols = new Shifted(d, src, sh, sw, hq, wq);
        float[] wide = scratch(WIDE, (long) n * d.oc() * cpi);
        VectorGemm.run(w, cols, new VectorGemm.Target(wide, 0, n * cpi, cpi, d.oc() * cpi, cpi, m, null, null, Activation.NONE));
        compact(wide, cpi, wq, oh, ow, n * d.oc(), d.oc(), bias, residual, d.act(), y);
    }

    /**
     * Two 1x1 unpadded group-1 convolutions with the same output (ResNet's bottleneck output and its shortcut), at most
     * one of them strided (its subsampled input takes the one scratch buffer), both computed transposed or neither.
     */
    @Override
    public boolean pairs(ConvDesc a, ConvDesc b) {
        return pointwisePlain(a) && pointwisePlain(b) && (stride1(a) || stride1(b)) && a.n() == b.n()
                && a.oc() == b.oc() && a.outH() == b.outH() && a.outW() == b.outW() && transposes(a) == transposes(b);
    }

    private static boolean pointwisePlain(ConvDesc d) {
        return d.kh() == 1 && d.kw() == 1 && d.group() == 1 && !padded(d)
                && (stride1(d) || (long) d.n() * d.c() * d.outH() * d.outW() <= MAX_SCRATCH);
    }

    private static boolean stride1(ConvDesc d) {
        return d.strideH() == 1 && d.strideW() == 1;
    }

    /**
     * One product over a's input channels and then b's, so that the shortcut's output is never stored or read back.
     */
    @Override
    public void conv2dPair(ConvDesc a, float[] xa, PackedA wa, ConvDesc b, float[] xb, PackedA wb, float[] bias, float[] y) {
        if (a.n() == 0 || a.outH() * a.outW() == 0 || a.oc() == 0) return;
        VectorGemm.run(wa, pointwiseColumns(a, xa), wb, pointwiseColumns(b, xb), direct(a, y, bias, null));
    }

    /** Straight into y, epilogue fused: columns are the output pixels of every image, rows a group's output channels. */
    private static VectorGemm.Target direct(ConvDesc d, float[] y, float[] bias, float[] residual) {
        int p = d.outH() * d.outW();
        return new VectorGemm.Target(y, 0, d.n() * p, p, d.oc() * p, p, d.ocPerGroup(), bias, residual, d.act());
    }

    /** The columns of a 1x1 unpadded convolution, output pixels of every image: the input itself, or every stride-th pixel. */
    private static Columns pointwiseColumns(ConvDesc d, float[] x) {
        int oh = d.outH(), ow = d.outW();
        return stride1(d) ? new Shifted(d, x, 1, 1, d.h(), d.w()) : new Shifted(d, subsampled(d, x, oh, ow), 1, 1, oh, ow);
    }

    private static float[] scratch(ThreadLocal<float[]> holder, long size) {
        float[] a = holder.get();
        if (a.length < size) {
            a = new float[(int) size];
            holder.set(a);
        }
        return a;
    }

    /**
     * x zero-padded and split into phases: [n][c][a][b][i][j] = padded x at row i*strideH + a, column
     * j*strideW + b, for phase (a, b) of strideH x strideW and i < hq, j < wq (zero past the padded extent).
     * At stride 1 this is just the padded copy.
     */
    private static float[] phased(ConvDesc d, float[] x, int sh, int sw, int hq, int wq) {
        int phases = sh * sw;
        float[] xq = scratch(PADDED, (long) d.n() * d.c() * phases * hq * wq);
        int h = d.h(), w = d.w(), top = d.padTop(), left = d.padLeft();
        Parallel.run(d.n() * d.c(), plane -> {
            int s = plane * h * w;
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    int t = (plane * phases + a * sw + b) * hq * wq;
                    // columns j with a source pixel: 0 <= j*sw + b - left < w
                    int j0 = Math.min(wq, Math.max(0, Math.floorDiv(left - b + sw - 1, sw)));
                    int j1 = Math.min(wq, Math.max(j0, Math.floorDiv(w - 1 + left - b, sw) + 1));
                    for (int i = 0; i < hq; i++) {
                        int row = t + i * wq, iy = i * sh + a - top;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(xq, row, row + wq, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(xq, row, row + j0, 0f);
                        int src = s + iy * w + j0 * sw + b - left;
                        if (sw == 1) {
                            System.arraycopy(x, src, xq, row + j0, j1 - j0);
                        } else {
                            for (int j = j0; j < j1; j++, src += sw) xq[row + j] = x[src];
                        }
                        java.util.Arrays.fill(xq, row + j1, row + wq, 0f);
                    }
                }
            }
        });
        return xq;
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

    /**
     * y[plane][oy][ox] = act(wide[plane][oy*wq + ox] + bias[plane % channels] + residual), ox < ow. Whole
     * vectors may run past the end of an output row: the lanes beyond it land on the next row, which is
     * written after; only where a vector would leave the plane does it go value by value.
     */
    private static void compact(float[] wide, int cpi, int wq, int oh, int ow, int planes, int channels, float[] bias,
                                float[] residual, Activation act, float[] y) {
        int v = VectorGemm.V;
        boolean vectorAct = VectorGemm.vectorised(act);
        Parallel.run(planes, plane -> {
            float b = bias == null ? 0f : bias[plane % channels];
            int planeEnd = (plane + 1) * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int s = plane * cpi + oy * wq, t = (plane * oh + oy) * ow, ox = 0;
                if (vectorAct) {
                    for (; ox < ow && t + ox + v <= planeEnd; ox += v) {
                        VectorGemm.finishVector(wide, s + ox, b, residual, t + ox, act, y, t + ox);
                    }
                }
                for (; ox < ow; ox++) {
                    float r = wide[s + ox] + b;
                    if (residual != null) r += residual[t + ox];
                    y[t + ox] = VectorGemm.activate(act, r);
                }
            }
        });
    }

    /**
     * Columns of a convolution over phase planes ({@link #phased}, or the input itself at stride 1 without
     * padding) in "plane-width" coordinates: output pixel (oy, ox) is column c = oy*wq + ox, and step
     * k = (ci, ky, kx) reads src[image + group + off(k) + c] with off(k) the plane of phase
     * (ky*dh % sh, kx*dw % sw) of channel ci plus (ky*dh / sh) rows and (kx*dw / sw) columns.
     */
    private static final class Shifted implements Columns {
        private final float[] src;
        private final int count, cpi;
        final int imageStride, groupStride;
        /** Per reduction step: its offset from a column's position in the phase planes. */
        final int[] rowOff;

        Shifted(ConvDesc d, float[] src, int sh, int sw, int hq, int wq) {
            this.src = src;
            this.cpi = (d.outH() - 1) * wq + d.outW();
            this.count = d.n() * cpi;
            int plane = hq * wq, phases = sh * sw;
            this.imageStride = d.c() * phases * plane;
            this.groupStride = d.cPerGroup() * phases * plane;
            int taps = d.kh() * d.kw(), k = d.cPerGroup() * taps;
            this.rowOff = new int[k];
            for (int i = 0; i < k; i++) {
                int ci = i / taps, t = i % taps, dy = t / d.kw() * d.dilationH(), dx = t % d.kw() * d.dilationW();
                rowOff[i] = (ci * phases + (dy % sh) * sw + dx % sw) * plane + dy / sh * wq + dx / sw;
            }
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

    /**
     * The columns of {@link Shifted} without its plane-width gaps: column j is output pixel j (of all images), read
     * from the phase planes at its row's start plus its column, so the product goes straight into the output with
     * the epilogue and nothing is compacted after. A vector of a panel that stays inside one output row is one vector
     * copy per step; one that crosses a row's end (or the last column) is copied value by value.
     */
    private static final class OutputRows implements Columns {
        private final float[] src;
        private final int count, p, ow, wq, imageStride, groupStride;
        private final int[] rowOff;

        OutputRows(ConvDesc d, float[] src, int sh, int sw, int hq, int wq) {
            Shifted shifted = new Shifted(d, src, sh, sw, hq, wq);
            this.src = src;
            this.p = d.outH() * d.outW();
            this.count = d.n() * p;
            this.ow = d.outW();
            this.wq = wq;
            this.imageStride = shifted.imageStride;
            this.groupStride = shifted.groupStride;
            this.rowOff = shifted.rowOff;
        }

        @Override
        public int count() {
            return count;
        }

        /** Where output pixel j's window corner is in its image's first channel of group g (tap offsets added per step). */
        private int origin(int g, int j) {
            int img = j / p, pix = j - img * p, oy = pix / ow;
            return img * imageStride + g * groupStride + oy * wq + pix - oy * ow;
        }

        @Override
        public void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s) {
            int v = VectorGemm.V, nr = VectorGemm.NR;
            for (int h = 0; h < nr; h += v) {
                int j = j0 + h, ox = (j % p) % ow, d = dOff + h;
                if (j + v <= count && ox + v <= ow) {
                    int base = origin(g, j);
                    for (int q = 0; q < kc; q++) VectorGemm.copyVector(src, base + rowOff[k0 + q], dst, d + q * nr);
                    continue;
                }
                int[] at = s.tapTable(v); // per lane: its origin, or -1 past the last column
                for (int l = 0; l < v; l++) at[l] = j + l < count ? origin(g, j + l) : -1;
                for (int q = 0; q < kc; q++) {
                    int off = rowOff[k0 + q], o = d + q * nr;
                    for (int l = 0; l < v; l++) dst[o + l] = at[l] < 0 ? 0f : src[at[l] + off];
                }
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
            boolean[] inside = s.tapInside(taps);
            java.util.Arrays.fill(inside, 0, taps, true);
            for (int jj = 0; jj < nr; jj++) {
                int j = j0 + jj;
                if (j >= count) {
                    for (int t = 0; t < taps; t++) at[t * nr + jj] = -1;
                    java.util.Arrays.fill(inside, 0, taps, false);
                    continue;
                }
                int img = j / p, pix = j - img * p, oy = pix / ow, ox = pix - oy * ow;
                int y0 = oy * strideH - padTop, x0 = ox * strideW - padLeft, base = img * imageStride + g * groupStride;
                for (int t = 0; t < taps; t++) {
                    int iy = y0 + rowDy[t], ix = x0 + rowDx[t];
                    boolean in = Integer.compareUnsigned(iy, h) < 0 && Integer.compareUnsigned(ix, w) < 0;
                    at[t * nr + jj] = in ? base + iy * w + ix : -1;
                    inside[t] &= in;
                }
            }
            int ci = k0 / taps, t = k0 - ci * taps;
            for (int q = 0; q < kc; q++) {
                int plane = ci * h * w, row = t * nr, d = dOff + q * nr;
                if (inside[t]) { // no column of this tap in the padding: no test per value
                    for (int jj = 0; jj < nr; jj++) dst[d + jj] = src[at[row + jj] + plane];
                } else {
                    for (int jj = 0; jj < nr; jj++) {
                        int i = at[row + jj];
                        dst[d + jj] = i < 0 ? 0f : src[i + plane];
                    }
                }
                if (++t == taps) {
                    t = 0;
                    ci++;
                }
            }
        }
    }
}
