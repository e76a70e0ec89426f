package io.gapnet.backend.cpu.ref;

import io.gapnet.ShapeException;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.ReduceOp;
import io.gapnet.tensor.Shapes;

/** Reference pooling: windowed max and average, global average and max, and the ONNX reductions over any axes. */
final class PoolRef {
    private PoolRef() {}

    static void maxPool(PoolDesc d, float[] x, float[] y) {
        for (int nc = 0; nc < d.n() * d.c(); nc++) {
            for (int oy = 0; oy < d.oh(); oy++) {
                for (int ox = 0; ox < d.ow(); ox++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < d.kh(); ky++) {
                        int iy = oy * d.strideH() - d.padTop() + ky * d.dilationH();
                        if (iy < 0 || iy >= d.h()) continue;
                        for (int kx = 0; kx < d.kw(); kx++) {
                            int ix = ox * d.strideW() - d.padLeft() + kx * d.dilationW();
                            if (ix < 0 || ix >= d.w()) continue;
                            float v = x[(nc * d.h() + iy) * d.w() + ix];
                            if (v > m || Float.isNaN(v)) m = v;
                        }
                    }
                    y[(nc * d.oh() + oy) * d.ow() + ox] = m;
                }
            }
        }
    }

    static void avgPool(PoolDesc d, float[] x, float[] y) {
        for (int nc = 0; nc < d.n() * d.c(); nc++) {
            for (int oy = 0; oy < d.oh(); oy++) {
                for (int ox = 0; ox < d.ow(); ox++) {
                    double sum = 0;
                    int inside = 0, inPadded = 0;
                    for (int ky = 0; ky < d.kh(); ky++) {
                        int iy = oy * d.strideH() - d.padTop() + ky * d.dilationH();
                        boolean rowPadded = iy >= -d.padTop() && iy < d.h() + d.padBottom();
                        for (int kx = 0; kx < d.kw(); kx++) {
                            int ix = ox * d.strideW() - d.padLeft() + kx * d.dilationW();
                            if (rowPadded && ix >= -d.padLeft() && ix < d.w() + d.padRight()) inPadded++;
                            if (iy < 0 || iy >= d.h() || ix < 0 || ix >= d.w()) continue;
                            sum += x[(nc * d.h() + iy) * d.w() + ix];
                            inside++;
                        }
                    }
                    int divisor = d.countIncludePad() ? inPadded : inside;
                    y[(nc * d.oh() + oy) * d.ow() + ox] = divisor == 0 ? 0f : (float) (sum / divisor);
                }
            }
        }
    }

    /** Planes [from, to) of [N*C, spatial]. */
    static void gap(int from, int to, int spatial, float[] x, float[] y) {
        requireSpatial(spatial, "GlobalAveragePool");
        for (int i = from; i < to; i++) {
            double sum = 0;
            for (int s = 0; s < spatial; s++) sum += x[i * spatial + s];
            y[i] = (float) (sum / spatial);
        }
    }

    /**
     * What the exported nodes compute, each in float as ONNX has it (a power that overflows float is infinite), the
     * mean accumulated in double. The clamp keeps a NaN (x < eps is false), as ONNX's Clip and Max do. Planes [from, to).
     */
    static void gem(int from, int to, int spatial, float p, float q, float eps, float[] x, float[] y) {
        requireSpatial(spatial, "GeM pooling");
        for (int i = from; i < to; i++) {
            double sum = 0;
            for (int s = 0; s < spatial; s++) {
                float v = x[i * spatial + s];
                sum += (float) Math.pow(v < eps ? eps : v, p);
            }
            y[i] = (float) Math.pow((float) (sum / spatial), q);
        }
    }

    /** Planes [from, to). */
    static void gmp(int from, int to, int spatial, float[] x, float[] y) {
        requireSpatial(spatial, "GlobalMaxPool");
        for (int i = from; i < to; i++) {
            float m = Float.NEGATIVE_INFINITY;
            for (int s = 0; s < spatial; s++) {
                float v = x[i * spatial + s];
                if (v > m || Float.isNaN(v)) m = v;
            }
            y[i] = m;
        }
    }

    /** Gathers each output's elements (in input order) and reduces them with {@link ReduceOp#reduce}. */
    static void reduce(ReduceOp op, int[] shape, boolean[] reduce, float[] x, float[] y) {
        int outputs = 1;
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (reduce[i]) count *= shape[i];
            else outputs *= shape[i];
        }
        if (count == 0 && op == ReduceOp.MEAN) {
            throw new ShapeException("ReduceMean over an empty extent (shape " + java.util.Arrays.toString(shape) + ")");
        }
        float[][] groups = new float[outputs][(int) count];
        int[] filled = new int[outputs];
        int[] into = io.gapnet.tensor.IndexMaps.reduce(shape, reduce);
        for (int e = 0; e < into.length; e++) groups[into[e]][filled[into[e]]++] = x[e];
        for (int o = 0; o < outputs; o++) y[o] = op.reduce(groups[o], (int) count);
    }

    private static void requireSpatial(int spatial, String op) {
        if (spatial <= 0) {
            throw new ShapeException(op + " over an empty spatial extent (H*W = 0): the input is too small for this"
                    + " network; use a larger input image");
        }
    }
}
