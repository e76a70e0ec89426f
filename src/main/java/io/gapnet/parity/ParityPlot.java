package io.gapnet.parity;

import io.gapnet.GapnetException;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a {@link ParityReport} as a PNG: each layer's error along the network on a log scale, the tolerance line,
 * layers beyond it in red, the first divergent layer marked and named, and layer names along the x axis. Under
 * {@link Tolerance.Metric#MAX} the plotted error is the worst element's error over what the tolerance allows it (so
 * the tolerance is the line at 1); under NMSE and cosine it is that measure, against its bound; with a tolerance of
 * zero it is the max abs error.
 */
public final class ParityPlot {
    private static final int LEFT = 90, RIGHT = 100, TOP = 60, BOTTOM = 200, HEIGHT = 640;
    private static final double FLOOR = 1e-12;

    private ParityPlot() {}

    /** The value plotted for a layer, and the tolerance line's height (NaN when there is none to draw). */
    static double[] series(ParityReport r) {
        Tolerance t = r.tolerance();
        List<LayerResult> layers = r.layers();
        double[] y = new double[layers.size() + 1];
        boolean zero = t.atol() == 0 && t.rtol() == 0;
        for (int i = 0; i < layers.size(); i++) {
            LayerResult l = layers.get(i);
            y[i] = zero ? l.maxAbs() : switch (t.metric()) {
                case MAX -> l.worst();
                case NMSE -> l.nmse();
                case COSINE -> l.cosineDistance();
            };
        }
        y[layers.size()] = zero ? Double.NaN : switch (t.metric()) {
            case MAX -> 1;
            case NMSE -> t.nmseBound();
            case COSINE -> t.cosineBound();
        };
        return y;
    }

    static String yLabel(ParityReport r) {
        Tolerance t = r.tolerance();
        if (t.atol() == 0 && t.rtol() == 0) return "max |got - want| (log scale; tolerance 0)";
        return switch (t.metric()) {
            case MAX -> "worst |got - want| / allowed error (log scale)";
            case NMSE -> "NMSE (log scale)";
            case COSINE -> "1 - cosine similarity (log scale)";
        };
    }

    public static void write(ParityReport r, Path file) {
        BufferedImage img = render(r);
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer");
        } catch (IOException e) {
            throw new GapnetException("cannot write the plot " + file + ": " + e.getMessage(), e);
        }
    }

    static BufferedImage render(ParityReport r) {
        List<LayerResult> layers = r.layers();
        int n = Math.max(1, layers.size());
        int plotW = Math.max(700, Math.min(6000, n * 9));
        int width = LEFT + plotW + RIGHT;
        BufferedImage img = new BufferedImage(width, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, HEIGHT);
        int plotH = HEIGHT - TOP - BOTTOM, x0 = LEFT, y0 = TOP + plotH;

        double[] s = series(r);
        double tol = s[layers.size()];
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < layers.size(); i++) {
            if (s[i] > 0 && Double.isFinite(s[i])) {
                lo = Math.min(lo, s[i]);
                hi = Math.max(hi, s[i]);
            }
        }
        if (!Double.isNaN(tol)) {
            lo = Math.min(lo, tol);
            hi = Math.max(hi, tol);
        }
        if (!(lo <= hi)) {
            lo = 1e-8;
            hi = 1;
        }
        double decLo = Math.floor(Math.log10(Math.max(lo, FLOOR))) - 1, decHi = Math.ceil(Math.log10(hi)) + 1;
        java.util.function.DoubleToIntFunction ypos = v -> {
            double d = Math.log10(Math.max(v, Math.pow(10, decLo)));
            return (int) Math.round(y0 - (d - decLo) / (decHi - decLo) * plotH);
        };
        java.util.function.IntUnaryOperator xpos = i -> x0 + (int) Math.round((i + 0.5) * plotW / n);

        // grid and y axis: one line per decade
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 11), normal = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        g.setFont(small);
        FontMetrics fm = g.getFontMetrics();
        for (int d = (int) decLo; d <= (int) decHi; d++) {
            int y = ypos.applyAsInt(Math.pow(10, d));
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x0, y, x0 + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String label = "1e" + d;
            g.drawString(label, x0 - 8 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, TOP, plotW, plotH);

        // the tolerance line
        if (!Double.isNaN(tol)) {
            int y = ypos.applyAsInt(tol);
            g.setColor(new Color(200, 0, 0));
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 5}, 0));
            g.drawLine(x0, y, x0 + plotW, y);
            g.setStroke(new BasicStroke(1));
            g.drawString("tolerance", x0 + plotW - fm.stringWidth("tolerance") - 4, y - 4);
        }

        // the series: a line through every layer, points coloured by the verdict, exact matches at the bottom
        int prevX = -1, prevY = -1;
        for (int i = 0; i < layers.size(); i++) {
            int x = xpos.applyAsInt(i);
            int y = Double.isInfinite(s[i]) ? TOP + 2 : ypos.applyAsInt(s[i] > 0 ? s[i] : 0);
            g.setColor(new Color(120, 140, 200));
            if (prevX >= 0) g.drawLine(prevX, prevY, x, y);
            prevX = x;
            prevY = y;
        }
        for (int i = 0; i < layers.size(); i++) {
            LayerResult l = layers.get(i);
            int x = xpos.applyAsInt(i);
            int y = Double.isInfinite(s[i]) ? TOP + 2 : ypos.applyAsInt(s[i] > 0 ? s[i] : 0);
            g.setColor(l.within() ? new Color(30, 70, 170) : new Color(210, 0, 0));
            int rad = l.output() ? 4 : 3;
            g.fillOval(x - rad, y - rad, 2 * rad, 2 * rad);
        }

        // the first divergent layer
        LayerResult first = r.firstDivergent().orElse(null);
        if (first != null) {
            int x = xpos.applyAsInt(first.index());
            g.setColor(new Color(210, 0, 0));
            g.setStroke(new BasicStroke(1.2f));
            g.drawLine(x, TOP, x, y0);
            g.setFont(normal);
            String label = "divergence starts: #" + first.index() + " " + first.node();
            int lx = Math.min(x + 6, x0 + plotW - g.getFontMetrics().stringWidth(label) - 4);
            g.drawString(label, Math.max(x0 + 4, lx), TOP + 16);
        }

        // x axis: layer names, as many as fit, rotated
        g.setFont(small);
        g.setColor(Color.DARK_GRAY);
        int every = Math.max(1, (int) Math.ceil(n * 14.0 / plotW));
        AffineTransform base = g.getTransform();
        for (int i = 0; i < layers.size(); i++) {
            boolean mark = first != null && first.index() == i;
            if (i % every != 0 && !mark) continue;
            LayerResult l = layers.get(i);
            String name = l.node().length() <= 24 ? l.node() : "~" + l.node().substring(l.node().length() - 23); // the end tells most
            String label = "#" + i + " " + name;
            g.setColor(mark ? new Color(210, 0, 0) : Color.DARK_GRAY);
            g.translate(xpos.applyAsInt(i) + 3, y0 + 8);
            g.rotate(Math.toRadians(60));
            g.drawString(label, 0, 0);
            g.setTransform(base);
        }

        // titles and legend
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(String.format(Locale.ROOT, "parity: %s on %s against %s", r.model(), r.backend(), r.against()), x0, 24);
        g.setFont(small);
        g.drawString(r.tolerance().describe() + "   inputs: " + r.input(), x0, 42);
        g.setFont(normal);
        String xLabel = "layer, in execution order (" + layers.size() + " values" + (every == 1 ? ")" : "; every " + every
                + "th named)");
        g.drawString(xLabel, x0 + (plotW - g.getFontMetrics().stringWidth(xLabel)) / 2, HEIGHT - 12);
        g.translate(22, TOP + plotH / 2 + g.getFontMetrics().stringWidth(yLabel(r)) / 2);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel(r), 0, 0);
        g.setTransform(base);
        int lx = x0 + plotW - 250, ly = TOP + 30;
        g.setFont(small);
        g.setColor(new Color(30, 70, 170));
        g.fillOval(lx, ly - 7, 7, 7);
        g.setColor(Color.BLACK);
        g.drawString("within tolerance", lx + 12, ly);
        g.setColor(new Color(210, 0, 0));
        g.fillOval(lx + 120, ly - 7, 7, 7);
        g.setColor(Color.BLACK);
        g.drawString("beyond (larger: an output)", lx + 132, ly);
        g.dispose();
        return img;
    }
}
