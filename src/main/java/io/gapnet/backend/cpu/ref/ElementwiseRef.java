package io.gapnet.backend.cpu.ref;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.tensor.IndexMaps;

/**
 * Reference element-wise ops: activations, broadcasting binary arithmetic, normalisation, softmax. Each computes the
 * part {@code [from, to)} of its output (elements, rows or planes, as each says), so that the fast path can run the
 * same code on parts in parallel; the reference runs the whole range at once.
 */
final class ElementwiseRef {
    private ElementwiseRef() {}

    /** Elements [from, to). */
    static void activation(int from, int to, Activation act, float[] x, float[] y) {
        for (int i = from; i < to; i++) y[i] = act.apply(x[i]);
    }

    /** Output elements [from, to). */
    static void binary(int from, int to, BinaryOp op, int[] aShape, float[] a, int[] bShape, float[] b, int[] yShape, float[] y) {
        int[] ia = IndexMaps.broadcast(aShape, yShape), ib = IndexMaps.broadcast(bShape, yShape);
        for (int o = from; o < to; o++) y[o] = op.apply(a[ia[o]], b[ib[o]]);
    }

    /** Rows [from, to). */
    static void layerNorm(int from, int to, int len, float eps, float[] x, float[] scale, float[] bias, float[] y) {
        for (int r = from; r < to; r++) {
            int base = r * len;
            double sum = 0;
            for (int i = 0; i < len; i++) sum += x[base + i];
            double mean = sum / len, sq = 0;
            for (int i = 0; i < len; i++) sq += (x[base + i] - mean) * (x[base + i] - mean);
            double inv = 1 / Math.sqrt(sq / len + eps);
            for (int i = 0; i < len; i++) {
                double v = (x[base + i] - mean) * inv;
                if (scale != null) v *= scale[i];
                if (bias != null) v += bias[i];
                y[base + i] = (float) v;
            }
        }
    }

    /** Planes (image, channel) [from, to). */
    static void batchNorm(int from, int to, int c, int spatial, float eps, float[] x, float[] scale, float[] bias,
                          float[] mean, float[] var, float[] y) {
        for (int plane = from; plane < to; plane++) {
            int ch = plane % c, base = plane * spatial;
            double inv = 1.0 / Math.sqrt((double) var[ch] + eps);
            for (int s = 0; s < spatial; s++) {
                y[base + s] = (float) ((x[base + s] - mean[ch]) * inv * scale[ch] + bias[ch]);
            }
        }
    }

    /** Planes (image, channel) [from, to). */
    static void lrn(int from, int to, int c, int spatial, int size, float alpha, float beta, float bias, float[] x, float[] y) {
        int before = (size - 1) / 2, after = size / 2;
        for (int plane = from; plane < to; plane++) {
            int i = plane / c, ch = plane % c;
            for (int s = 0; s < spatial; s++) {
                double sq = 0;
                for (int k = Math.max(0, ch - before); k <= Math.min(c - 1, ch + after); k++) {
                    double v = x[(i * c + k) * spatial + s];
                    sq += v * v;
                }
                int at = (i * c + ch) * spatial + s;
                y[at] = (float) (x[at] / Math.pow(bias + alpha / size * sq, beta));
            }
        }
    }

    /** Lines along the axis [from, to) of the outer * inner. */
    static void softmax(int from, int to, int axisLen, int inner, float[] x, float[] y) {
        for (int line = from; line < to; line++) {
            int o = line / inner, in = line % inner;
            int base = o * axisLen * inner + in;
            float max = Float.NEGATIVE_INFINITY;
            for (int k = 0; k < axisLen; k++) max = Math.max(max, x[base + k * inner]);
            double sum = 0;
            for (int k = 0; k < axisLen; k++) sum += Math.exp(x[base + k * inner] - max);
            for (int k = 0; k < axisLen; k++) {
                y[base + k * inner] = (float) (Math.exp(x[base + k * inner] - max) / sum);
            }
        }
    }
}
