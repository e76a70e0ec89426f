package io.gapnet.image;

/**
 * Separable resampling with a triangle (bilinear) filter whose support widens with the reduction factor,
 * so that downscaling averages every source pixel (antialiasing) instead of skipping pixels. Sample
 * centres are aligned as in PIL: output pixel i covers source position (i + 0.5) * scale.
 *
 * <p>{@link #window} computes only a rectangle of the resized image (the centre crop), touching only the source
 * rows and columns that contribute to it, so a 65535x1 image resized to a shorter side of 256 and cropped to
 * 224x224 costs a 224x224 output, not the 16.7-million-pixel image it would be whole.
 */
final class Resize {
    private Resize() {}

    static float[] resize(float[] src, int w, int h, int nw, int nh) {
        return window(src, w, h, nw, nh, 0, 0, nw, nh);
    }

    /**
     * The rectangle [x0, x0 + cw) x [y0, y0 + ch) of {@code src} (w x h) resized to nw x nh: exactly the values
     * {@link #resize} would give there.
     */
    static float[] window(float[] src, int w, int h, long nw, long nh, int x0, int y0, int cw, int ch) {
        Weights wx = weights(w, nw, x0, cw), wy = weights(h, nh, y0, ch);
        // the source rows the window's output rows read
        int rowLo = wy.first[0], rowHi = wy.first[ch - 1] + wy.count[ch - 1];
        int rows = rowHi - rowLo;
        float[] tmp = new float[Math.multiplyExact(rows, cw)];
        for (int y = 0; y < rows; y++) {
            int srcRow = (rowLo + y) * w;
            for (int x = 0; x < cw; x++) {
                double acc = 0;
                for (int k = 0; k < wx.count[x]; k++) acc += wx.w[x][k] * src[srcRow + wx.first[x] + k];
                tmp[y * cw + x] = (float) acc;
            }
        }
        float[] dst = new float[Math.multiplyExact(cw, ch)];
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++) {
                double acc = 0;
                for (int k = 0; k < wy.count[y]; k++) acc += wy.w[y][k] * tmp[(wy.first[y] - rowLo + k) * cw + x];
                dst[y * cw + x] = (float) acc;
            }
        }
        return dst;
    }

    private static final class Weights {
        int[] first;
        int[] count;
        double[][] w;
    }

    /** The filter taps of output positions [from, from + n) of a resampling from {@code in} to {@code out}. */
    private static Weights weights(int in, long out, int from, int n) {
        double scale = (double) in / out;
        double support = Math.max(1.0, scale); // triangle of radius 1, stretched when shrinking
        Weights r = new Weights();
        r.first = new int[n];
        r.count = new int[n];
        r.w = new double[n][];
        for (int i = 0; i < n; i++) {
            double center = (from + i + 0.5) * scale;
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
