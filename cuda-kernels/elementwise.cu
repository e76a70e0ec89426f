// elementwise.cu: activations, broadcasting binary ops, inference batch norm, LRN and softmax, float32.
// Must match ElementwiseRef. One thread per output element (softmax: per row), grid-stride loops.
#include "common.cuh"

// BinaryOp ordinals
enum BinOp { OP_ADD = 0, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_POW, OP_PRELU, OP_EQUAL, OP_LESS, OP_GREATER,
             OP_LESS_OR_EQUAL, OP_GREATER_OR_EQUAL, OP_AND, OP_OR, OP_XOR, OP_MASK };

extern "C" __global__ void activation_f32(const float* __restrict__ x, float* __restrict__ y, int count, int act,
                                          float alpha, float beta) {
    GRID_LOOP(i, count) y[i] = apply_act(x[i], act, alpha, beta);
}

__device__ __forceinline__ float binary_op(int op, float a, float b) {
    switch (op) {
        case OP_ADD: return a + b;
        case OP_SUB: return a - b;
        case OP_MUL: return a * b;
        case OP_DIV: return a / b;
        case OP_MAX: return (isnan(a) || isnan(b)) ? NAN : fmaxf(a, b);
        case OP_MIN: return (isnan(a) || isnan(b)) ? NAN : fminf(a, b);
        case OP_POW: return powf(a, b);
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

extern "C" __global__ void binary_f32(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y,
                                      int count, int op, Dims8 shape, Dims8 aStride, Dims8 bStride) {
    GRID_LOOP(o, count) {
        int idx[8];
        unflatten8(o, shape, idx);
        long long ia = 0, ib = 0;
#pragma unroll
        for (int d = 0; d < 8; d++) {
            ia += (long long)idx[d] * aStride.v[d];
            ib += (long long)idx[d] * bStride.v[d];
        }
        y[o] = binary_op(op, a[ia], b[ib]);
    }
}

extern "C" __global__ void batchnorm_f32(const float* __restrict__ x, const float* __restrict__ scale,
                                         const float* __restrict__ bias, const float* __restrict__ mean,
                                         const float* __restrict__ var, float* __restrict__ y,
                                         int C, int spatial, long long count, float eps) {
    GRID_LOOP(i, count) {
        int c = (i / spatial) % C;
        y[i] = (x[i] - mean[c]) * rsqrtf(var[c] + eps) * scale[c] + bias[c];
    }
}

// One thread per row: the mean, then the variance about it (two passes), then the normalised row with the
// optional per-column scale and bias. Launch: 1-D over rows, any grid.
extern "C" __global__ void layernorm_f32(const float* __restrict__ x, const float* __restrict__ scale,
                                         const float* __restrict__ bias, float* __restrict__ y, int rows, int len,
                                         float eps, int hasScale, int hasBias) {
    GRID_LOOP(r, rows) {
        const float* xr = x + r * len;
        float* yr = y + r * len;
        float sum = 0.0f;
        for (int i = 0; i < len; i++) sum += xr[i];
        float mean = sum / len, sq = 0.0f;
        for (int i = 0; i < len; i++) {
            float d = xr[i] - mean;
            sq = fmaf(d, d, sq);
        }
        float inv = 1.0f / sqrtf(sq / len + eps);
        for (int i = 0; i < len; i++) {
            float v = (xr[i] - mean) * inv;
            if (hasScale) v *= scale[i];
            if (hasBias) v += bias[i];
            yr[i] = v;
        }
    }
}

extern "C" __global__ void lrn_f32(const float* __restrict__ x, float* __restrict__ y, int C, int spatial, long long count,
                                   int size, float alpha, float beta, float bias) {
    GRID_LOOP(i, count) {
        int s = i % spatial;
        long long t = i / spatial;
        int c = t % C;
        long long n = t / C;
        int lo = max(0, c - (size - 1) / 2), hi = min(C - 1, c + size / 2);
        float sq = 0.0f;
        for (int k = lo; k <= hi; k++) {
            float v = x[(n * C + k) * spatial + s];
            sq = fmaf(v, v, sq);
        }
        y[i] = x[i] / powf(bias + alpha / size * sq, beta);
    }
}

extern "C" __global__ void softmax_f32(const float* __restrict__ x, float* __restrict__ y, int outer, int axisLen, int inner) {
    GRID_LOOP(r, (long long)outer * inner) {
        int o = r / inner, in = r % inner;
        long long base = (long long)o * axisLen * inner + in;
        float m = -INFINITY;
        for (int k = 0; k < axisLen; k++) m = fmaxf(m, x[base + (long long)k * inner]);
        float sum = 0.0f;
        for (int k = 0; k < axisLen; k++) sum += expf(x[base + (long long)k * inner] - m);
        for (int k = 0; k < axisLen; k++) y[base + (long long)k * inner] = expf(x[base + (long long)k * inner] - m) / sum;
    }
}
