package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;

/**
 * 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3): each 4x4 block of output pixels (a
 * tile) of one channel pair takes 36 multiplications instead of 144. With d a tile's 6x6 input patch and g a
 * 3x3 kernel, the output is {@code A^T [(G g G^T) . (B^T d B)] A}; summed over input channels, the
 * element-wise product becomes 36 matrix products, one per position xi of the 6x6 transformed tile:
 * {@code M[xi] = U[xi] (out x in channels) * V[xi] (in channels x tiles)}.
 * <p>
 * The transforms are fused with those products: a work item takes a few column panels of tiles (each panel as
 * many tiles as the micro-kernel's tile has columns, across images), transforms their input patches for every
 * input channel into a per-thread buffer laid out as the micro-kernel's packed column panels, multiplies them
 * with the transformed weights (packed once per constant weight buffer, {@link Weights}) for a chunk of output
 * channels into a buffer that stays in L2, and transforms that back to output pixels with bias, residual and
 * activation applied on the way out. The 36-fold intermediate never goes to memory. The transforms are
 * lane loops over the panel's tiles ({@link Lanes}): Vector API code with the engine's micro-kernel, or plain
 * Java ({@link #SCALAR}) for the scalar fallback. The input patches are read through a per-item table of where each
 * of a panel's 36 x tiles patch elements lies in a channel plane ({@link #patchIndex}), by vector gathers on the
 * Vector API engine (the value-by-value copy it replaced made a 256-channel 14x14 layer a quarter slower at batch 1).
 * <p>
 * With at most one panel of tiles (a 14x14 map at batch 1 has 16, which would fill half of the Vector API engine's
 * 32-tile panel) the products run transposed instead ({@link #runTilesAsRows}): tiles as the micro-kernel's rows of
 * 6, output channels as its columns, the weights in column panels ({@link WeightPanels}).
 * <p>
 * Exactness: with finite inputs the result differs from direct convolution by rounding only (the transform
 * points 0, +-1, +-2 keep it within the conformance tolerance). A NaN or infinity anywhere in a tile would
 * spread to all 16 of its outputs, and a huge one would spread its rounding error there, so a run that meets a
 * non-finite input or a transformed one beyond {@link #MAX_INPUT} is redone by the direct path, which gives the reference's
 * semantics; weights with a non-finite value never take this path.
 * {@code -Dgapnet.cpu.winograd=false} turns it off.
 */
final class Winograd {
    /** Output pixels per tile side; the input patch is {@link #ALPHA} = 6 wide. */
    static final int TILE = 4;
    static final int ALPHA = 6;
    static final int XI = ALPHA * ALPHA;
    /** The process-wide switch: -Dgapnet.cpu.winograd at start, {@link FastCpuKernels#setWinograd} later. */
    static volatile boolean enabled = Boolean.parseBoolean(System.getProperty("gapnet.cpu.winograd", "true"));
    /**
     * Winograd's products cost {@code 36 * padded tiles} steps per channel pair against direct convolution's
     * {@code 9 * pixels}; the transforms and the partly empty last panel add about this factor.
     */
    static final double OVERHEAD = 1.3;
    /**
     * What reading one transformed weight from memory costs, in the same steps: the transformed weights are four
     * times the size of the kernel, so with few tiles to share them (ResNet's 14x14 maps at batch 1: one panel
     * of 16) the products wait on memory. Fitted to side-by-side runs of scripts/bench-winograd (AVX2).
     */
    static final double WEIGHT_READ = 32;
    /**
     * The same for {@link #runTilesAsRows}, fitted to stand-alone runs against direct convolution with the weights
     * rotating through more copies than the caches hold (2-core AVX-512 machine): 16 tiles of 256 channels took 0.73x
     * its time, 12 tiles of 512 channels 1.0x, 4 tiles of 512 channels 1.65x.
     */
    static final double ROWS_WEIGHT_READ = 16;
    /** Column panels per work item at most: the transformed weights read once serve this many panels. */
    private static final int MAX_PANELS = 4;
    /** Transformed-input floats per thread at most (more input channels take fewer panels per item). */
    private static final long MAX_V = 1L << 20;
    /**
     * Transformed-input floats at most that {@link #runTilesAsRows} shares between its threads (kept by each calling
     * thread, as {@link #MAX_V} is by each worker): 1820 input channels per group with 16 tiles.
     */
    private static final long MAX_SHARED_V = 1L << 20;
    /**
     * Floats between the position matrices of {@link #runTilesAsRows}'s transformed input: without them the 36 rows
     * that one transform stores are a power of two apart (16 KiB for 256 channels of 16 tiles) and share a handful of
     * L1 sets (the input transforms of a 256-channel layer took 0.224 ms without, 0.193 with, one measurement each).
     */
    private static final int MATRIX_PAD = 16;
    /** Output-channel rows whose products are held at once (36 x rows x panel columns floats, in L2). */
    private static final int ROW_CHUNK = 8 * PackedA.MR;

    /**
     * A transformed input beyond this magnitude sends the call to the direct path: the transforms mix a tile's 36
     * inputs, so one huge value would put its rounding error on every output of the tile, where direct convolution
     * keeps it to the outputs whose windows hold it. A transformed value is at most 100 times the largest input, so
     * inputs up to about 10^4 always pass; normalised activations stay far below.
     */
    static final float MAX_INPUT = 1 << 20;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Winograd() {}

    /**
     * What the transforms and products run on: lane loops over a panel's {@link #width()} tiles. {@link #SCALAR}
     * is the plain-Java form; the Vector API engine has its own ({@link FastEngine#winograd()}).
     */
    interface Lanes {
        /** Tiles per column panel: the micro-kernel's tile width. */
        int width();

        /** Lanes that {@link #gather} and {@link #inputTransform} fill at a time: {@code used} is rounded up to this. */
        int step();

        /**
         * Panel q's 6x6 input patches of one channel (its plane at {@code x[offset]}) to {@code p}: element e of lane l
         * at {@code p[e*width + l]}, read from {@code x[offset + index[(q*36 + e)*width + l]]} where {@code inside}
         * (always where {@code whole[q*36 + e]}), zero elsewhere; for the first {@code used} lanes at least (the engine
         * may fill a few more, up to its vector length).
         */
        void gather(float[] x, int offset, int[] index, boolean[] inside, boolean[] whole, int q, float[] p, int used);

        /**
         * The register-tiled product {@code tile (+)= A (MR x kc, A(r, p) at ap[ai + p*as + r]) * B panel (kc x width)},
         * as {@link VectorGemm#micro}.
         */
        void micro(float[] ap, int ai, int as, float[] bp, int bi, int kc, float[] tile, int t, boolean more);

        /**
         * The input transform {@code B^T d B} of a panel's 6x6 patches, lanes = tiles: patch element e of lane l
         * at {@code p[e*width + l]}, {@code t} (36 x width) as scratch, transformed element (a, b) of lane l to
         * {@code v[vBase + (a*6 + b)*vStride + l]}, for the lanes that {@link #gather} filled with the same {@code used};
         * returns the largest magnitude written (NaN once a NaN was).
         */
        float inputTransform(float[] p, float[] t, float[] v, int vBase, int vStride, int used);

        /**
         * The output transform {@code A^T m A}, lanes = tiles: element (a, b) of lane l at
         * {@code m[mBase + (a*6 + b)*mStride + l]}, {@code t} (24 x width) as scratch, output (i, j) of lane l to
         * {@code out[(i*4 + j)*width + l]}.
         */
        void outputTransform(float[] m, int mBase, int mStride, float[] t, float[] out);
    }

    /** {@link Lanes} in plain Java, 16 tiles a panel: the scalar fallback's. */
    static final Lanes SCALAR = new Lanes() {
        @Override
        public int width() {
            return SCALAR_NR;
        }

        @Override
        public int step() {
            return 1;
        }

        @Override
        public void micro(float[] ap, int ai, int as, float[] bp, int bi, int kc, float[] tile, int t, boolean more) {
            scalarMicro(ap, ai, as, bp, bi, kc, tile, t, more);
        }

        @Override
        public void gather(float[] x, int offset, int[] index, boolean[] inside, boolean[] whole, int q, float[] p, int used) {
            int nr = SCALAR_NR;
            for (int e = 0; e < XI; e++) {
                for (int l = 0, at = (q * XI + e) * nr; l < used; l++, at++) p[e * nr + l] = inside[at] ? x[offset + index[at]] : 0f;
            }
        }

        @Override
        public float inputTransform(float[] p, float[] t, float[] v, int vBase, int vStride, int used) {
            int nr = SCALAR_NR;
            for (int k = 0; k < ALPHA; k++) inputLanes(used, p, k * nr, ALPHA * nr, t, k * nr, ALPHA * nr);
            float peak = 0f;
            for (int a = 0; a < ALPHA; a++) {
                peak = Math.max(peak, inputLanes(used, t, a * ALPHA * nr, nr, v, vBase + a * ALPHA * vStride, vStride));
            }
            return peak;
        }

        @Override
        public void outputTransform(float[] m, int mBase, int mStride, float[] t, float[] out) {
            int nr = SCALAR_NR;
            for (int k = 0; k < ALPHA; k++) outputLanes(nr, m, mBase + k * mStride, ALPHA * mStride, t, k * nr, ALPHA * nr);
            for (int a = 0; a < TILE; a++) outputLanes(nr, t, a * ALPHA * nr, nr, out, a * TILE * nr, nr);
        }
    };

    /**
     * dst[d0 + k*ds + l] = (B^T v)[k] for k < 6, with v[i] = src[s0 + i*ss + l], for every lane l < width;
     * returns the largest |dst| written (NaN once a NaN was).
     */
    static float inputLanes(int width, float[] src, int s0, int ss, float[] dst, int d0, int ds) {
        float peak = 0f;
        for (int l = 0; l < width; l++) {
            float p0 = src[s0 + l], p1 = src[s0 + ss + l], p2 = src[s0 + 2 * ss + l];
            float p3 = src[s0 + 3 * ss + l], p4 = src[s0 + 4 * ss + l], p5 = src[s0 + 5 * ss + l];
            float r0 = 4f * p0 - 5f * p2 + p4, r1 = (p3 + p4) - 4f * (p1 + p2), r2 = (p4 - p3) + 4f * (p1 - p2);
            float r3 = (p4 - p2) + 2f * (p3 - p1), r4 = (p4 - p2) - 2f * (p3 - p1), r5 = 4f * p1 - 5f * p3 + p5;
            dst[d0 + l] = r0;
            dst[d0 + ds + l] = r1;
            dst[d0 + 2 * ds + l] = r2;
            dst[d0 + 3 * ds + l] = r3;
            dst[d0 + 4 * ds + l] = r4;
            dst[d0 + 5 * ds + l] = r5;
            peak = Math.max(peak, Math.max(Math.max(Math.abs(r0), Math.abs(r1)), Math.max(Math.abs(r2), Math.abs(r3))));
            peak = Math.max(peak, Math.max(Math.abs(r4), Math.abs(r5)));
        }
        return peak;
    }

    /** dst[d0 + k*ds + l] = (A^T v)[k] for k < 4, with v[i] = src[s0 + i*ss + l], for every lane l < width. */
    static void outputLanes(int width, float[] src, int s0, int ss, float[] dst, int d0, int ds) {
        for (int l = 0; l < width; l++) {
            float m0 = src[s0 + l], m1 = src[s0 + ss + l], m2 = src[s0 + 2 * ss + l];
            float m3 = src[s0 + 3 * ss + l], m4 = src[s0 + 4 * ss + l], m5 = src[s0 + 5 * ss + l];
            float sum12 = m1 + m2, dif12 = m1 - m2, sum34 = m3 + m4, dif34 = m3 - m4;
            dst[d0 + l] = m0 + sum12 + sum34;
            dst[d0 + ds + l] = dif12 + 2f * dif34;
            dst[d0 + 2 * ds + l] = sum12 + 4f * sum34;
            dst[d0 + 3 * ds + l] = dif12 + 8f * dif34 + m5;
        }
    }

    /**
     * Whether d is a 3x3, stride-1, undilated convolution that Winograd runs in fewer steps than direct
     * convolution, with panels of {@code nr} tiles.
     */
    static boolean suits(ConvDesc d, int nr) {
        if (!eligible(d, nr)) return false;
        boolean asRows = tilesAsRows(d, nr);
        long rows = asRows ? ceil(tiles(d), PackedA.MR) * (long) PackedA.MR : padded(d, nr);
        return XI * rows * OVERHEAD + XI * (asRows ? ROWS_WEIGHT_READ : WEIGHT_READ) < 9.0 * d.n() * d.outH() * d.outW();
    }

    /**
     * Whether d runs by {@link #runTilesAsRows}: at most one column panel of tiles (a 14x14 map at batch 1 has 16, a
     * 7x7 one 4), which pad the micro-kernel's rows of 6 at least a tenth less than that panel.
     */
    static boolean tilesAsRows(ConvDesc d, int nr) {
        long tiles = tiles(d), rows = ceil(tiles, PackedA.MR) * (long) PackedA.MR;
        long rowLength = ceil(Math.max(tiles, PackedA.MR), 16) * 16L; // as runTilesAsRows lays the rows out
        return tiles <= nr && rows * 10 <= (long) nr * 9 && XI * (long) d.cPerGroup() * d.group() * rowLength <= MAX_SHARED_V;
    }

    /** The 4x4 output tiles of all images. */
    private static long tiles(ConvDesc d) {
        return (long) d.n() * ceil(d.outH(), TILE) * ceil(d.outW(), TILE);
    }

    /** Whether Winograd can run this convolution at all (what {@link #suits} asks before the cost). */
    static boolean eligible(ConvDesc d, int nr) {
        if (!enabled || d.kh() != 3 || d.kw() != 3 || d.strideH() != 1 || d.strideW() != 1 || d.dilationH() != 1
                || d.dilationW() != 1 || d.cPerGroup() < 8 || d.ocPerGroup() < 8) return false;
        if (d.outH() <= 0 || d.outW() <= 0 || d.n() == 0) return false;
        return padded(d, nr) * nr < Integer.MAX_VALUE;
    }

    /** The 4x4 output tiles of all images, rounded up to whole column panels of {@code nr}. */
    private static long padded(ConvDesc d, int nr) {
        return ceil(tiles(d), nr) * (long) nr;
    }

    /**
     * Column panels per work item: about {@link #ITEMS_PER_THREAD} items for every thread, as few as that allows (each
     * reads all weights).
     */
    private static int panelsPerItem(ConvDesc d, int colPanels, int nr) {
        int fit = (int) Math.max(1, Math.min(MAX_PANELS, MAX_V / ((long) XI * d.cPerGroup() * nr)));
        return Math.max(1, Math.min(fit, ceil((long) d.group() * colPanels, (long) ITEMS_PER_THREAD * Parallel.threads())));
    }

    /**
     * Work items per thread that {@link #panelsPerItem} aims at. With 4, ResNet-50's 28x28 layers at batch 8 (13 panels)
     * made 7 items of 2 panels and one thread ran 4 of them while the other ran 3; with 8 they make 13 items of one
     * panel (7 and 6). Those layers, toggled run by run in one JVM: 5.11-5.15 -> 4.44-4.65 ms and, order swapped,
     * 4.91-5.05 -> 4.21-4.36 ms, though each item reads all the transformed weights.
     */
    private static final int ITEMS_PER_THREAD = 8;

    /**
     * The transformed weights {@code U[g][xi] = G w G^T} (out x in channels), packed for the micro-kernel as
     * {@code groups * 36} matrices; {@code finite} is false when any weight or transformed weight is NaN or
     * infinite (such weights take the direct path).
     */
    static final class Weights {
        final PackedA packed;
        final boolean finite;
        private final int groups;

        private Weights(PackedA packed, boolean finite, int groups) {
            this.packed = packed;
            this.finite = finite;
            this.groups = groups;
        }

        boolean matches(ConvDesc d) {
            return groups == d.group() && packed.matches(d.group() * XI, d.ocPerGroup(), d.cPerGroup());
        }

        static Weights of(ConvDesc d, float[] w) {
            int m = d.ocPerGroup(), c = d.cPerGroup();
            boolean[] finite = {true};
            float[] u = transformed(d, w, finite);
            PackedA packed = PackedA.pack(d.group() * XI, m, c, u, 0, m * c, c, 1, null);
            return new Weights(packed, finite[0], d.group());
        }

        /**
         * {@code U[g][xi] = G w G^T} as {@code groups * 36} row-major matrices of out x in channels; clears
         * {@code finite[0]} when a weight or a transformed weight is NaN or infinite.
         */
        static float[] transformed(ConvDesc d, float[] w, boolean[] finite) {
            int g = d.group(), m = d.ocPerGroup(), c = d.cPerGroup();
            long size = (long) g * XI * m * c;
            if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("weights too large for Winograd: " + size);
            float[] u = new float[(int) size];
            Parallel.run(g * m, row -> {
                int grp = row / m, o = row % m;
                float[] t = new float[ALPHA * 3], col = new float[ALPHA];
                boolean ok = true;
                for (int ci = 0; ci < c; ci++) {
                    int src = ((grp * m + o) * c + ci) * 9;
                    // G g: each kernel column's 3 values (down the rows) to 6; then each of those 6 rows' 3 values to 6
                    for (int kx = 0; kx < 3; kx++) kernelCombine(w[src + kx], w[src + 3 + kx], w[src + 6 + kx], t, kx, 3);
                    for (int a = 0; a < ALPHA; a++) {
                        kernelCombine(t[a * 3], t[a * 3 + 1], t[a * 3 + 2], col, 0, 1);
                        for (int b = 0; b < ALPHA; b++) {
                            ok &= Float.isFinite(col[b]);
                            u[((grp * XI + a * ALPHA + b) * m + o) * c + ci] = col[b];
                        }
                    }
                }
                if (!ok) finite[0] = false;
            });
            return u;
        }

        /** G (g0, g1, g2): the 6 values at out[off + i*stride]. */
        private static void kernelCombine(float g0, float g1, float g2, float[] out, int off, int stride) {
            out[off] = g0 / 4f;
            out[off + stride] = -(g0 + g1 + g2) / 6f;
            out[off + 2 * stride] = -(g0 - g1 + g2) / 6f;
            out[off + 3 * stride] = g0 / 24f + g1 / 12f + g2 / 6f;
            out[off + 4 * stride] = g0 / 24f - g1 / 12f + g2 / 6f;
            out[off + 5 * stride] = g2;
        }
    }

    /**
     * The transformed weights for {@link #runTilesAsRows}: each {@code U[g][xi]} transposed (in x out channels) in
     * the micro-kernel's column panels of {@code nr} output channels, per block of at most {@link PackedA#KC} input
     * channels, zero past the last channel, read in place by the products.
     */
    static final class WeightPanels {
        final float[] data;
        final boolean finite;
        private final int groups, m, c, nr, panels;

        private WeightPanels(float[] data, boolean finite, int groups, int m, int c, int nr) {
            this.data = data;
            this.finite = finite;
            this.groups = groups;
            this.m = m;
            this.c = c;
            this.nr = nr;
            this.panels = ceil(m, nr);
        }

        boolean matches(ConvDesc d, int nr) {
            return groups == d.group() && m == d.ocPerGroup() && c == d.cPerGroup() && this.nr == nr;
        }

        static WeightPanels of(ConvDesc d, float[] w, int nr) {
            int g = d.group(), m = d.ocPerGroup(), c = d.cPerGroup(), panels = ceil(m, nr);
            long size = (long) g * XI * panels * nr * c;
            if (size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("weights too large for Winograd: " + size);
            boolean[] finite = {true};
            float[] u = Weights.transformed(d, w, finite);
            WeightPanels wp = new WeightPanels(new float[(int) size], finite[0], g, m, c, nr);
            Parallel.run(g * XI * panels, item -> {
                int mat = item / panels, q = item % panels;
                for (int k0 = 0; k0 < c; k0 += PackedA.KC) {
                    int kc = Math.min(PackedA.KC, c - k0), at = wp.offset(mat, k0, kc, q);
                    for (int j = 0; j < nr && q * nr + j < m; j++) {
                        int src = (mat * m + q * nr + j) * c + k0;
                        for (int p = 0; p < kc; p++) wp.data[at + p * nr + j] = u[src + p];
                    }
                }
            });
            return wp;
        }

        /** Where column panel q of matrix {@code mat} (group * 36 + xi), block at input channel k0 (kc of them), starts. */
        int offset(int mat, int k0, int kc, int q) {
            return ((mat * c + k0) * panels + q * kc) * nr;
        }
    }

    /** Per-thread buffers, grown on demand and kept: no allocation in the steady state. */
    private static final class Scratch {
        /** The transformed input that {@link #runTilesAsRows} shares between its threads (the caller's). */
        float[] shared = new float[0];
        float[] v = new float[0], m = new float[0], patch = new float[0], half = new float[0], out = new float[0];
        int[] image = new int[0], rows = new int[0], cols = new int[0], index = new int[0];
        boolean[] inside = new boolean[0], whole = new boolean[0];

        float[] sharedV(int size) {
            if (shared.length < size) shared = new float[size];
            return shared;
        }

        void ensure(int vSize, int mSize, int nr, int panels) {
            if (v.length < vSize) v = new float[vSize];
            if (m.length < mSize) m = new float[mSize];
            if (patch.length < XI * nr) {
                patch = new float[XI * nr];
                half = new float[XI * nr];
                out = new float[TILE * TILE * nr];
            }
            // each array on its own: the panel width differs between lanes (the scalar fallback's 16 tiles, the Vector
            // API engine's 32, on the same threads), so one array being large enough says nothing about the others
            if (image.length < panels * nr) {
                image = new int[panels * nr];
                rows = new int[panels * nr];
                cols = new int[panels * nr];
            }
            if (index.length < panels * XI * nr) {
                index = new int[panels * XI * nr];
                inside = new boolean[panels * XI * nr];
            }
            if (whole.length < panels * XI) whole = new boolean[panels * XI];
        }
    }

    /**
     * y = act(conv(x, w) + bias + residual) for d (which {@link #suits}); false when a non-finite or huge value was
     * met, and then y is incomplete and the caller must run the direct path (y must not be the residual's array).
     */
    static boolean run(ConvDesc d, float[] x, Weights u, float[] bias, float[] residual, float[] y, Lanes lanes) {
        int nr = lanes.width(), oh = d.outH(), ow = d.outW(), th = ceil(oh, TILE), tw = ceil(ow, TILE);
        int tiles = d.n() * th * tw, colPanels = ceil(tiles, nr), groups = d.group();
        int m = d.ocPerGroup(), c = d.cPerGroup(), threads = Parallel.threads();
        int perItem = panelsPerItem(d, colPanels, nr);
        int colItems = ceil(colPanels, perItem);
        int rowPanels = ceil(m, PackedA.MR);
        // fewer tile items than threads: split the output channels too, each part transforming its input again. With
        // an item per thread already, a split only made each thread transform its own panels twice (Parallel hands
        // out contiguous shares): ResNet-50's 28x28 layers at batch 1 (two panels) ran 0.86-0.90 -> 0.69-0.73 ms
        int rowItems = (long) groups * colItems >= threads ? 1
                : Math.min(rowPanels, ceil(threads, (long) groups * colItems));
        int panelsPerRowItem = ceil(rowPanels, rowItems);
        int rItems = ceil(rowPanels, panelsPerRowItem);
        boolean[] bad = new boolean[1];
        Activation act = d.act();
        int plane = d.h() * d.w();
        Parallel.run(groups * colItems * rItems, item -> {
            if (bad[0]) return; // the direct path will redo it all anyway
            int ri = item % rItems, rest = item / rItems, ci = rest % colItems, g = rest / colItems;
            int q0 = ci * perItem, qs = Math.min(colPanels, q0 + perItem) - q0;
            int ip0 = ri * panelsPerRowItem, ip1 = Math.min(rowPanels, ip0 + panelsPerRowItem);
            int chunkRows = Math.min(ROW_CHUNK, (ip1 - ip0) * PackedA.MR);
            Scratch s = SCRATCH.get();
            s.ensure(XI * qs * c * nr, XI * qs * chunkRows * nr, nr, qs);
            geometry(th, tw, tiles, q0, qs, nr, s);
            patchIndex(d, qs, nr, s);
            float peak = 0f;
            for (int q = 0; q < qs; q++) {
                for (int ch = 0; ch < c; ch++) {
                    lanes.gather(x, (g * c + ch) * plane, s.index, s.inside, s.whole, q, s.patch, nr);
                    peak = Math.max(peak, lanes.inputTransform(s.patch, s.half, s.v, (q * c + ch) * nr, qs * c * nr, nr));
                }
            }
            if (!(peak <= MAX_INPUT)) { // NaN, infinite or huge: the direct path decides
                bad[0] = true;
                return;
            }
            boolean ok = true;
            for (int r0 = ip0 * PackedA.MR; r0 < Math.min(m, ip1 * PackedA.MR); r0 += chunkRows) {
                int rows = Math.min(chunkRows, Math.min(m, ip1 * PackedA.MR) - r0);
                int rowsP = ceil(rows, PackedA.MR) * PackedA.MR;
                products(u.packed, g, r0 / PackedA.MR, rowsP / PackedA.MR, qs, c, lanes, s);
                for (int q = 0; q < qs; q++) {
                    for (int r = 0; r < rows; r++) {
                        lanes.outputTransform(s.m, (q * rowsP + r) * nr, qs * rowsP * nr, s.half, s.out);
                        ok &= store(d, g * m + r0 + r, q, nr, s.out, bias, residual, act, y, s);
                    }
                }
            }
            if (!ok) bad[0] = true;
        });
        return !bad[0];
    }

    /**
     * {@link #run} with the products transposed, for {@link #tilesAsRows}: {@code M[xi]^T = V[xi]^T (tiles x in
     * channels) * U[xi]^T (in x out channels)}, tiles as the micro-kernel's rows and output channels as its columns.
     * First all threads transform the input of every tile into one shared buffer, per position xi and input channel a
     * row of all tiles (the micro-kernel reads six of them per step); then each work item, a column panel of output
     * channels, multiplies that with the weights' panel ({@link WeightPanels}, each weight read once per call) for all
     * 36 positions and transforms the products back, output channels as the lanes.
     */
    static boolean runTilesAsRows(ConvDesc d, float[] x, WeightPanels u, float[] bias, float[] residual, float[] y,
                                  Lanes lanes) {
        int nr = lanes.width(), mr = PackedA.MR, oh = d.outH(), ow = d.outW(), th = ceil(oh, TILE), tw = ceil(ow, TILE);
        int tiles = d.n() * th * tw, panels = ceil(tiles, mr), rows = panels * mr, qs = ceil(tiles, nr);
        // the last panel of 6 rows reads the last 6 tiles, overlapping the one before where the tiles are not a multiple
        // of 6 (16 tiles: 0-5, 6-11, 10-15), so that the input rows stop at the last tile
        int lastRow = Math.max(0, tiles - mr), lastPanel = (panels - 1) * mr;
        // a row of all tiles, as short as the transforms' stores allow: 16 tiles fill one 64-byte line
        int rowLength = ceil(Math.max(tiles, mr), Math.max(16, lanes.step())) * Math.max(16, lanes.step());
        int groups = d.group(), m = d.ocPerGroup(), c = d.cPerGroup(), plane = d.h() * d.w();
        // transformed element xi of tile l for input channel ch of group g: v[(g*36 + xi)*matrix + ch*rowLength + l].
        // Fewer tiles than a row panel leave rows past the last tile unset: they keep what an earlier call left there,
        // and their products are never stored.
        int matrix = c * rowLength + MATRIX_PAD;
        float[] v = SCRATCH.get().sharedV(groups * XI * matrix);
        int perChunk = ceil(c, Math.min(c, 4 * Parallel.threads())), chItems = ceil(c, perChunk);
        boolean[] bad = new boolean[1];
        Parallel.run(groups * chItems, item -> {
            int g = item / chItems, ch0 = item % chItems * perChunk, ch1 = Math.min(c, ch0 + perChunk);
            Scratch s = SCRATCH.get();
            s.ensure(0, 0, nr, qs);
            geometry(th, tw, tiles, 0, qs, nr, s);
            patchIndex(d, qs, nr, s);
            float peak = 0f;
            for (int ch = ch0; ch < ch1; ch++) {
                for (int q = 0; q < qs; q++) {
                    int used = Math.min(nr, tiles - q * nr);
                    lanes.gather(x, (g * c + ch) * plane, s.index, s.inside, s.whole, q, s.patch, used);
                    peak = Math.max(peak, lanes.inputTransform(s.patch, s.half, v, g * XI * matrix + ch * rowLength + q * nr,
                            matrix, used));
                }
            }
            if (!(peak <= MAX_INPUT)) bad[0] = true; // NaN, infinite or huge: the direct path decides
        });
        if (bad[0]) return false;
        int colPanels = ceil(m, nr);
        Activation act = d.act();
        Parallel.run(groups * colPanels, item -> {
            int g = item / colPanels, q = item % colPanels, o0 = q * nr;
            Scratch s = SCRATCH.get();
            s.ensure(0, XI * rows * nr, nr, qs);
            geometry(th, tw, tiles, 0, qs, nr, s);
            for (int xi = 0; xi < XI; xi++) {
                int mat = g * XI + xi;
                for (int k0 = 0; k0 < c; k0 += PackedA.KC) {
                    int kc = Math.min(PackedA.KC, c - k0), bi = u.offset(mat, k0, kc, q), ai = mat * matrix + k0 * rowLength;
                    for (int r = 0; r < rows; r += mr) {
                        lanes.micro(v, ai + Math.min(r, lastRow), rowLength, u.data, bi, kc, s.m, (xi * rows + r) * nr, k0 > 0);
                    }
                }
            }
            boolean ok = true;
            for (int t = 0; t < tiles; t++) {
                int row = t < lastPanel ? t : lastPanel + t - lastRow; // where the products of tile t are
                lanes.outputTransform(s.m, row * nr, rows * nr, s.half, s.out);
                ok &= storeChannels(d, g * m + o0, Math.min(nr, m - o0), t, nr, s.out, bias, residual, act, y, s);
            }
            if (!ok) bad[0] = true;
        });
        return !bad[0];
    }

    /**
     * Tile t's outputs for output channels o0 .. o0 + count (output (i, j) of channel o0 + l at
     * {@code out[(i*4 + j)*nr + l]}) with bias, residual and activation into y; false when one was NaN or infinite.
     */
    private static boolean storeChannels(ConvDesc d, int o0, int count, int t, int nr, float[] out, float[] bias,
                                         float[] residual, Activation act, float[] y, Scratch s) {
        int oh = d.outH(), ow = d.outW(), plane = oh * ow, n = s.image[t], y0 = s.rows[t], x0 = s.cols[t];
        int rows = Math.min(TILE, oh - y0), cols = Math.min(TILE, ow - x0);
        boolean nonFinite = false;
        for (int l = 0; l < count; l++) {
            float b = bias == null ? 0f : bias[o0 + l];
            int pix = (n * d.oc() + o0 + l) * plane + y0 * ow + x0;
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    float v = out[(i * TILE + j) * nr + l];
                    nonFinite |= v - v != 0f;
                    int idx = pix + i * ow + j;
                    v += b;
                    if (residual != null) v += residual[idx];
                    y[idx] = VectorGemm.activate(act, v);
                }
            }
        }
        return !nonFinite;
    }

    /** Each tile of the item's panels: its image (-1 past the last tile) and its first output row and column. */
    private static void geometry(int th, int tw, int tiles, int q0, int qs, int nr, Scratch s) {
        int perImage = th * tw;
        for (int l = 0; l < qs * nr; l++) {
            int t = q0 * nr + l;
            if (t >= tiles) {
                s.rows[l] = 0;
                s.cols[l] = 0;
                s.image[l] = -1;
                continue;
            }
            int n = t / perImage, rest = t % perImage, ty = rest / tw, tx = rest % tw;
            s.image[l] = n;
            s.rows[l] = ty * TILE;
            s.cols[l] = tx * TILE;
        }
    }

    /**
     * Where each element of each tile's 6x6 input patch is, for {@link Lanes#gather}: element e of panel q's lane l at
     * {@code x[channel offset + index[(q*36 + e)*nr + l]]} where {@code inside} says so, zero elsewhere (padding, or
     * past the last tile: those lanes' index is 0); {@code whole[q*36 + e]} when every lane of that element is inside.
     */
    private static void patchIndex(ConvDesc d, int qs, int nr, Scratch s) {
        int h = d.h(), w = d.w(), top = d.padTop(), left = d.padLeft(), image = d.c() * h * w;
        java.util.Arrays.fill(s.whole, 0, qs * XI, true);
        for (int l = 0; l < qs * nr; l++) {
            int q = l / nr, lane = l % nr, n = s.image[l], y0 = s.rows[l] - top, x0 = s.cols[l] - left;
            for (int e = 0; e < XI; e++) {
                int yy = y0 + e / ALPHA, xx = x0 + e % ALPHA, at = (q * XI + e) * nr + lane;
                boolean in = n >= 0 && yy >= 0 && yy < h && xx >= 0 && xx < w;
                s.index[at] = in ? n * image + yy * w + xx : 0;
                s.inside[at] = in;
                if (!in) s.whole[q * XI + e] = false;
            }
        }
    }

    /**
     * M[xi][q][row] = U[g][xi] rows (panel ip0 on, {@code panels} panels) x V[xi][q] for every xi and panel q: per
     * xi and reduction block, each packed weight panel meets the item's tile panels while it is in L1.
     */
    private static void products(PackedA u, int g, int ip0, int panels, int qs, int c, Lanes lanes, Scratch s) {
        int nr = lanes.width(), rowsP = panels * PackedA.MR;
        for (int xi = 0; xi < XI; xi++) {
            int mat = g * XI + xi;
            for (int k0 = 0; k0 < c; k0 += PackedA.KC) {
                int kc = Math.min(PackedA.KC, c - k0);
                for (int ip = 0; ip < panels; ip++) {
                    int ai = u.offset(mat, k0, kc, ip0 + ip);
                    for (int q = 0; q < qs; q++) {
                        int bi = ((xi * qs + q) * c + k0) * nr;
                        int t = ((xi * qs + q) * rowsP + ip * PackedA.MR) * nr;
                        lanes.micro(u.data, ai, PackedA.MR, s.v, bi, kc, s.m, t, k0 > 0);
                    }
                }
            }
        }
    }

    /**
     * Output channel {@code o}'s outputs of panel q's tiles (output (i, j) of lane l at {@code out[(i*4 + j)*nr + l]})
     * with bias, residual and activation into y; false when one was NaN or infinite.
     */
    private static boolean store(ConvDesc d, int o, int q, int nr, float[] out, float[] bias, float[] residual,
                                 Activation act, float[] y, Scratch s) {
        int oh = d.outH(), ow = d.outW(), plane = oh * ow;
        float b = bias == null ? 0f : bias[o];
        boolean nonFinite = false;
        Activation.Kind kind = act.kind();
        boolean inline = kind == Activation.Kind.NONE || kind == Activation.Kind.RELU;
        for (int l = 0; l < nr; l++) {
            int at = q * nr + l, n = s.image[at];
            if (n < 0) break;
            int y0 = s.rows[at], x0 = s.cols[at], rows = Math.min(TILE, oh - y0), cols = Math.min(TILE, ow - x0);
            int pix = (n * d.oc() + o) * plane + y0 * ow + x0;
            if (cols == TILE && inline) { // whole rows of 4, unrolled
                for (int i = 0; i < rows; i++) {
                    int idx = pix + i * ow, src = i * TILE * nr + l;
                    float v0 = out[src], v1 = out[src + nr], v2 = out[src + 2 * nr], v3 = out[src + 3 * nr];
                    nonFinite |= (v0 - v0) + (v1 - v1) + (v2 - v2) + (v3 - v3) != 0f; // NaN for a NaN or an infinity
                    v0 += b;
                    v1 += b;
                    v2 += b;
                    v3 += b;
                    if (residual != null) {
                        v0 += residual[idx];
                        v1 += residual[idx + 1];
                        v2 += residual[idx + 2];
                        v3 += residual[idx + 3];
                    }
                    if (kind == Activation.Kind.RELU) {
                        v0 = VectorGemm.relu(v0);
                        v1 = VectorGemm.relu(v1);
                        v2 = VectorGemm.relu(v2);
                        v3 = VectorGemm.relu(v3);
                    }
                    y[idx] = v0;
                    y[idx + 1] = v1;
                    y[idx + 2] = v2;
                    y[idx + 3] = v3;
                }
                continue;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    float v = out[(i * TILE + j) * nr + l];
                    nonFinite |= v - v != 0f;
                    v += b;
                    int idx = pix + i * ow + j;
                    if (residual != null) v += residual[idx];
                    y[idx] = VectorGemm.activate(act, v);
                }
            }
        }
        return !nonFinite;
    }


    /** Runs d by Winograd and by the reference on rectified unit normals (seeded) with weights w and bias. */
    static WinogradError error(ConvDesc d, float[] w, float[] bias, Lanes lanes, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] x = new float[(int) d.inputSize()];
        for (int i = 0; i < x.length; i++) x[i] = Math.max(0f, (float) r.nextGaussian());
        float[] got = new float[(int) d.outputSize()];
        ConvDesc linear = d.withAct(Activation.NONE); // the activation would hide errors below zero
        int nr = lanes.width();
        boolean done = tilesAsRows(linear, nr) ? runTilesAsRows(linear, x, WeightPanels.of(linear, w, nr), bias, null, got, lanes)
                : run(linear, x, Weights.of(linear, w), bias, null, got, lanes);
        if (!done) return new WinogradError(d, Double.NaN, Double.NaN);
        float[] want = new float[got.length];
        try (io.gapnet.backend.cpu.CpuBackend ref = new io.gapnet.backend.cpu.CpuBackend();
             io.gapnet.backend.Queue q = ref.openQueue();
             io.gapnet.backend.DeviceBuffer xb = ref.allocate(x.length, "x"); io.gapnet.backend.DeviceBuffer wb = ref.allocate(w.length, "w");
             io.gapnet.backend.DeviceBuffer bb = ref.allocate(d.oc(), "bias"); io.gapnet.backend.DeviceBuffer yb = ref.allocate(want.length, "y")) {
            q.upload(x, 0, xb, 0, x.length);
            q.upload(w, 0, wb, 0, (int) d.weightSize());
            if (bias != null) q.upload(bias, 0, bb, 0, d.oc());
            q.kernels().conv2d(linear, xb, wb, bias == null ? null : bb, null, yb);
            q.download(yb, 0, want, 0, want.length);
        }
        double max = 0, sq = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs((double) got[i] - want[i]));
            sq += (double) want[i] * want[i];
        }
        return new WinogradError(d, max, Math.sqrt(sq / Math.max(1, want.length)));
    }

    /** Columns of the scalar micro-kernel's tile. */
    static final int SCALAR_NR = 16;

    /** The product without the Vector API: an MR x 16 tile, the column loop left to the JIT's vectoriser. */
    static void scalarMicro(float[] ap, int ai, int as, float[] bp, int bi, int kc, float[] tile, int t, boolean more) {
        int nr = SCALAR_NR, mr = PackedA.MR;
        if (!more) java.util.Arrays.fill(tile, t, t + mr * nr, 0f);
        for (int p = 0; p < kc; p++, ai += as, bi += nr) {
            for (int r = 0; r < mr; r++) {
                float a = ap[ai + r];
                int row = t + r * nr;
                for (int j = 0; j < nr; j++) tile[row + j] += a * bp[bi + j];
            }
        }
    }

    static int ceil(long a, long b) {
        return (int) ((a + b - 1) / b);
    }
}
