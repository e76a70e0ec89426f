package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast CPU path's matrix engine: C(g) = A(g) * B(g) for every group g, where A is packed once
 * ({@link PackedA}), B is any {@link Columns} source packed panel by panel into a per-thread buffer, and C
 * is a {@link Target} that may spread columns over images and fuse bias, residual and activation into the
 * final store. The work is cut into (group, row range, column range) items that all cores take from one
 * counter. Inside an item, per reduction block of KC steps, one packed column panel (KC x NR) stays in L1
 * while the A panels of a row block (in L2) meet it; a {@link #micro} call keeps an MR x NR tile of C in
 * twelve vector registers, partial sums wait in the thread's L2 tile buffer between reduction blocks, and
 * each tile is written out (epilogue included) right after its last block, while it is still in L1.
 */
final class VectorGemm {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int V = S.length();
    /** Columns of the register tile: two vectors. */
    static final int NR = 2 * V;
    static final int MR = PackedA.MR;
    static final int KC = PackedA.KC;
    /** Column panels per work item at most: the packed B block (KC x 8 NR floats) stays in L2. */
    private static final int MAX_PANELS = 8;
    /**
     * Row panels per work item at most: up to 540 rows (output channels) share one packed B block, which a second
     * row item would pack again, and the item's partial C tiles (at most 540 KiB) stay in L2 beside it. (At 40, ResNet's
     * 256- and 512-channel layers packed their columns two and three times; 90 made ResNet-50 2-4% faster at batch 8.)
     */
    private static final int MAX_ROW_PANELS = 90;
    /** Row panels whose A blocks (MR x KC each) are swept while one B panel stays in L1. */
    private static final int ROW_BLOCK = 32;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorGemm() {}

    /** Per-thread buffers: the packed B block, the item's C tiles, and the gather packer's table. */
    static final class Scratch {
        final float[] b = new float[KC * MAX_PANELS * NR];
        final float[] tiles = new float[MAX_ROW_PANELS * MAX_PANELS * MR * NR];
        /** Per vector of an item's columns: where its row-0 values go ({@link Target#columnBases}). */
        final int[] bases = new int[MAX_PANELS * 2];
        private int[] taps = new int[9 * NR];
        private boolean[] tapsInside = new boolean[9];

        /** A per-thread table of at least {@code size} ints for the gather packer. */
        int[] tapTable(int size) {
            if (taps.length < size) taps = new int[size];
            return taps;
        }

        /** A per-thread table of at least {@code size} flags for the gather packer: taps with no column in the padding. */
        boolean[] tapInside(int size) {
            if (tapsInside.length < size) tapsInside = new boolean[size];
            return tapsInside;
        }
    }

    /** Runs C = A * B over every group, every row and every column, on all cores. */
    static void run(PackedA a, Columns b, Target c) {
        int n = b.count(), k = a.k, g = a.groups, rowPanels = a.panels;
        if (n == 0 || a.m == 0) return;
        if (k == 0) {
            c.fill(a);
            return;
        }
        int colPanels = (n + NR - 1) / NR;
        Items items = Items.of(g, rowPanels, colPanels);
        int cItems = items.colItems, rI = items.rowItems, rPer = items.rowsPerItem;
        // columns that are already in panel form (constant weights of a transposed product) are read in place
        TransposedWeights packed = b instanceof TransposedWeights t ? t : null;
        Parallel.run(g * rI * cItems, item -> {
            int cc = item % cItems, rest = item / cItems, rc = rest % rI, grp = rest / rI;
            int q0 = (int) ((long) cc * colPanels / cItems), q1 = (int) ((long) (cc + 1) * colPanels / cItems), qs = q1 - q0;
            int ip0 = rc * rPer, ip1 = Math.min(rowPanels, ip0 + rPer);
            Scratch s = SCRATCH.get();
            c.columnBases(q0 * NR, qs, s.bases);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                boolean more = k0 > 0, last = k0 + kc == k;
                if (packed == null) {
                    for (int q = q0; q < q1; q++) b.pack(grp, k0, kc, q * NR, s.b, (q - q0) * kc * NR, s);
                }
                for (int ib = ip0; ib < ip1; ib += ROW_BLOCK) {
                    int ie = Math.min(ip1, ib + ROW_BLOCK);
                    for (int q = q0; q < q1; q++) {
                        float[] bp = packed == null ? s.b : packed.data();
                        int bi = packed == null ? (q - q0) * kc * NR : packed.offset(k0, kc, q);
                        for (int ip = ib; ip < ie; ip++) {
                            int t = ((ip - ip0) * qs + (q - q0)) * MR * NR;
                            micro(a.data, a.offset(grp, k0, kc, ip), a.rowStep(), bp, bi, kc, s.tiles, t, more);
                            // a finished tile goes out at once, while it is in L1: its output and residual
                            // traffic then overlaps the next tiles' arithmetic instead of following it
                            if (last) c.finish(s.tiles, t, grp, ip * MR, Math.min(MR, a.m - ip * MR), q * NR, s.bases, 2 * (q - q0));
                        }
                    }
                }
            }
        });
    }

    /**
     * Runs C = A * B + A2 * B2 (group 1; the same rows and columns) as one product whose reduction is A's steps, then
     * A2's: the sum stays in the tile buffer and the epilogue applies once. Its item loop is {@link #run}'s, written a
     * second time on purpose: with one loop for both (single products passing no second operand), ResNet-50 at batch 8
     * ran 0.1-3.9% slower in four runs of two jars alternating in one JVM, and the same at batch 1.
     */
    static void run(PackedA a, Columns b, PackedA a2, Columns b2, Target c) {
        int n = b.count(), rowPanels = a.panels;
        if (a.groups != 1 || a2.groups != 1 || a2.m != a.m || b2.count() != n) {
            throw new IllegalArgumentException("the two products of a sum must have one group and the same rows and columns");
        }
        if (n == 0 || a.m == 0) return;
        if (a.k == 0 && a2.k == 0) {
            c.fill(a);
            return;
        }
        int colPanels = (n + NR - 1) / NR;
        Items items = Items.of(1, rowPanels, colPanels);
        int cItems = items.colItems, rI = items.rowItems, rPer = items.rowsPerItem;
        int firstBlocks = ceil(a.k, KC), blocks = firstBlocks + ceil(a2.k, KC);
        Parallel.run(rI * cItems, item -> {
            int cc = item % cItems, rc = item / cItems;
            int q0 = (int) ((long) cc * colPanels / cItems), q1 = (int) ((long) (cc + 1) * colPanels / cItems), qs = q1 - q0;
            int ip0 = rc * rPer, ip1 = Math.min(rowPanels, ip0 + rPer);
            Scratch s = SCRATCH.get();
            c.columnBases(q0 * NR, qs, s.bases);
            for (int blk = 0; blk < blocks; blk++) {
                boolean second = blk >= firstBlocks, last = blk == blocks - 1;
                PackedA ao = second ? a2 : a;
                Columns bo = second ? b2 : b;
                int k0 = (second ? blk - firstBlocks : blk) * KC, kc = Math.min(KC, ao.k - k0);
                TransposedWeights packed = bo instanceof TransposedWeights t ? t : null; // read in place, as in run
                if (packed == null) {
                    for (int q = q0; q < q1; q++) bo.pack(0, k0, kc, q * NR, s.b, (q - q0) * kc * NR, s);
                }
                for (int ib = ip0; ib < ip1; ib += ROW_BLOCK) {
                    int ie = Math.min(ip1, ib + ROW_BLOCK);
                    for (int q = q0; q < q1; q++) {
                        float[] bp = packed == null ? s.b : packed.data();
                        int bi = packed == null ? (q - q0) * kc * NR : packed.offset(k0, kc, q);
                        for (int ip = ib; ip < ie; ip++) {
                            int t = ((ip - ip0) * qs + (q - q0)) * MR * NR;
                            micro(ao.data, ao.offset(0, k0, kc, ip), ao.rowStep(), bp, bi, kc, s.tiles, t, blk > 0);
                            if (last) c.finish(s.tiles, t, 0, ip * MR, Math.min(MR, a.m - ip * MR), q * NR, s.bases, 2 * (q - q0));
                        }
                    }
                }
            }
        });
    }

    /**
     * How a product's (group, row, column) space is cut into work items: {@code rowItems} items of
     * {@code rowsPerItem} row panels times {@code colItems} items of column panels, per group.
     */
    private record Items(int rowItems, int rowsPerItem, int colItems) {
        static Items of(int g, int rowPanels, int colPanels) {
            int threads = Parallel.threads();
            // enough items for load balance (about four per thread), each as wide as the B block allows
            int perItem = Math.max(1, Math.min(MAX_PANELS, ceil((long) g * colPanels, 4L * threads)));
            int colItems = ceil(colPanels, perItem);
            int rowItems = ceil(rowPanels, MAX_ROW_PANELS);
            if ((long) g * colItems * rowItems < 2L * threads) {
                rowItems = Math.min(rowPanels, ceil(2L * threads, (long) g * colItems));
            }
            int rowsPerItem = ceil(rowPanels, rowItems);
            int rItems = ceil(rowPanels, rowsPerItem);
            // as many items per thread where the columns allow, the panels spread evenly over them: with 7 items of 7 panels
            // (ResNet-50's 14x14 maps at batch 8) one thread ran 4 items while the other waited for a quarter of the time
            while ((long) g * rItems * colItems % threads != 0 && colItems < colPanels) colItems++;
            // where the columns do not allow it and the items are few, the rows are cut finer: ResNet-50's 14x14 maps at
            // batch 1 are 7 column panels, one item each, and one thread ran 4 of them while the other ran 3
            long items = (long) g * rItems * colItems;
            if (items % threads != 0 && items < 8L * threads) {
                for (int f = 2; f <= threads && rItems * f <= rowPanels; f++) {
                    int per = ceil(rowPanels, rItems * f), count = ceil(rowPanels, per);
                    if ((long) g * count * colItems % threads == 0) {
                        rowsPerItem = per;
                        rItems = count;
                        break;
                    }
                }
            }
            return new Items(rItems, rowsPerItem, colItems);
        }
    }

    static int ceil(long a, long b) {
        return (int) ((a + b - 1) / b);
    }

    /**
     * tile[t + r*NR + j] (+)= sum over p < kc of A(r, p) * B panel (p, j): the register-tiled inner loop, adding to
     * the tile's previous contents when {@code more} (a later block of the reduction). A(r, p) is ap[ai + p*as + r]:
     * a packed panel ({@code as} = MR), or MR consecutive rows of a matrix stored column by column.
     */
    static void micro(float[] ap, int ai, int as, float[] bp, int bi, int kc, float[] tile, int t, boolean more) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (more) {
            c00 = FloatVector.fromArray(S, tile, t);
            c01 = FloatVector.fromArray(S, tile, t + V);
            c10 = FloatVector.fromArray(S, tile, t + NR);
            c11 = FloatVector.fromArray(S, tile, t + NR + V);
            c20 = FloatVector.fromArray(S, tile, t + 2 * NR);
            c21 = FloatVector.fromArray(S, tile, t + 2 * NR + V);
            c30 = FloatVector.fromArray(S, tile, t + 3 * NR);
            c31 = FloatVector.fromArray(S, tile, t + 3 * NR + V);
            c40 = FloatVector.fromArray(S, tile, t + 4 * NR);
            c41 = FloatVector.fromArray(S, tile, t + 4 * NR + V);
            c50 = FloatVector.fromArray(S, tile, t + 5 * NR);
            c51 = FloatVector.fromArray(S, tile, t + 5 * NR + V);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(S);
        }
        for (int p = 0; p < kc; p++, ai += as, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        c00.intoArray(tile, t);
        c01.intoArray(tile, t + V);
        c10.intoArray(tile, t + NR);
        c11.intoArray(tile, t + NR + V);
        c20.intoArray(tile, t + 2 * NR);
        c21.intoArray(tile, t + 2 * NR + V);
        c30.intoArray(tile, t + 3 * NR);
        c31.intoArray(tile, t + 3 * NR + V);
        c40.intoArray(tile, t + 4 * NR);
        c41.intoArray(tile, t + 4 * NR + V);
        c50.intoArray(tile, t + 5 * NR);
        c51.intoArray(tile, t + 5 * NR + V);
    }

    /**
     * Copies one packed row of a column panel whose columns [j0, j0 + NR) lie in images of cpi columns, image i
     * starting at src[imageBase + i*imageStride + rowOff]: vectors within one image are plain loads, vectors
     * that cross into the next image go value by value, columns past {@code count} are zero.
     */
    static void packImageRow(float[] src, int imageBase, int imageStride, int rowOff, int cpi, int count, int j0,
                             float[] dst, int d) {
        for (int h = 0; h < NR; h += V) {
            int j = j0 + h, valid = Math.min(V, count - j);
            if (valid <= 0) {
                FloatVector.zero(S).intoArray(dst, d + h);
                continue;
            }
            int img = j / cpi, col = j - img * cpi, at = imageBase + img * imageStride + rowOff + col;
            if (col + V <= cpi && valid == V) {
                FloatVector.fromArray(S, src, at).intoArray(dst, d + h);
            } else {
                for (int l = 0; l < V; l++, col++) {
                    if (col == cpi) { // the next image
                        col = 0;
                        img++;
                    }
                    dst[d + h + l] = l < valid ? src[imageBase + img * imageStride + rowOff + col] : 0f;
                }
            }
        }
    }

    /** Copies V floats (one vector) from src[s] to dst[d]. */
    static void copyVector(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, src, s).intoArray(dst, d);
    }

    /** Copies NR floats (two vectors) from src[s] to dst[d]. */
    static void copyPanelRow(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, src, s).intoArray(dst, d);
        FloatVector.fromArray(S, src, s + V).intoArray(dst, d + V);
    }

    /**
     * Where C goes: row i of group g and column j (image n = j / cpi, column col = j % cpi within it) lands at
     * c[base + n*imageStride + (g*m + i)*rowStride + col]. The store adds bias[g*m + i] and the residual
     * (same index as the output) and applies the activation, when given.
     */
    static final class Target {
        final float[] c;
        final int base, columns, cpi, imageStride, rowStride, m;
        final float[] bias, residual;
        final Activation act;
        final boolean epilogue;
        /** An activation without a vector form, applied value by value after the vector store. */
        final boolean scalarAct;
        /**
         * 0, or the pixels per image of a transposed product ({@link #transposed}): rows are pixels of all images,
         * columns are output channels, bias is per column.
         */
        final int pixels;

        /** Columns [0, columns) in images of cpi columns; bias, residual and act apply at the final store. */
        Target(float[] c, int base, int columns, int cpi, int imageStride, int rowStride, int m, float[] bias,
               float[] residual, Activation act) {
            this(c, base, columns, cpi, imageStride, rowStride, m, bias, residual, act, 0);
        }

        private Target(float[] c, int base, int columns, int cpi, int imageStride, int rowStride, int m, float[] bias,
                       float[] residual, Activation act, int pixels) {
            this.c = c;
            this.base = base;
            this.columns = columns;
            this.cpi = cpi;
            this.imageStride = imageStride;
            this.rowStride = rowStride;
            this.m = m;
            this.bias = bias;
            this.residual = residual;
            this.act = act;
            this.epilogue = bias != null || residual != null || act.kind() != Activation.Kind.NONE;
            this.scalarAct = epilogue && !vectorised(act);
            this.pixels = pixels;
            if (cpi <= 0 || (long) columns > Integer.MAX_VALUE) throw new IllegalArgumentException("bad column layout");
        }

        /**
         * The NCHW output y of a convolution computed transposed: row i is pixel i % pixels of image i / pixels,
         * column j is output channel j of {@code channels}; bias[j], the residual (same index) and act apply.
         */
        static Target transposed(float[] y, int images, int pixels, int channels, float[] bias, float[] residual,
                                 Activation act) {
            return new Target(y, 0, channels, channels, 0, 0, images * pixels, bias, residual, act, pixels);
        }

        /** A plain row-major matrix at c[cOff], rows of each group after the previous group's m, leading dimension ldc, no epilogue. */
        static Target matrix(float[] c, int cOff, int m, int n, int ldc) {
            return new Target(c, cOff, n, n, 0, ldc, m, null, null, Activation.NONE);
        }

        /**
         * Writes one finished tile (at tiles[t]) to rows i0 .. i0 + rows of group g and columns [j0, j0 + NR), whose two
         * vectors' row-0 positions are bases[v0] and bases[v0 + 1] (-1: the vector crosses into the next image or passes
         * the last column, and is stored one value at a time; masked vector stores were several times slower there).
         * Activations without a vector form are applied value by value after the vector store.
         * <p>
         * One loop with one vector store site on purpose: with a second path for edge tiles beside an unrolled one for
         * whole tiles, this method inlined the epilogue three times, and in some JVMs C2 left the third copy's Vector
         * API calls un-intrinsified (compare and blend stayed virtual calls, every store failed to intrinsify) and boxed
         * every vector stored there: ResNet-50 two to four times slower for the life of the process.
         */
        void finish(float[] tiles, int t, int g, int i0, int rows, int j0, int[] bases, int v0) {
            if (pixels > 0) {
                storeTransposed(tiles, t, i0, rows, j0, Math.min(columns, j0 + NR));
                return;
            }
            int row = g * m + i0;
            for (int r = 0; r < rows; r++, row++) {
                float b = bias == null ? 0f : bias[row];
                int rowAt = row * rowStride;
                for (int v = 0; v < 2; v++) {
                    int j = j0 + v * V, tv = t + r * NR + v * V, at = bases[v0 + v];
                    if (j >= columns) break;
                    if (at < 0) {
                        storeScalar(tiles, tv, row, j, Math.min(V, columns - j), b);
                        continue;
                    }
                    at += rowAt;
                    put(tiles, tv, b, at);
                    if (scalarAct) {
                        for (int l = at; l < at + V; l++) c[l] = act.applyFast(c[l]);
                    }
                }
            }
        }

        /** c[at, at + V) = act(src[s, s + V) + b + residual[at, at + V)), as far as this target has an epilogue. */
        private void put(float[] src, int s, float b, int at) {
            if (epilogue) finishVector(src, s, b, residual, at, act, c, at);
            else FloatVector.fromArray(S, src, s).intoArray(c, at);
        }

        /**
         * For each vector of the columns [j0, j0 + panels*NR): the index of its row-0 values in c when all its
         * columns lie in one image, else -1 (stored one value at a time). Computed once per work item.
         */
        void columnBases(int j0, int panels, int[] bases) {
            for (int v = 0; v < 2 * panels; v++) {
                int j = j0 + v * V, img = j / cpi, col = j - img * cpi;
                bases[v] = j < columns && col + V <= cpi ? base + img * imageStride + col : -1;
            }
        }

        /** Rows i0 .. i0 + rows (pixels) and columns j0 .. end (channels) of a transposed product, one value at a time. */
        private void storeTransposed(float[] tiles, int t, int i0, int rows, int j0, int end) {
            for (int r = 0; r < rows; r++) {
                int i = i0 + r, img = i / pixels, at = img * columns * pixels + (i - img * pixels);
                for (int j = j0; j < end; j++) {
                    int idx = at + j * pixels;
                    float v = tiles[t + r * NR + j - j0];
                    if (epilogue) {
                        if (bias != null) v += bias[j];
                        if (residual != null) v += residual[idx];
                        v = activate(act, v);
                    }
                    c[idx] = v;
                }
            }
        }

        private void storeScalar(float[] tiles, int t, int row, int j0, int count, float b) {
            int img = j0 / cpi, col = j0 - img * cpi, rowAt = base + row * rowStride;
            for (int jj = 0; jj < count; jj++, col++) {
                if (col == cpi) { // the next image
                    col = 0;
                    img++;
                }
                int at = rowAt + img * imageStride + col;
                float v = tiles[t + jj];
                if (epilogue) {
                    v += b;
                    if (residual != null) v += residual[at];
                    v = activate(act, v);
                }
                c[at] = v;
            }
        }

        /** C = 0 (then the epilogue) when the reduction is empty. */
        void fill(PackedA a) {
            float[] zero = new float[MR * NR];
            int[] bases = new int[2];
            for (int g = 0; g < a.groups; g++) {
                for (int i0 = 0; i0 < a.m; i0 += MR) {
                    for (int j0 = 0; j0 < columns; j0 += NR) {
                        columnBases(j0, 1, bases);
                        finish(zero, 0, g, i0, Math.min(MR, a.m - i0), j0, bases, 0);
                    }
                }
            }
        }
    }

    /** {@link Activation#applyFast} with the common cases small enough for the JIT to inline. */
    static float activate(Activation act, float v) {
        switch (act.kind()) {
            case NONE: return v;
            case RELU: return relu(v);
            default: return act.applyFast(v);
        }
    }

    /**
     * max(0, v) without a branch: the reference's {@code v < 0 ? 0 : v} compiles to a jump that the signs of
     * convolution outputs make unpredictable (a mispredicted jump per value cost Winograd's output store 40% of a
     * 64-channel 56x56 layer). NaN stays NaN; -0 becomes +0, the same value.
     */
    static float relu(float v) {
        return Math.max(v, 0f);
    }

    static boolean vectorised(Activation act) {
        switch (act.kind()) {
            case NONE: case RELU: case CLIP: case LEAKY_RELU: return true;
            default: return false;
        }
    }

    /**
     * dst[d, d + V) = act(src[s, s + V) + b + residual[r, r + V)), the residual where not null, with the activations of
     * {@link #vectorised} in the reference's semantics (NaN included). The vector is loaded, finished and stored in this
     * one method: no FloatVector may cross a call that C2 could decline to inline ("already compiled into a big
     * method"), because it then boxes every vector; the epilogue helper that took and returned vectors made ResNet-50
     * 35-50% slower in the JVMs where that happened.
     */
    static void finishVector(float[] src, int s, float b, float[] residual, int r, Activation act, float[] dst, int d) {
        // x is defined once, and every case stores it itself: C2 boxes a vector that two branches assign and then
        // merge, so the residual is a choice of array (zeros without one), not of vector
        float[] res = residual == null ? ZEROS : residual;
        FloatVector x = FloatVector.fromArray(S, src, s).add(b).add(FloatVector.fromArray(S, res, residual == null ? 0 : r));
        switch (act.kind()) {
            case RELU: // zero where negative, so NaN stays NaN
                x.blend(0f, x.compare(VectorOperators.LT, 0f)).intoArray(dst, d);
                return;
            case CLIP: {
                VectorMask<Float> below = x.compare(VectorOperators.LT, act.alpha());
                VectorMask<Float> above = x.compare(VectorOperators.GT, act.beta()).andNot(below);
                x.blend(act.alpha(), below).blend(act.beta(), above).intoArray(dst, d);
                return;
            }
            case LEAKY_RELU:
                x.mul(act.alpha()).blend(x, x.compare(VectorOperators.GE, 0f)).intoArray(dst, d);
                return;
            default:
                x.intoArray(dst, d);
        }
    }

    /** One vector of zeros: the residual {@link #finishVector} adds when there is none. */
    private static final float[] ZEROS = new float[V];
}
