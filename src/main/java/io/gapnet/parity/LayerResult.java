package io.gapnet.parity;

import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;

/**
 * One compared value: a layer's output on the backend against the same value on the reference, both computed
 * from the same network input.
 *
 * @param index position in execution order (0 = first node)
 * @param node the node's name in the graph as the backends run it
 * @param op its op; {@code FusedConv} for a convolution with its BatchNormalization, residual Add and
 *     activation fused into it
 * @param origins the model's nodes this value stands for (the fused node and those fused into it)
 * @param value the value's name
 * @param shape its shape
 * @param host whether it was computed on the host (shape arithmetic and constants: the same on both sides)
 * @param elements its number of elements
 * @param maxAbs the largest {@code |got - want|} over elements finite on both sides
 * @param maxRel the largest {@code |got - want| / |want|} over elements with {@code |want| >= 1e-3 * rms(want)}
 *     (relative error says nothing about values near zero)
 * @param nmse {@code sum (got - want)^2 / sum want^2} (0 when both are all zeros)
 * @param cosineDistance {@code 1 - cosine(got, want)}
 * @param worst the largest ratio of an element's error to what {@link Tolerance} allows it (above 1: beyond)
 * @param outOfTolerance elements beyond the element-wise tolerance (non-finite on one side included)
 * @param nonFiniteOneSide elements NaN or infinite on one side only
 * @param output whether the value is a graph output
 * @param within whether the value matches under the tolerance's metric
 */
public record LayerResult(int index, String node, String op, List<String> origins, String value, int[] shape, boolean host,
                          long elements, double maxAbs, double maxRel, double nmse, double cosineDistance, double worst,
                          long outOfTolerance, long nonFiniteOneSide, boolean output, boolean within) {

    /** The fraction of elements beyond the element-wise tolerance. */
    public double outOfToleranceFraction() {
        return elements == 0 ? 0 : (double) outOfTolerance / elements;
    }

    /** Compares {@code got} with {@code want} under {@code tol}. */
    static LayerResult of(int index, String node, String op, List<String> origins, String value, boolean host, boolean output,
                          Tensor want, Tensor got, Tolerance tol) {
        if (want.dtype() == DType.INT64 || got.dtype() == DType.INT64) {
            long[] w = want.toLongs(), g = got.toLongs();
            long differ = 0;
            double max = 0;
            for (int i = 0; i < Math.min(w.length, g.length); i++) {
                if (w[i] != g[i]) differ++;
                max = Math.max(max, Math.abs((double) w[i] - g[i]));
            }
            if (w.length != g.length) differ += Math.abs(w.length - g.length);
            return new LayerResult(index, node, op, origins, value, want.shape(), host, w.length, max, differ == 0 ? 0 : Double.NaN,
                    differ == 0 ? 0 : Double.NaN, differ == 0 ? 0 : 1, differ == 0 ? 0 : Double.POSITIVE_INFINITY, differ, 0,
                    output, differ == 0);
        }
        float[] w = want.toFloats(), g = got.toFloats();
        if (w.length != g.length) {
            return new LayerResult(index, node, op, origins, value, want.shape(), host, w.length, Double.NaN, Double.NaN,
                    Double.NaN, Double.NaN, Double.POSITIVE_INFINITY, w.length, 0, output, false);
        }
        double sumWant = 0, sumDiff = 0, sumGot = 0, dot = 0;
        long finite = 0;
        for (int i = 0; i < w.length; i++) {
            if (Float.isFinite(w[i]) && Float.isFinite(g[i])) {
                sumWant += (double) w[i] * w[i];
                finite++;
            }
        }
        double rms = finite == 0 ? 0 : Math.sqrt(sumWant / finite);
        sumWant = 0;
        double maxAbs = 0, maxRel = 0, worst = 0;
        long out = 0, oneSided = 0, nonFiniteMismatch = 0;
        for (int i = 0; i < w.length; i++) {
            float a = w[i], b = g[i];
            boolean fa = Float.isFinite(a), fb = Float.isFinite(b);
            if (!fa || !fb) {
                // the same non-finite value on both sides matches (NaN = NaN here); anything else is beyond tolerance
                boolean same = (Float.isNaN(a) && Float.isNaN(b)) || a == b;
                if (!same) {
                    out++;
                    nonFiniteMismatch++;
                    if (fa != fb) oneSided++;
                    worst = Double.POSITIVE_INFINITY;
                }
                continue;
            }
            double d = Math.abs((double) b - a);
            sumWant += (double) a * a;
            sumGot += (double) b * b;
            sumDiff += d * d;
            dot += (double) a * b;
            maxAbs = Math.max(maxAbs, d);
            if (Math.abs(a) >= 1e-3 * rms && a != 0) maxRel = Math.max(maxRel, d / Math.abs(a));
            double allowed = tol.allowed(a, rms);
            if (d > allowed) out++;
            if (d > 0) worst = Math.max(worst, allowed == 0 ? Double.POSITIVE_INFINITY : d / allowed);
        }
        double nmse = sumWant == 0 ? (sumDiff == 0 ? 0 : Double.POSITIVE_INFINITY) : sumDiff / sumWant;
        double cosine = sumWant == 0 && sumGot == 0 ? 0 : (sumWant == 0 || sumGot == 0 ? 1 : 1 - dot / Math.sqrt(sumWant * sumGot));
        cosine = Math.max(0, cosine);
        boolean within = switch (tol.metric()) {
            case MAX -> out == 0;
            case NMSE -> nonFiniteMismatch == 0 && nmse <= tol.nmseBound();
            case COSINE -> nonFiniteMismatch == 0 && cosine <= tol.cosineBound();
        };
        return new LayerResult(index, node, op, origins, value, want.shape(), host, w.length, maxAbs, maxRel, nmse, cosine, worst,
                out, oneSided, output, within);
    }
}
