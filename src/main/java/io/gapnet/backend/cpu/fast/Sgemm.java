package io.gapnet.backend.cpu.fast;

/**
 * Single-precision matrix multiply for the fast CPU backend: {@code C = A * B} (C overwritten) with
 * A(i, p) = a[aOff + i*asi + p*asp] of size M x K, B(p, j) = b[bOff + p*bsp + j*bsj] of size K x N and C
 * row-major with leading dimension ldc. The strides serve transposed operands without copies.
 */
public interface Sgemm {
    void gemm(int m, int n, int k, float[] a, int aOff, int asi, int asp, float[] b, int bOff, int bsp, int bsj,
              float[] c, int cOff, int ldc);

    /** The dot product of a[aOff, aOff + k) and b[bOff, bOff + k). */
    default float dot(float[] a, int aOff, float[] b, int bOff, int k) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int p = 0;
        for (; p + 3 < k; p += 4) {
            s0 += a[aOff + p] * b[bOff + p];
            s1 += a[aOff + p + 1] * b[bOff + p + 1];
            s2 += a[aOff + p + 2] * b[bOff + p + 2];
            s3 += a[aOff + p + 3] * b[bOff + p + 3];
        }
        for (; p < k; p++) s0 += a[aOff + p] * b[bOff + p];
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * {@code out[o + r]} = the dot product of a[aOff, aOff + k) and b[bOff + r*ldb, bOff + r*ldb + k) for
     * {@code r < 4}: four rows of b against one row of a, which is read once for all four.
     */
    default void dot4(float[] a, int aOff, float[] b, int bOff, int ldb, int k, float[] out, int o) {
        for (int r = 0; r < 4; r++) out[o + r] = dot(a, aOff, b, bOff + r * ldb, k);
    }

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
        static final FastEngine ENGINE = BEST instanceof ScalarSgemm ? null : newInstance("io.gapnet.backend.cpu.fast.VectorConv");

        /** The one warning a JVM without the Vector API module gets. */
        static final String MISSING_MODULE = "gapnet: the jdk.incubator.vector module is not loaded, so the fast CPU"
                + " backend runs its scalar kernel (about 4x slower); start Java with --add-modules jdk.incubator.vector"
                + " (-Dgapnet.cpu.vector=false silences this by choosing the scalar kernel on purpose)";

        private Holder() {}

        private static Sgemm choose() {
            if (!Boolean.parseBoolean(System.getProperty("gapnet.cpu.vector", "true"))) return new ScalarSgemm();
            try {
                Class.forName("jdk.incubator.vector.FloatVector");
            } catch (ReflectiveOperationException | LinkageError e) {
                // said once (this holder initialises once per JVM), through System.Logger so that a service's own
                // logging (java.util.logging, or SLF4J through its JDK bridge) decides where it goes
                System.getLogger("io.gapnet.cpu").log(System.Logger.Level.WARNING, MISSING_MODULE);
                return new ScalarSgemm();
            }
            Sgemm vector = newInstance("io.gapnet.backend.cpu.fast.VectorSgemm");
            return vector != null ? vector : new ScalarSgemm();
        }

        @SuppressWarnings("unchecked")
        private static <T> T newInstance(String name) {
            try {
                return (T) Class.forName(name).getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException | LinkageError e) {
                return null;
            }
        }
    }
}
