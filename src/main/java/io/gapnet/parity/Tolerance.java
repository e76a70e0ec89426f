package io.gapnet.parity;

import io.gapnet.GapnetException;
import java.util.Locale;

/**
 * When a layer's values on a backend count as matching the reference's.
 *
 * <ul>
 *   <li>{@link Metric#MAX}: every element within {@code |got - want| <= atol * max(1, rms) + rtol * |want|}, where
 *       {@code rms} is the root mean square of the reference layer's values: the absolute part scales with the
 *       layer's magnitude, so a layer of large activations is not flagged for float32 rounding near its zeros;
 *   <li>{@link Metric#NMSE}: the normalised mean squared error {@code sum (got - want)^2 / sum want^2} (as ggml's
 *       test-backend-ops defines it) at most {@code rtol^2};
 *   <li>{@link Metric#COSINE}: {@code 1 - cosine(got, want)} at most {@code rtol^2 / 2} (for small errors the same
 *       measure as the NMSE bound).
 * </ul>
 * Under every metric a value that is NaN or infinite on one side only is beyond tolerance.
 *
 * @param atol absolute tolerance (scaled by the layer's magnitude)
 * @param rtol relative tolerance
 * @param metric which measure decides
 */
public record Tolerance(double atol, double rtol, Metric metric) {
    /** The project's tolerance: {@code atol 1e-4}, {@code rtol 1e-3}, element by element. */
    public static final Tolerance DEFAULT = new Tolerance(1e-4, 1e-3, Metric.MAX);

    /** The measure that decides whether a layer matches. */
    public enum Metric {
        MAX, NMSE, COSINE;

        /** A metric by its command-line name (max, nmse, cosine). */
        public static Metric parse(String s) {
            for (Metric m : values()) if (m.name().equalsIgnoreCase(s)) return m;
            throw new GapnetException("--metric must be max, nmse or cosine, not '" + s + "'");
        }
    }

    public Tolerance {
        if (!(atol >= 0) || !(rtol >= 0)) throw new GapnetException("tolerances must be 0 or more (atol " + atol + ", rtol " + rtol + ")");
        if (metric == null) metric = Metric.MAX;
    }

    public static Tolerance of(double atol, double rtol) {
        return new Tolerance(atol, rtol, Metric.MAX);
    }

    /** The largest error element i of a layer of root-mean-square {@code rms} may have under {@link Metric#MAX}. */
    double allowed(double want, double rms) {
        return atol * Math.max(1, rms) + rtol * Math.abs(want);
    }

    double nmseBound() {
        return rtol * rtol;
    }

    double cosineBound() {
        return rtol * rtol / 2;
    }

    private static String plain(double v) {
        return v == 0 ? "0" : new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", v)).stripTrailingZeros().toString();
    }

    /** The rule in words, for report headers. */
    public String describe() {
        return switch (metric) {
            case MAX -> "|got - want| <= " + plain(atol) + " * max(1, rms(want)) + " + plain(rtol) + " * |want| for every element";
            case NMSE -> "NMSE = sum (got - want)^2 / sum want^2 <= " + plain(nmseBound());
            case COSINE -> "1 - cosine(got, want) <= " + plain(cosineBound());
        };
    }
}
