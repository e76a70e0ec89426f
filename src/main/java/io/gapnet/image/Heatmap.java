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

    /**
     * Feature maps {@code channels} of image 0 of {@code features} ([N, C, H, W]), each over the image as in
     * {@link #overlay}, side by side (up to 5 a row) with {@code captions} under them.
     */
    public static BufferedImage contactSheet(Images.Planes rgb, io.gapnet.tensor.Tensor features, java.util.List<Integer> channels,
                                             java.util.List<String> captions, float alpha) {
        int tile = 160, caption = 16, cols = Math.max(1, Math.min(5, channels.size()));
        int rows = (channels.size() + cols - 1) / cols;
        int tw = rgb.width() >= rgb.height() ? tile : Math.max(1, tile * rgb.width() / rgb.height());
        int th = rgb.width() >= rgb.height() ? Math.max(1, tile * rgb.height() / rgb.width()) : tile;
        BufferedImage sheet = new BufferedImage(cols * (tw + 4) + 4, rows * (th + caption + 4) + 4, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            boolean text = true;
            for (int i = 0; i < channels.size(); i++) {
                float[] map = io.gapnet.runtime.GapHead.channelMap(features, 0, channels.get(i));
                BufferedImage one = overlay(rgb, map, features.dim(3), features.dim(2), alpha);
                int x = 4 + (i % cols) * (tw + 4), y = 4 + (i / cols) * (th + caption + 4);
                g.drawImage(one, x, y, tw, th, null);
                if (text) {
                    try {
                        g.setColor(java.awt.Color.BLACK);
                        g.drawString(captions.get(i), x + 2, y + th + caption - 4);
                    } catch (RuntimeException | InternalError e) { // a JVM without fonts: the tiles alone
                        text = false;
                    }
                }
            }
        } finally {
            g.dispose();
        }
        return sheet;
    }
}
