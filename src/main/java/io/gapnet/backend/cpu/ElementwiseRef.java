package io.gapnet.backend.cpu;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;

/** Reference element-wise ops: activations, broadcasting binary arithmetic, batch normalisation, softmax. */
final class ElementwiseRef {
    private ElementwiseRef() {}

    static void activation(Activation act, int count, float[] x, float[] y) {
        for (int i = 0; i < count; i++) y[i] = act.apply(x[i]);
    }

    static void binary(BinaryOp op, int[] aShape, float[] a, int[] bShape, float[] b, int[] yShape, float[] y) {
        int[] as = Shapes.broadcastStrides(aShape, yShape);
        int[] bs = Shapes.broadcastStrides(bShape, yShape);
        int[] idx = new int[yShape.length];
        int n = Shapes.numel(yShape);
        for (int o = 0; o < n; o++) {
            int ia = 0, ib = 0;
            for (int i = 0; i < idx.length; i++) {
                ia += idx[i] * as[i];
                ib += idx[i] * bs[i];
            }
            y[o] = op.apply(a[ia], b[ib]);
            IndexMaps.increment(idx, yShape);
        }
    }

    static void layerNorm(int rows, int len, float eps, float[] x, float[] scale, float[] bias, float[] y) {
        for (int r = 0; r < rows; r++) {
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

    static void batchNorm(int n, int c, int spatial, float eps, float[] x, float[] scale, float[] bias,
                          float[] mean, float[] var, float[] y) {
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                double inv = 1.0 / Math.sqrt((double) var[ch] + eps);
                int base = (i * c + ch) * spatial;
                for (int s = 0; s < spatial; s++) {
                    y[base + s] = (float) ((x[base + s] - mean[ch]) * inv * scale[ch] + bias[ch]);
                }
            }
        }
    }

    static void lrn(int n, int c, int spatial, int size, float alpha, float beta, float bias, float[] x, float[] y) {
        int before = (size - 1) / 2, after = size / 2;
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
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
    }

    static void softmax(int outer, int axisLen, int inner, float[] x, float[] y) {
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
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
}
