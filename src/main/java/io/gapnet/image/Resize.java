package io.gapnet.image;

/**
 * Separable resampling with a triangle (bilinear) filter whose support widens with the reduction factor,
 * so that downscaling averages every source pixel (antialiasing) instead of skipping pixels. Sample
 * centres are aligned as in PIL: output pixel i covers source position (i + 0.5) * scale.
 */
final class Resize {
    private Resize() {}

    static float[] resize(float[] src, int w, int h, int nw, int nh) {
        float[] tmp = new float[nw * h];
        Weights wx = weights(w, nw);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < nw; x++) {
                double acc = 0;
                for (int k = 0; k < wx.count[x]; k++) acc += wx.w[x][k] * src[y * w + wx.first[x] + k];
                tmp[y * nw + x] = (float) acc;
            }
        }
        float[] dst = new float[nw * nh];
        Weights wy = weights(h, nh);
        for (int y = 0; y < nh; y++) {
            for (int x = 0; x < nw; x++) {
                double acc = 0;
                for (int k = 0; k < wy.count[y]; k++) acc += wy.w[y][k] * tmp[(wy.first[y] + k) * nw + x];
                dst[y * nw + x] = (float) acc;
            }
        }
        return dst;
    }

    private static final class Weights {
        int[] first;
        int[] count;
        double[][] w;
    }

    private static Weights weights(int in, int out) {
        double scale = (double) in / out;
        double support = Math.max(1.0, scale); // triangle of radius 1, stretched when shrinking
        Weights r = new Weights();
        r.first = new int[out];
        r.count = new int[out];
        r.w = new double[out][];
        for (int i = 0; i < out; i++) {
            double center = (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(in, (int) Math.ceil(center + support));
            double[] ws = new double[Math.max(1, hi - lo)];
            double sum = 0;
            for (int j = lo; j < hi; j++) {
                double d = Math.abs((j + 0.5 - center) / support);
                double v = Math.max(0, 1 - d);
                ws[j - lo] = v;
                sum += v;
            }
            if (sum == 0) { // degenerate: take the nearest pixel
                lo = Math.min(in - 1, Math.max(0, (int) center));
                ws = new double[] {1};
                sum = 1;
                hi = lo + 1;
            }
            for (int k = 0; k < ws.length; k++) ws[k] /= sum;
            r.first[i] = lo;
            r.count[i] = hi - lo;
            r.w[i] = ws;
        }
        return r;
    }
}
