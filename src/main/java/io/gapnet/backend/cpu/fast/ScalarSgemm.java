package io.gapnet.backend.cpu.fast;

import java.util.stream.IntStream;

/** The fallback when the Vector API is absent: row-parallel, k-outer loops that the JIT can auto-vectorise. */
final class ScalarSgemm implements Sgemm {
    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int asi, int asp, float[] b, int bOff, int bsp, int bsj,
                     float[] c, int cOff, int ldc) {
        IntStream.range(0, m).parallel().forEach(i -> {
            int row = cOff + i * ldc;
            java.util.Arrays.fill(c, row, row + n, 0f);
            for (int p = 0; p < k; p++) {
                float av = a[aOff + i * asi + p * asp];
                if (av == 0f) continue;
                int bRow = bOff + p * bsp;
                if (bsj == 1) {
                    for (int j = 0; j < n; j++) c[row + j] += av * b[bRow + j];
                } else {
                    for (int j = 0; j < n; j++) c[row + j] += av * b[bRow + j * bsj];
                }
            }
        });
    }

    @Override
    public String toString() {
        return "scalar SGEMM (start the JVM with --add-modules jdk.incubator.vector for the Vector API kernel)";
    }
}
