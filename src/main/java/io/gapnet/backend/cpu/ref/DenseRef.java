package io.gapnet.backend.cpu.ref;

import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.KernelGeometry;
import java.util.stream.IntStream;

/** Reference dense ops: Gemm and numpy-style MatMul, with double-precision dot products. */
final class DenseRef {
    private DenseRef() {}

    static void gemm(GemmDesc d, float[] a, float[] b, float[] c, float[] y) {
        int m = d.m(), n = d.n(), k = d.k();
        IntStream.range(0, m).parallel().forEach(i -> {
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int p = 0; p < k; p++) {
                    float av = d.transA() ? a[p * m + i] : a[i * k + p];
                    float bv = d.transB() ? b[j * k + p] : b[p * n + j];
                    dot += (double) av * bv;
                }
                double v = d.alpha() * dot;
                if (c != null) {
                    int ci = (d.cRows() == 1 ? 0 : i) * d.cCols() + (d.cCols() == 1 ? 0 : j);
                    v += (double) d.beta() * c[ci];
                }
                y[i * n + j] = d.act().apply((float) v);
            }
        });
    }

    static void matmul(int[] aShape, float[] a, int[] bShape, float[] b, int[] yShape, float[] y) {
        KernelGeometry.matmulSlices(aShape, bShape, yShape, (m, n, k, aOff, bOff, yOff) -> {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int p = 0; p < k; p++) dot += (double) a[(int) aOff + i * k + p] * b[(int) bOff + p * n + j];
                    y[(int) yOff + i * n + j] = (float) dot;
                }
            }
        });
    }
}
