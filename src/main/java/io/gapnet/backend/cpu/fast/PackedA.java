package io.gapnet.backend.cpu.fast;

/**
 * The left operand of the GEMM engine (a convolution's weights) packed for its micro-kernel: per group, per
 * block of at most {@link #KC} reduction steps, per panel of {@link #MR} rows, the panel's values for each
 * step next to each other (rows past {@code m} are zero). Packing reads each weight once; a constant
 * weight buffer keeps its packed form for the life of the buffer. {@link #inPlace} instead views a matrix stored
 * column by column where it lies (a 1x1 convolution's input planes as its pixel rows).
 */
public final class PackedA {
    /** Rows of the micro-kernel's register tile. */
    public static final int MR = 6;
    /** Reduction steps per block: a panel of A (MR x KC) stays in L1 while it meets every column panel. */
    public static final int KC = 256;

    final int groups;
    final int m;
    final int k;
    final int panels;
    final float[] data;
    /**
     * 0 for packed panels; else the matrix is read in place, stored column by column: A(i, p) = data[p * step + i]
     * (one group), and the rows of the last panel past m read whatever follows them.
     */
    final int step;

    private PackedA(int groups, int m, int k, float[] data) {
        this(groups, m, k, data, 0);
    }

    private PackedA(int groups, int m, int k, float[] data, int step) {
        this.groups = groups;
        this.m = m;
        this.k = k;
        this.panels = (m + MR - 1) / MR;
        this.data = data;
        this.step = step;
    }

    /**
     * A(i, p) = a[p * step + i] for i < m, p < k, read where it lies; null unless a reaches past the last panel's
     * rows at the last step (rows m .. panels*MR read values that are never stored).
     */
    static PackedA inPlace(float[] a, int m, int k, int step) {
        long end = (long) (k - 1) * step + (long) (m + MR - 1) / MR * MR;
        return k > 0 && end <= a.length ? new PackedA(1, m, k, a, step) : null;
    }

    /** The step between the values of a row at neighbouring reduction steps (MR for packed panels). */
    int rowStep() {
        return step == 0 ? MR : step;
    }

    /** Floats needed to pack {@code groups} matrices of m x k. */
    public static long size(int groups, int m, int k) {
        return (long) groups * ((m + MR - 1) / MR) * MR * k;
    }

    /**
     * Packs {@code A(g, i, p) = a[aOff + g*groupStride + i*asi + p*asp]} for {@code g < groups, i < m, p < k}, into
     * {@code into} when it is large enough (scratch reuse), else into a new array.
     */
    public static PackedA pack(int groups, int m, int k, float[] a, int aOff, int groupStride, int asi, int asp, float[] into) {
        PackedA packed = empty(groups, m, k, into);
        float[] dst = packed.data;
        int panels = packed.panels;
        Parallel.run(groups * panels, item -> {
            int g = item / panels, ip = item % panels;
            int src0 = aOff + g * groupStride + ip * MR * asi;
            int rows = Math.min(MR, m - ip * MR);
            for (int k0 = 0; k0 < k; k0 += KC) {
                int kc = Math.min(KC, k - k0);
                int d = packed.offset(g, k0, kc, ip);
                for (int p = 0; p < kc; p++, d += MR) {
                    int s = src0 + (k0 + p) * asp;
                    for (int r = 0; r < MR; r++) dst[d + r] = r < rows ? a[s + r * asi] : 0f;
                }
            }
        });
        return packed;
    }

    /**
     * A packed matrix of these dimensions whose values the caller writes ({@link #offset} says where), in {@code into}
     * when it is large enough (scratch reuse), else in a new array.
     */
    static PackedA empty(int groups, int m, int k, float[] into) {
        long need = size(groups, m, k);
        if (need > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("matrix too large to pack: " + need + " floats");
        return new PackedA(groups, m, k, into != null && into.length >= need ? into : new float[(int) need]);
    }

    /** Where panel {@code ip} of the block starting at step {@code k0} (kc steps) of group g starts. */
    int offset(int g, int k0, int kc, int ip) {
        if (step != 0) return k0 * step + ip * MR;
        return (g * panels * k + k0 * panels + ip * kc) * MR;
    }

    /** The packed values (for reuse as scratch by the next packing of a non-constant matrix). */
    public float[] data() {
        return data;
    }

    /** Whether this packs a matrix of these dimensions (a cached form is reused only for the same shape). */
    public boolean matches(int groups, int m, int k) {
        return this.groups == groups && this.m == m && this.k == k;
    }
}
