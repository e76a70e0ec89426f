package io.gapnet.backend.cpu;

import io.gapnet.backend.GemmDesc;
import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;
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
        int r = yShape.length;
        int m = yShape[r - 2], n = yShape[r - 1], k = aShape[aShape.length - 1];
        int[] batchShape = java.util.Arrays.copyOf(yShape, r - 2);
        int[] aBatch = java.util.Arrays.copyOf(aShape, aShape.length - 2);
        int[] bBatch = java.util.Arrays.copyOf(bShape, bShape.length - 2);
        int[] as = Shapes.broadcastStrides(aBatch, batchShape);
        int[] bs = Shapes.broadcastStrides(bBatch, batchShape);
        int batches = Shapes.numel(batchShape);
        int[] idx = new int[batchShape.length];
        for (int t = 0; t < batches; t++) {
            int aOff = 0, bOff = 0;
            for (int i = 0; i < idx.length; i++) {
                aOff += idx[i] * as[i];
                bOff += idx[i] * bs[i];
            }
            aOff *= m * k;
            bOff *= k * n;
            int yOff = t * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    for (int p = 0; p < k; p++) dot += (double) a[aOff + i * k + p] * b[bOff + p * n + j];
                    y[yOff + i * n + j] = (float) dot;
                }
            }
            IndexMaps.increment(idx, batchShape);
        }
    }
}
