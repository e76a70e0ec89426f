package io.gapnet.parity;

import io.gapnet.tensor.Shapes;
import io.gapnet.util.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The per-layer comparison of two backends on one input: every value in execution order, where divergence
 * starts, and, for that layer, what it does alone on the reference's inputs (whether the layer itself computes
 * differently or amplifies error it inherits).
 *
 * @param model the model's name
 * @param backend the backend under test
 * @param against the reference backend
 * @param input the input, in words (its shape and where it came from)
 * @param tolerance the rule each value is held to
 * @param layers every compared value, in execution order
 * @param isolated the first divergent layer run alone on both backends from the reference's inputs, or null
 */
public record ParityReport(String model, String backend, String against, String input, Tolerance tolerance,
                           List<LayerResult> layers, LayerResult isolated) {

    /** The first value beyond tolerance in execution order: where divergence starts. */
    public Optional<LayerResult> firstDivergent() {
        return layers.stream().filter(l -> !l.within()).findFirst();
    }

    /** Whether every graph output is within tolerance (the verdict a CI job wants). */
    public boolean outputsWithin() {
        return layers.stream().filter(LayerResult::output).allMatch(LayerResult::within);
    }

    /** Whether every compared value is within tolerance. */
    public boolean allWithin() {
        return layers.stream().allMatch(LayerResult::within);
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "-";
        if (Double.isInfinite(v)) return "inf";
        if (v == 0) return "0";
        return String.format(Locale.ROOT, "%.2e", v);
    }

    static String cut(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }

    private static String shape(int[] s) {
        StringBuilder sb = new StringBuilder();
        for (int d : s) sb.append(sb.length() > 0 ? "x" : "").append(d);
        return sb.length() == 0 ? "scalar" : sb.toString();
    }

    /** The stand-for column: the model's nodes a fused value computes, when more than the node itself. */
    private static String standsFor(LayerResult l) {
        return l.origins().size() > 1 ? String.join(" + ", l.origins()) : "";
    }

    /** The report as a table: a header, one line per value, and the verdict. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "parity of %s on %s against %s; inputs: %s%n", model, backend, against, input));
        sb.append("tolerance: ").append(tolerance.describe()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-4s %-28s %-14s %-16s %9s %9s %9s %8s %6s %-7s %s%n", "#", "node", "op", "shape",
                "max abs", "max rel", "nmse", "beyond", "nonfin", "match", "stands for"));
        for (LayerResult l : layers) {
            sb.append(String.format(Locale.ROOT, "%-4d %-28s %-14s %-16s %9s %9s %9s %7.3f%% %6d %-7s %s%n", l.index(),
                    cut(l.node(), 28), cut(l.host() ? l.op() + "(host)" : l.op(), 14), cut(shape(l.shape()), 16), fmt(l.maxAbs()),
                    fmt(l.maxRel()), fmt(l.nmse()), 100 * l.outOfToleranceFraction(), l.nonFiniteOneSide(),
                    l.within() ? "ok" : "BEYOND", (l.output() ? "[output] " : "") + standsFor(l)));
        }
        sb.append(verdict()).append('\n');
        return sb.toString();
    }

    /** The verdict: where divergence starts, whether the layer alone diverges, and whether the outputs match. */
    public String verdict() {
        Optional<LayerResult> first = firstDivergent();
        if (first.isEmpty()) {
            return "verdict: all " + layers.size() + " values within tolerance; the outputs match";
        }
        LayerResult l = first.get();
        StringBuilder sb = new StringBuilder("verdict: divergence starts at #").append(l.index()).append(" '").append(l.node())
                .append("' (").append(l.op());
        if (l.origins().size() > 1) sb.append(", standing for ").append(String.join(", ", l.origins()));
        sb.append("): ").append(describe(l));
        if (isolated != null) {
            sb.append("; alone, on the reference's inputs: ").append(describe(isolated)).append(isolated.within()
                    ? ", within tolerance: the layer amplifies error it inherits from its inputs"
                    : ": the layer itself computes differently");
        }
        sb.append(outputsWithin() ? "; the outputs are within tolerance" : "; the outputs are beyond tolerance");
        return sb.toString();
    }

    private String describe(LayerResult l) {
        String s = String.format(Locale.ROOT, "max abs %s, max rel %s, nmse %s, %d of %d elements (%.3f%%) beyond", fmt(l.maxAbs()),
                fmt(l.maxRel()), fmt(l.nmse()), l.outOfTolerance(), l.elements(), 100 * l.outOfToleranceFraction());
        return l.nonFiniteOneSide() > 0 ? s + ", " + l.nonFiniteOneSide() + " non-finite on one side only" : s;
    }

    /** The whole report as one JSON object. */
    public String json() {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"model\":").append(Json.quote(model)).append(",\"backend\":").append(Json.quote(backend))
                .append(",\"against\":").append(Json.quote(against)).append(",\"input\":").append(Json.quote(input))
                .append(",\"tolerance\":{\"atol\":").append(num(tolerance.atol())).append(",\"rtol\":").append(num(tolerance.rtol()))
                .append(",\"metric\":").append(Json.quote(tolerance.metric().name().toLowerCase(Locale.ROOT))).append(",\"rule\":")
                .append(Json.quote(tolerance.describe())).append("},\"layers\":[");
        List<String> rows = new ArrayList<>();
        for (LayerResult l : layers) rows.add(json(l));
        sb.append(String.join(",", rows)).append("],\"first_divergent\":");
        sb.append(firstDivergent().map(l -> Integer.toString(l.index())).orElse("null"));
        sb.append(",\"isolated\":").append(isolated == null ? "null" : json(isolated));
        sb.append(",\"outputs_within_tolerance\":").append(outputsWithin()).append(",\"verdict\":").append(Json.quote(verdict()));
        return sb.append('}').toString();
    }

    private static String json(LayerResult l) {
        List<String> origins = new ArrayList<>();
        for (String o : l.origins()) origins.add(Json.quote(o));
        return "{\"index\":" + l.index() + ",\"node\":" + Json.quote(l.node()) + ",\"op\":" + Json.quote(l.op()) + ",\"origins\":["
                + String.join(",", origins) + "],\"value\":" + Json.quote(l.value()) + ",\"shape\":" + Shapes.str(l.shape()).replace(" ", "")
                + ",\"host\":" + l.host() + ",\"output\":" + l.output() + ",\"elements\":" + l.elements() + ",\"max_abs\":" + num(l.maxAbs())
                + ",\"max_rel\":" + num(l.maxRel()) + ",\"nmse\":" + num(l.nmse()) + ",\"cosine_distance\":" + num(l.cosineDistance())
                + ",\"worst_ratio\":" + num(l.worst()) + ",\"beyond\":" + l.outOfTolerance() + ",\"non_finite_one_side\":"
                + l.nonFiniteOneSide() + ",\"within\":" + l.within() + "}";
    }

    /** A JSON number, or null for NaN, or a string for infinity (JSON has neither). */
    private static String num(double v) {
        if (Double.isNaN(v)) return "null";
        if (Double.isInfinite(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
