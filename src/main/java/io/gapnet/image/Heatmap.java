package io.gapnet.image;

import java.awt.image.BufferedImage;

/** Draws a class activation map over an image: the map upsampled to the image, scaled to 0..1, in a palette. */
public final class Heatmap {
    private Heatmap() {}

    /** The palettes a map is drawn in, low to high. */
    public enum Colormap {
        /** dark blue, cyan, yellow, dark red */
        JET,
        /** black, red, yellow, white */
        HOT,
        /** dark purple, blue, green, yellow (matplotlib's perceptually uniform map, from five of its colours) */
        VIRIDIS,
        /** black to white */
        GRAY;

        /** The colour of t in 0..1 as {r, g, b} in 0..255. */
        public int[] color(float t) {
            t = clamp(t);
            switch (this) {
                case JET: return jet(t);
                case HOT: return new int[] {Math.round(clamp(3 * t) * 255), Math.round(clamp(3 * t - 1) * 255),
                        Math.round(clamp(3 * t - 2) * 255)};
                case GRAY: return new int[] {Math.round(t * 255), Math.round(t * 255), Math.round(t * 255)};
                default: { // viridis at 0, 0.25, 0.5, 0.75, 1
                    int[][] anchors = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
                    float f = t * 4;
                    int i = Math.min(3, (int) f);
                    float u = f - i;
                    int[] c = new int[3];
                    for (int k = 0; k < 3; k++) c[k] = Math.round(anchors[i][k] + u * (anchors[i + 1][k] - anchors[i][k]));
                    return c;
                }
            }
        }
    }

    /**
     * The whole image with the map over the part the model saw ({@code window}: x, y, width, height in the image's
     * pixels, outlined; the rest dimmed), a colour bar of the map's range on the right and {@code caption} below.
     * The image is drawn scaled so that its shorter side is at least 224 pixels and its longer at most 1024.
     */
    public static BufferedImage explained(Images.Planes image, double[] window, float[] cam, int camW, int camH, float alpha,
                                          Colormap colormap, String caption) {
        // small images drawn larger (the shorter side at least 224 pixels), large ones smaller (the longer at most 1024)
        double scale = Math.min(Math.max(1, 224.0 / Math.min(image.width(), image.height())),
                1024.0 / Math.max(image.width(), image.height()));
        int w = Math.max(1, (int) Math.round(image.width() * scale)), h = Math.max(1, (int) Math.round(image.height() * scale));
        float[][] p = image.data();
        float[][] planes = new float[3][];
        for (int c = 0; c < 3; c++) planes[c] = Images.resize(p[Math.min(c, p.length - 1)], image.width(), image.height(), w, h);
        int wx = (int) Math.round(window[0] * scale), wy = (int) Math.round(window[1] * scale);
        int ww = Math.max(1, Math.min(w - wx, (int) Math.round(window[2] * scale)));
        int wh = Math.max(1, Math.min(h - wy, (int) Math.round(window[3] * scale)));
        float[] up = Images.resize(cam, camW, camH, ww, wh);
        float[] range = range(up);
        float lo = range[0], hi = range[1], span = hi > lo ? hi - lo : 1f;
        int bar = 60, foot = 22;
        BufferedImage img = new BufferedImage(w + bar, h + foot, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                boolean inside = x >= wx && x < wx + ww && y >= wy && y < wy + wh;
                int[] c = inside ? colormap.color((up[(y - wy) * ww + (x - wx)] - lo) / span) : null;
                float a = inside ? alpha : 0, dim = inside ? 1 : 0.45f;
                int r = blend(planes[0][i] * dim, inside ? c[0] : 0, a), g = blend(planes[1][i] * dim, inside ? c[1] : 0, a),
                        b = blend(planes[2][i] * dim, inside ? c[2] : 0, a);
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        java.awt.Graphics2D g = img.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(w, 0, bar, h + foot);
            g.fillRect(0, h, w + bar, foot);
            if (ww < w || wh < h) g.drawRect(wx, wy, ww - 1, wh - 1); // the crop the model saw
            int top = 14, bottom = Math.max(top + 10, h - 14);
            for (int y = top; y <= bottom; y++) {
                int[] c = colormap.color(1 - (float) (y - top) / (bottom - top));
                g.setColor(new java.awt.Color(c[0], c[1], c[2]));
                g.fillRect(w + 8, y, 14, 1);
            }
            try {
                g.setColor(java.awt.Color.BLACK);
                g.drawString(String.format(java.util.Locale.ROOT, "%.3g", hi), w + 24, top + 9);
                g.drawString(String.format(java.util.Locale.ROOT, "%.3g", lo), w + 24, bottom);
                g.drawString(caption, 4, h + foot - 6);
            } catch (RuntimeException | InternalError e) { // a JVM without fonts: the picture without its words
                // nothing to draw text with
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /**
     * @param rgb the image as three planes of 0..255 values (as the model saw it: resized and cropped)
     * @param cam the map, {@code camW x camH}, in any range
     * @param alpha weight of the heatmap in the blend (0..1)
     * @param colormap the palette
     */
    public static BufferedImage overlay(Images.Planes rgb, float[] cam, int camW, int camH, float alpha, Colormap colormap) {
        int w = rgb.width(), h = rgb.height();
        float[] up = Images.resize(cam, camW, camH, w, h);
        float[] range = range(up);
        float lo = range[0], hi = range[1], span = hi > lo ? hi - lo : 1f;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        float[][] p = rgb.data();
        for (int i = 0; i < w * h; i++) {
            float t = (up[i] - lo) / span;
            int[] c = colormap.color(t);
            int r = blend(p[0][i], c[0], alpha), g = blend(p.length > 1 ? p[1][i] : p[0][i], c[1], alpha),
                    b = blend(p.length > 2 ? p[2][i] : p[0][i], c[2], alpha);
            img.setRGB(i % w, i / w, (r << 16) | (g << 8) | b);
        }
        return img;
    }

    /** The smallest and largest value of a map. */
    private static float[] range(float[] map) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : map) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new float[] {lo, hi};
    }

    private static int blend(float base, int color, float alpha) {
        return Math.max(0, Math.min(255, Math.round((1 - alpha) * base + alpha * color)));
    }

    /** The jet palette: dark blue (0) through cyan, yellow, to dark red (1). */
    private static int[] jet(float t) {
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
                                             java.util.List<String> captions, float alpha, Colormap colormap) {
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
                BufferedImage one = overlay(rgb, map, features.dim(3), features.dim(2), alpha, colormap);
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
