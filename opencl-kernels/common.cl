// common.cl: prepended to every gapnet OpenCL program.
// The activations of io.gapnet.backend.Activation; `kind` is the ordinal of Activation.Kind and each case
// must match Activation.apply (the CPU reference), which the conformance suite checks for every kind.

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_CLIP 3
#define ACT_SIGMOID 4
#define ACT_HARD_SIGMOID 5
#define ACT_HARD_SWISH 6
#define ACT_TANH 7
#define ACT_ELU 8
#define ACT_SELU 9
#define ACT_SOFTPLUS 10
#define ACT_EXP 11
#define ACT_LOG 12
#define ACT_SQRT 13
#define ACT_NEG 14
#define ACT_ABS 15
#define ACT_RECIPROCAL 16
#define ACT_ERF 17
#define ACT_GELU 18
#define ACT_GELU_TANH 19
#define ACT_MISH 20
#define ACT_SOFTSIGN 21
#define ACT_THRESHOLDED_RELU 22
#define ACT_CELU 23
#define ACT_FLOOR 24
#define ACT_CEIL 25
#define ACT_ROUND 26
#define ACT_SILU 27

inline float apply_act(float x, int kind, float alpha, float beta) {
    switch (kind) {
        case ACT_NONE: return x;
        case ACT_RELU: return x < 0.0f ? 0.0f : x; /* NaN stays NaN (ONNX's max(0, x)) */
        case ACT_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
        case ACT_CLIP: return x < alpha ? alpha : (x > beta ? beta : x);
        case ACT_SIGMOID: return 1.0f / (1.0f + exp(-x));
        case ACT_HARD_SIGMOID: return isnan(x) ? x : fmax(0.0f, fmin(1.0f, alpha * x + beta)); /* fmax drops NaN */
        case ACT_HARD_SWISH: return x * fmax(0.0f, fmin(1.0f, x / 6.0f + 0.5f));
        case ACT_TANH: return tanh(x);
        case ACT_ELU: return x >= 0.0f ? x : alpha * (exp(x) - 1.0f);
        case ACT_SELU: return x > 0.0f ? beta * x : beta * alpha * (exp(x) - 1.0f);
        case ACT_SOFTPLUS: return log1p(exp(x));
        case ACT_EXP: return exp(x);
        case ACT_LOG: return log(x);
        case ACT_SQRT: return sqrt(x);
        case ACT_NEG: return -x;
        case ACT_ABS: return fabs(x);
        case ACT_RECIPROCAL: return 1.0f / x;
        case ACT_ERF: return erf(x);
        case ACT_GELU: return 0.5f * x * (1.0f + erf(x * 0.70710678118654752f));
        case ACT_GELU_TANH: /* x/2 (1 + tanh u) = x / (1 + exp(-2u)), without the cancellation of 1 + tanh u for u < 0 */
            return x / (1.0f + exp(-1.5957691216057307f * (x + 0.044715f * x * x * x)));
        case ACT_MISH: return x * tanh(log1p(exp(x)));
        case ACT_SOFTSIGN: return x / (1.0f + fabs(x));
        case ACT_THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
        case ACT_CELU: return x >= 0.0f ? x : alpha * (exp(x / alpha) - 1.0f);
        case ACT_FLOOR: return floor(x);
        case ACT_CEIL: return ceil(x);
        case ACT_ROUND: return rint(x); /* half to even, as ONNX's Round */
        case ACT_SILU: return x / (1.0f + exp(-x));
        default: return x;
    }
}

// Splits a flat row-major index over an 8-dim shape (leading dims padded with 1) into per-dim indices.
inline void unflatten8(int flat, const int* shape, int* idx) {
    for (int d = 7; d >= 0; d--) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
}
