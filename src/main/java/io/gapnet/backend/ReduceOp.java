package io.gapnet.backend;

/**
 * The ONNX reductions over a set of axes. The reference accumulates in double: {@link #init}, then
 * {@link #accumulate} per element (whose order does not matter), then {@link #finish} with the element count.
 * LOG_SUM_EXP is kept apart: {@code max + log(sum exp(x - max))}, so that large inputs do not overflow. An empty
 * extent gives the identity of the reduction (0 for the sums, 1 for the product, -inf for the max and the logs,
 * +inf for the min); the mean of nothing is refused before any kernel runs.
 */
public enum ReduceOp {
    SUM("ReduceSum"), MEAN("ReduceMean"), MAX("ReduceMax"), MIN("ReduceMin"), PROD("ReduceProd"), L1("ReduceL1"),
    L2("ReduceL2"), SUM_SQUARE("ReduceSumSquare"), LOG_SUM("ReduceLogSum"), LOG_SUM_EXP("ReduceLogSumExp"),
    /** The index (as a float) of the first largest value; NaN counts as the largest, as numpy's argmax. */
    ARG_MAX("ArgMax"),
    /** The index of the first smallest value; NaN counts as the smallest. */
    ARG_MIN("ArgMin"),
    /** ArgMax with select_last_index: the last of equal largest values. */
    ARG_MAX_LAST("ArgMax"),
    /** ArgMin with select_last_index. */
    ARG_MIN_LAST("ArgMin");

    private final String onnxName;

    ReduceOp(String onnxName) {
        this.onnxName = onnxName;
    }

    /** The ONNX op type. */
    public String onnxName() {
        return onnxName;
    }

    public double init() {
        switch (this) {
            case MAX: return Double.NEGATIVE_INFINITY;
            case MIN: return Double.POSITIVE_INFINITY;
            case PROD: return 1;
            default: return 0;
        }
    }

    public double accumulate(double acc, float v) {
        switch (this) {
            case SUM: case MEAN: case LOG_SUM: return acc + v;
            case MAX: return v > acc || Float.isNaN(v) ? v : acc; // NaN wins, as numpy's max
            case MIN: return v < acc || Float.isNaN(v) ? v : acc;
            case PROD: return acc * v;
            case L1: return acc + Math.abs(v);
            case L2: case SUM_SQUARE: return acc + (double) v * v;
            default: throw new IllegalStateException(this + " is not a plain accumulation");
        }
    }

    public float finish(double acc, long count) {
        switch (this) {
            case MEAN: return (float) (acc / count);
            case L2: return (float) Math.sqrt(acc);
            case LOG_SUM: return (float) Math.log(acc);
            default: return (float) acc;
        }
    }

    /** ArgMax and ArgMin, which give an index and need at least one element. */
    public boolean isArg() {
        return ordinal() >= ARG_MAX.ordinal();
    }

    /** The reduction of {@code values}: the specification each backend's kernel matches. */
    public float reduce(float[] values, int count) {
        if (isArg()) {
            boolean max = this == ARG_MAX || this == ARG_MAX_LAST, last = this == ARG_MAX_LAST || this == ARG_MIN_LAST;
            int best = 0;
            for (int i = 1; i < count; i++) {
                float v = values[i], b = values[best];
                boolean better = max ? v > b : v < b;
                boolean tie = v == b;
                if (Float.isNaN(b)) continue; // a NaN is never displaced
                if (better || Float.isNaN(v) || (last && tie)) best = i;
            }
            return best;
        }
        if (this == LOG_SUM_EXP) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < count; i++) m = MAX.accumulate(m, values[i]);
            if (Double.isNaN(m) || Double.isInfinite(m)) return (float) m; // nothing, all -inf, any +inf or any NaN
            double s = 0;
            for (int i = 0; i < count; i++) s += Math.exp(values[i] - m);
            return (float) (m + Math.log(s));
        }
        double acc = init();
        for (int i = 0; i < count; i++) acc = accumulate(acc, values[i]);
        return finish(acc, count);
    }
}
