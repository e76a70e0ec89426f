// elementwise.cl: activations, broadcasting binary ops, inference batch norm, LRN and softmax, float32.
// Must match ElementwiseRef (activation, binary, batchNorm, lrn, softmax). One work-item per output
// element (softmax: per row). Shapes and strides of up to 8 dims come as int8 vectors, padded with
// leading 1s (stride 0 marks a broadcast dim).

// BinaryOp ordinals
#define OP_ADD 0
#define OP_SUB 1
#define OP_MUL 2
#define OP_DIV 3
#define OP_MAX 4
#define OP_MIN 5
#define OP_POW 6
#define OP_PRELU 7
#define OP_EQUAL 8
#define OP_LESS 9
#define OP_GREATER 10
#define OP_LESS_OR_EQUAL 11
#define OP_GREATER_OR_EQUAL 12
#define OP_AND 13
#define OP_OR 14
#define OP_XOR 15
#define OP_MASK 16

__kernel void activation_f32(__global const float* x, __global float* y, int count, int act, float alpha, float beta) {
    int i = get_global_id(0);
    if (i < count) y[i] = apply_act(x[i], act, alpha, beta);
}

inline float binary_op(int op, float a, float b) {
    switch (op) {
        case OP_ADD: return a + b;
        case OP_SUB: return a - b;
        case OP_MUL: return a * b;
        case OP_DIV: return a / b;
        case OP_MAX: return (isnan(a) || isnan(b)) ? NAN : fmax(a, b);
        case OP_MIN: return (isnan(a) || isnan(b)) ? NAN : fmin(a, b);
        case OP_POW: return pow(a, b);
        case OP_PRELU: return a < 0.0f ? a * b : a;
        case OP_EQUAL: return a == b ? 1.0f : 0.0f;
        case OP_LESS: return a < b ? 1.0f : 0.0f;
        case OP_GREATER: return a > b ? 1.0f : 0.0f;
        case OP_LESS_OR_EQUAL: return a <= b ? 1.0f : 0.0f;
        case OP_GREATER_OR_EQUAL: return a >= b ? 1.0f : 0.0f;
        case OP_AND: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
        case OP_OR: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
        case OP_XOR: return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f;
        case OP_MASK: return b != 0.0f ? a : 0.0f;
        default: return 0.0f;
    }
}

__kernel void binary_f32(__global const float* a, __global const float* b, __global float* y, int count, int op,
                         int8 shape8, int8 aStride8, int8 bStride8) {
    int o = get_global_id(0);
    if (o >= count) return;
    int shape[8], as[8], bs[8], idx[8];
    vstore8(shape8, 0, shape);
    vstore8(aStride8, 0, as);
    vstore8(bStride8, 0, bs);
    unflatten8(o, shape, idx);
    long ia = 0, ib = 0;
    for (int d = 0; d < 8; d++) {
        ia += (long)idx[d] * as[d];
        ib += (long)idx[d] * bs[d];
    }
    y[o] = binary_op(op, a[ia], b[ib]);
}

__kernel void batchnorm_f32(__global const float* x, __global const float* scale, __global const float* bias,
                            __global const float* mean, __global const float* var, __global float* y,
                            int C, int spatial, long count, float eps) {
    long i = get_global_id(0);
    if (i >= count) return;
    int c = (i / spatial) % C;
    y[i] = (x[i] - mean[c]) * rsqrt(var[c] + eps) * scale[c] + bias[c];
}

// One work-item per row: the mean, then the variance about it (two passes, as LayerNormalization's reference),
// then the normalised row with the optional per-column scale and bias. Launch: global (rows).
__kernel void layernorm_f32(__global const float* x, __global const float* scale, __global const float* bias,
                            __global float* y, int rows, int len, float eps, int hasScale, int hasBias) {
    int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* xr = x + (long)r * len;
    __global float* yr = y + (long)r * len;
    float sum = 0.0f;
    for (int i = 0; i < len; i++) sum += xr[i];
    float mean = sum / len, sq = 0.0f;
    for (int i = 0; i < len; i++) {
        float d = xr[i] - mean;
        sq = fma(d, d, sq);
    }
    float inv = 1.0f / sqrt(sq / len + eps);
    for (int i = 0; i < len; i++) {
        float v = (xr[i] - mean) * inv;
        if (hasScale) v *= scale[i];
        if (hasBias) v += bias[i];
        yr[i] = v;
    }
}

__kernel void lrn_f32(__global const float* x, __global float* y, int C, int spatial, long count, int size,
                      float alpha, float beta, float bias) {
    long i = get_global_id(0);
    if (i >= count) return;
    int s = i % spatial;
    long t = i / spatial;
    int c = t % C;
    long n = t / C;
    int lo = max(0, c - (size - 1) / 2), hi = min(C - 1, c + size / 2);
    float sq = 0.0f;
    for (int k = lo; k <= hi; k++) {
        float v = x[(n * C + k) * spatial + s];
        sq = fma(v, v, sq);
    }
    y[i] = x[i] / pow(bias + alpha / size * sq, beta);
}

__kernel void softmax_f32(__global const float* x, __global float* y, int outer, int axisLen, int inner) {
    int r = get_global_id(0);
    if (r >= outer * inner) return;
    int o = r / inner, in = r % inner;
    long base = (long)o * axisLen * inner + in;
    float m = -INFINITY;
    for (int k = 0; k < axisLen; k++) m = fmax(m, x[base + (long)k * inner]);
    float sum = 0.0f;
    for (int k = 0; k < axisLen; k++) sum += exp(x[base + (long)k * inner] - m);
    for (int k = 0; k < axisLen; k++) y[base + (long)k * inner] = exp(x[base + (long)k * inner] - m) / sum;
}
