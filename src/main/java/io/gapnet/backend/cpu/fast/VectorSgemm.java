package io.gapnet.backend.cpu.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** {@link Sgemm} on the {@link VectorGemm} engine: A packed per call, B read through its strides. */
final class VectorSgemm implements Sgemm {
    private static final ThreadLocal<float[]> PACKED = new ThreadLocal<>();

    @Override
    public String toString() {
        return "Vector API SGEMM (" + VectorGemm.S.vectorBitSize() + "-bit vectors, " + VectorGemm.MR + "x"
                + VectorGemm.NR + " register tile, " + Parallel.threads() + " threads)";
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int asi, int asp, float[] b, int bOff, int bsp, int bsj,
                     float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        PackedA packed = PackedA.pack(1, m, k, a, aOff, 0, asi, asp, PACKED.get());
        PACKED.set(packed.data);
        VectorGemm.run(packed, new MatrixColumns(b, bOff, bsp, bsj, n), VectorGemm.Target.matrix(c, cOff, m, n, ldc));
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        int v = VectorGemm.V, p = 0;
        FloatVector s0 = FloatVector.zero(VectorGemm.S), s1 = s0;
        for (; p + 2 * v <= k; p += 2 * v) {
            s0 = FloatVector.fromArray(VectorGemm.S, a, aOff + p).fma(FloatVector.fromArray(VectorGemm.S, b, bOff + p), s0);
            s1 = FloatVector.fromArray(VectorGemm.S, a, aOff + p + v).fma(FloatVector.fromArray(VectorGemm.S, b, bOff + p + v), s1);
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) sum += a[aOff + p] * b[bOff + p];
        return sum;
    }

    @Override
    public void dot4(float[] a, int aOff, float[] b, int bOff, int ldb, int k, float[] out, int o) {
        int v = VectorGemm.V, p = 0, b1 = bOff + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        FloatVector s0 = FloatVector.zero(VectorGemm.S), s1 = s0, s2 = s0, s3 = s0;
        for (; p + v <= k; p += v) {
            FloatVector x = FloatVector.fromArray(VectorGemm.S, a, aOff + p);
            s0 = x.fma(FloatVector.fromArray(VectorGemm.S, b, bOff + p), s0);
            s1 = x.fma(FloatVector.fromArray(VectorGemm.S, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(VectorGemm.S, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(VectorGemm.S, b, b3 + p), s3);
        }
        float r0 = s0.reduceLanes(VectorOperators.ADD), r1 = s1.reduceLanes(VectorOperators.ADD);
        float r2 = s2.reduceLanes(VectorOperators.ADD), r3 = s3.reduceLanes(VectorOperators.ADD);
        for (; p < k; p++) {
            float x = a[aOff + p];
            r0 += x * b[bOff + p];
            r1 += x * b[b1 + p];
            r2 += x * b[b2 + p];
            r3 += x * b[b3 + p];
        }
        out[o] = r0;
        out[o + 1] = r1;
        out[o + 2] = r2;
        out[o + 3] = r3;
    }

    /** B(p, j) = b[off + p*bsp + j*bsj]. */
    private record MatrixColumns(float[] b, int off, int bsp, int bsj, int count) implements Columns {
        @Override
        public void pack(int g, int k0, int kc, int j0, float[] dst, int dOff, VectorGemm.Scratch s) {
            int nr = VectorGemm.NR;
            if (bsj == 1 && j0 + nr <= count) {
                for (int p = 0; p < kc; p++) VectorGemm.copyPanelRow(b, off + (k0 + p) * bsp + j0, dst, dOff + p * nr);
                return;
            }
            int valid = Math.min(nr, count - j0);
            for (int p = 0; p < kc; p++) {
                int src = off + (k0 + p) * bsp + j0 * bsj, d = dOff + p * nr;
                for (int j = 0; j < valid; j++) dst[d + j] = b[src + j * bsj];
                for (int j = valid; j < nr; j++) dst[d + j] = 0f;
            }
        }
    }
}
