package io.gapnet.image;

import java.awt.image.BufferedImage;

/** Draws a class activation map over an image: the map upsampled to the image, scaled to 0..1, in a jet palette. */
public final class Heatmap {
    private Heatmap() {}

    /**
     * @param rgb the image as three planes of 0..255 values (as the model saw it: resized and cropped)
     * @param cam the map, {@code camW x camH}, in any range
     * @param alpha weight of the heatmap in the blend (0..1)
     */
    public static BufferedImage overlay(Images.Planes rgb, float[] cam, int camW, int camH, float alpha) {
        int w = rgb.width(), h = rgb.height();
        float[] up = Images.resize(cam, camW, camH, w, h);
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : up) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float span = hi > lo ? hi - lo : 1f;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        float[][] p = rgb.data();
        for (int i = 0; i < w * h; i++) {
            float t = (up[i] - lo) / span;
            int[] c = jet(t);
            int r = blend(p[0][i], c[0], alpha), g = blend(p.length > 1 ? p[1][i] : p[0][i], c[1], alpha),
                    b = blend(p.length > 2 ? p[2][i] : p[0][i], c[2], alpha);
            img.setRGB(i % w, i / w, (r << 16) | (g << 8) | b);
        }
        return img;
    }

    private static int blend(float base, int color, float alpha) {
        return Math.max(0, Math.min(255, Math.round((1 - alpha) * base + alpha * color)));
    }

    /** The jet palette: dark blue (0) through cyan, yellow, to dark red (1). */
    static int[] jet(float t) {
        float r = clamp(1.5f - Math.abs(4 * t - 3)), g = clamp(1.5f - Math.abs(4 * t - 2)), b = clamp(1.5f - Math.abs(4 * t - 1));
        return new int[] {Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)};
    }

    private static float clamp(float v) {
        return Math.max(0, Math.min(1, v));
    }
}
