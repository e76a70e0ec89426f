// common.cuh: included by every gapnet CUDA kernel file.
// apply_act mirrors io.gapnet.backend.Activation.apply (the CPU reference), NaN included; `kind` is the ordinal of
// Activation.Kind. Dims8 carries shapes and strides of up to 8 dims, padded with leading 1s (stride 0 marks
// a broadcast dim), the same layout the OpenCL kernels take as int8 vectors.
#pragma once

struct Dims8 {
    int v[8];
};

enum ActKind {
    ACT_NONE = 0, ACT_RELU, ACT_LEAKY_RELU, ACT_CLIP, ACT_SIGMOID, ACT_HARD_SIGMOID, ACT_HARD_SWISH, ACT_TANH,
    ACT_ELU, ACT_SELU, ACT_SOFTPLUS, ACT_EXP, ACT_LOG, ACT_SQRT, ACT_NEG, ACT_ABS, ACT_RECIPROCAL,
    ACT_ERF, ACT_GELU, ACT_GELU_TANH, ACT_MISH, ACT_SOFTSIGN, ACT_THRESHOLDED_RELU, ACT_CELU, ACT_FLOOR, ACT_CEIL, ACT_ROUND,
    ACT_SILU
};

__device__ __forceinline__ float apply_act(float x, int kind, float alpha, float beta) {
    switch (kind) {
        case ACT_NONE: return x;
        case ACT_RELU: return x < 0.0f ? 0.0f : x;  // NaN stays NaN (ONNX's max(0, x))
        case ACT_LEAKY_RELU: return x >= 0.0f ? x : alpha * x;
        case ACT_CLIP: return x < alpha ? alpha : (x > beta ? beta : x);
        case ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
        case ACT_HARD_SIGMOID: return isnan(x) ? x : fmaxf(0.0f, fminf(1.0f, alpha * x + beta));  // fmaxf drops NaN
        case ACT_HARD_SWISH: return x * fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f));
        case ACT_TANH: return tanhf(x);
        case ACT_ELU: return x >= 0.0f ? x : alpha * (expf(x) - 1.0f);
        case ACT_SELU: return x > 0.0f ? beta * x : beta * alpha * (expf(x) - 1.0f);
        case ACT_SOFTPLUS: return log1pf(expf(x));
        case ACT_EXP: return expf(x);
        case ACT_LOG: return logf(x);
        case ACT_SQRT: return sqrtf(x);
        case ACT_NEG: return -x;
        case ACT_ABS: return fabsf(x);
        case ACT_RECIPROCAL: return 1.0f / x;
        case ACT_ERF: return erff(x);
        case ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
        case ACT_GELU_TANH:  // x/2 (1 + tanh u) = x / (1 + exp(-2u)), without the cancellation of 1 + tanh u for u < 0
            return x / (1.0f + expf(-1.5957691216057307f * (x + 0.044715f * x * x * x)));
        case ACT_MISH: return x * tanhf(log1pf(expf(x)));
        case ACT_SOFTSIGN: return x / (1.0f + fabsf(x));
        case ACT_THRESHOLDED_RELU: return x > alpha ? x : 0.0f;
        case ACT_CELU: return x >= 0.0f ? x : alpha * (expf(x / alpha) - 1.0f);
        case ACT_FLOOR: return floorf(x);
        case ACT_CEIL: return ceilf(x);
        case ACT_ROUND: return rintf(x);  // half to even, as ONNX's Round
        case ACT_SILU: return x / (1.0f + expf(-x));
        default: return x;
    }
}

// Splits a flat row-major index over an 8-dim shape into per-dim indices.
__device__ __forceinline__ void unflatten8(long long flat, const Dims8& shape, int* idx) {
    for (int d = 7; d >= 0; d--) {
        idx[d] = (int)(flat % shape.v[d]);
        flat /= shape.v[d];
    }
}

// A 1-D grid-stride loop over n elements.
#define GRID_LOOP(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
                             i += (long long)blockDim.x * gridDim.x)
