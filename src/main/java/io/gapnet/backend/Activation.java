package io.gapnet.backend;

/**
 * An element-wise activation, as a stand-alone op or fused into the epilogue of a convolution or GEMM.
 * {@link #apply(float)} is the specification every backend's kernels must match.
 *
 * @param kind which function
 * @param alpha first parameter: Clip's min, LeakyRelu's slope, HardSigmoid's, Elu's and Selu's alpha
 * @param beta second parameter: Clip's max, HardSigmoid's beta, Selu's gamma
 *
 * <p>GELU is {@code x/2 * (1 + erf(x / sqrt 2))}, GELU_TANH the tanh approximation
 * {@code x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))}; ThresholdedRelu's alpha and Celu's alpha are
 * {@code alpha}; ROUND rounds half to even, as ONNX's Round does; SILU (swish) is {@code x * sigmoid(x)}, which
 * exporters write as Sigmoid and Mul and the optimiser fuses.
 */
public record Activation(Kind kind, float alpha, float beta) {
    /** The element-wise function; NONE is the identity. */
    public enum Kind { NONE, RELU, LEAKY_RELU, CLIP, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH, ELU, SELU, SOFTPLUS,
        EXP, LOG, SQRT, NEG, ABS, RECIPROCAL, ERF, GELU, GELU_TANH, MISH, SOFTSIGN, THRESHOLDED_RELU, CELU, FLOOR,
        CEIL, ROUND, SILU }

    public static final Activation NONE = new Activation(Kind.NONE, 0, 0);
    public static final Activation RELU = new Activation(Kind.RELU, 0, 0);

    public static Activation clip(float min, float max) {
        return new Activation(Kind.CLIP, min, max);
    }

    public static Activation leakyRelu(float slope) {
        return new Activation(Kind.LEAKY_RELU, slope, 0);
    }

    public static Activation hardSigmoid(float alpha, float beta) {
        return new Activation(Kind.HARD_SIGMOID, alpha, beta);
    }

    public static Activation of(Kind kind) {
        return new Activation(kind, 0, 0);
    }

    public float apply(float x) {
        switch (kind) {
            case NONE: return x;
            case RELU: return x < 0 ? 0f : x; // max(0, x) as ONNX (numpy) computes it: NaN stays NaN
            case LEAKY_RELU: return x >= 0 ? x : alpha * x;
            case CLIP: return x < alpha ? alpha : (x > beta ? beta : x);
            case SIGMOID: return (float) (1.0 / (1.0 + Math.exp(-x)));
            case HARD_SIGMOID: return Math.max(0f, Math.min(1f, alpha * x + beta));
            case HARD_SWISH: return x * Math.max(0f, Math.min(1f, x / 6f + 0.5f));
            case TANH: return (float) Math.tanh(x);
            case ELU: return x >= 0 ? x : (float) (alpha * (Math.exp(x) - 1));
            case SELU: return (float) (x > 0 ? beta * x : beta * alpha * (Math.exp(x) - 1));
            case SOFTPLUS: return (float) Math.log1p(Math.exp(x));
            case EXP: return (float) Math.exp(x);
            case LOG: return (float) Math.log(x);
            case SQRT: return (float) Math.sqrt(x);
            case NEG: return -x;
            case ABS: return Math.abs(x);
            case RECIPROCAL: return 1f / x;
            case ERF: return (float) erf(x);
            case GELU: return (float) (0.5 * x * (1 + erf(x / Math.sqrt(2))));
            case GELU_TANH: return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
            case MISH: return (float) (x * Math.tanh(Math.log1p(Math.exp(x))));
            case SOFTSIGN: return x / (1 + Math.abs(x));
            case THRESHOLDED_RELU: return x > alpha ? x : 0f; // as ONNX: NaN is not above alpha
            case CELU: return x >= 0 ? x : (float) (alpha * (Math.exp((double) x / alpha) - 1)); // max(0,x) + min(0, ...)
            case FLOOR: return (float) Math.floor(x);
            case CEIL: return (float) Math.ceil(x);
            case ROUND: return (float) Math.rint(x);
            case SILU: return (float) (x / (1.0 + Math.exp(-x)));
            default: throw new AssertionError(kind);
        }
    }

    /**
     * The fast CPU path's evaluation: {@link #apply}'s function, with the error function from a short series and a
     * fitted erfc instead of the reference's long expansions (within 2e-7 of it, about one float ulp), the tanh
     * GELU as {@code x * sigmoid(2u)}, which is the same function, and ReLU as {@code Math.max}, which has no branch;
     * every other kind is {@link #apply}.
     */
    public float applyFast(float x) {
        switch (kind) {
            case RELU: return Math.max(x, 0f); // no jump to mispredict on random signs; NaN stays NaN, -0 becomes +0
            case ERF: return (float) erfFast(x);
            case GELU: return (float) (0.5 * x * (1 + erfFast(x * 0.7071067811865476)));
            case GELU_TANH: return (float) (x / (1 + Math.exp(-2 * 0.7978845608028654 * (x + 0.044715 * x * x * x))));
            default: return apply(x);
        }
    }

    /**
     * erf to about 1e-7: below 0.5 in magnitude its Maclaurin series to x^13 (the next term is under 1e-9); beyond,
     * {@code 1 - erfc} with erfc from the Chebyshev fit t exp(-x^2 + P(t)), {@code t = 1 / (1 + x/2)}, published by
     * Press et al. (Numerical Recipes, erfcc; fractional error below 1.2e-7).
     */
    static double erfFast(double x) {
        double a = Math.abs(x);
        if (a < 0.5) {
            double z = x * x;
            return x * (1.1283791670955126 + z * (-0.37612638903183754 + z * (0.11283791670955126 + z * (-0.026866170645131252
                    + z * (0.005223977625442188 + z * (-0.0008548327023450852 + z * 0.00012055332981789664))))));
        }
        double t = 1 / (1 + 0.5 * a);
        double erfc = t * Math.exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
                + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return Math.copySign(1 - erfc, x);
    }

    /**
     * The error function in double precision: its Maclaurin series below 2.5 in magnitude, where the terms
     * cancel by at most two digits, and 1 - erfc beyond, with erfc from its continued fraction
     * {@code exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))}.
     */
    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a < 2.5) {
            double term = x, sum = x, x2 = x * x; // term is (-1)^n x^(2n+1) / n!
            for (int n = 1; n < 200 && Math.abs(term) > 1e-18 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        if (a > 27) return Math.signum(x); // erfc(27) < 1e-300
        double t = a;
        for (int k = 80; k >= 1; k--) t = a + (k / 2.0) / t;
        double erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
        return Math.signum(x) * (1 - erfc);
    }

    @Override
    public String toString() {
        switch (kind) {
            case CLIP: return "Clip(" + alpha + "," + beta + ")";
            case LEAKY_RELU: return "LeakyRelu(" + alpha + ")";
            case HARD_SIGMOID: return "HardSigmoid(" + alpha + "," + beta + ")";
            case ELU: return "Elu(" + alpha + ")";
            case SELU: return "Selu(" + alpha + "," + beta + ")";
            case THRESHOLDED_RELU: return "ThresholdedRelu(" + alpha + ")";
            case CELU: return "Celu(" + alpha + ")";
            default: return kind.name();
        }
    }
}
