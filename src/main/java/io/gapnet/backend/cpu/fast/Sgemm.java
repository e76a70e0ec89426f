package io.gapnet.backend.cpu.fast;

/**
 * Single-precision matrix multiply for the fast CPU backend: {@code C = A * B} (C overwritten) with
 * A(i, p) = a[aOff + i*asi + p*asp] of size M x K, B(p, j) = b[bOff + p*bsp + j*bsj] of size K x N and C
 * row-major with leading dimension ldc. The strides serve transposed operands without copies.
 */
public interface Sgemm {
    void gemm(int m, int n, int k, float[] a, int aOff, int asi, int asp, float[] b, int bOff, int bsp, int bsj,
              float[] c, int cOff, int ldc);

    /** The Vector API kernel when the jdk.incubator.vector module is present (--add-modules), else the scalar one. */
    static Sgemm best() {
        return Holder.BEST;
    }

    /** Which implementation {@link #best()} is, for `gapnet devices`. */
    static String describe() {
        return Holder.BEST.toString();
    }

    final class Holder {
        static final Sgemm BEST = choose();

        private Holder() {}

        private static Sgemm choose() {
            if (!Boolean.parseBoolean(System.getProperty("gapnet.cpu.vector", "true"))) return new ScalarSgemm();
            try {
                Class.forName("jdk.incubator.vector.FloatVector");
                return (Sgemm) Class.forName("io.gapnet.backend.cpu.fast.VectorSgemm").getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarSgemm();
            }
        }
    }
}
