package io.gapnet.backend.cpu.fast;

/**
 * The right operand of the GEMM engine, read column panel by column panel: a plain strided matrix, or a
 * convolution's input seen as its im2col matrix without ever building it (rows are (channel, ky, kx),
 * columns are output pixels of every image).
 */
interface Columns {
    /** Number of columns. */
    int count();

    /**
     * Writes rows [k0, k0 + kc) of columns [j0, j0 + NR) of group g into {@code dst} from {@code dOff}: for
     * each row, NR consecutive values, zero for columns at or past {@link #count()}.
     */
    void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s);
}
