package io.gapnet.backend;

/**
 * An element-wise activation, as a stand-alone op or fused into the epilogue of a convolution or GEMM.
 * {@link #apply(float)} is the specification every backend's kernels must match.
 *
 * @param kind which function
 * @param alpha first parameter: Clip's min, LeakyRelu's slope, HardSigmoid's, Elu's and Selu's alpha
 * @param beta second parameter: Clip's max, HardSigmoid's beta, Selu's gamma
 */
public record Activation(Kind kind, float alpha, float beta) {
    /** The element-wise function; NONE is the identity. */
    public enum Kind { NONE, RELU, LEAKY_RELU, CLIP, SIGMOID, HARD_SIGMOID, HARD_SWISH, TANH, ELU, SELU, SOFTPLUS,
        EXP, LOG, SQRT, NEG, ABS, RECIPROCAL }

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
            default: throw new AssertionError(kind);
        }
    }

    @Override
    public String toString() {
        switch (kind) {
            case CLIP: return "Clip(" + alpha + "," + beta + ")";
            case LEAKY_RELU: return "LeakyRelu(" + alpha + ")";
            case HARD_SIGMOID: return "HardSigmoid(" + alpha + "," + beta + ")";
            case ELU: return "Elu(" + alpha + ")";
            case SELU: return "Selu(" + alpha + "," + beta + ")";
            default: return kind.name();
        }
    }
}
