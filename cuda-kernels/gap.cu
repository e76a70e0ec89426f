// gap.cu: global pooling and the ONNX reductions, float32. Must match PoolRef.gap, PoolRef.gmp, PoolRef.reduce.
//
// gap_nchw_f32 / gmp_nchw_f32: one warp per (n, c) plane, 8 warps per 256-thread block; each lane reduces a
// strided part of the plane (coalesced reads) into four partial results, so that four loads are in flight per
// lane and not one (a sum that waits for each load before the next leaves the memory system idle), then a
// warp-shuffle reduction. spatial > 0 (checked on the host).
// Launch: grid (ceil(planes / 8)), block (256).
//
// gem_nchw_f32: the same shape as gap_nchw_f32, summing max(x, eps)^p (a NaN is kept: x < eps is false) and
// returning the mean to the power q (GeM pooling, q = 1/p); eps = -INFINITY is no clamp.
//
// reduce_f32: one thread per output element reducing its positions with `op`, the ordinal of ReduceOp
// (ReduceOp.reduce is the specification; log-sum-exp subtracts the max first); shapes padded to 8 dims,
// reduce.v[d] = 1 for reduced dims. Launch: 1-D, any grid.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
gap_nchw_f32(const float* __restrict__ x, float* __restrict__ y, long long planes, int spatial) {
    const int lane = threadIdx.x & 31;
    const long long plane = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (plane >= planes) return;
    const float* xp = x + plane * spatial;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
    int i = lane;
    for (; i + 96 < spatial; i += 128) {
        s0 += xp[i];
        s1 += xp[i + 32];
        s2 += xp[i + 64];
        s3 += xp[i + 96];
    }
    for (; i < spatial; i += 32) s0 += xp[i];
    float s = (s0 + s1) + (s2 + s3);
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
    if (lane == 0) y[plane] = s / spatial;
}

extern "C" __global__ void __launch_bounds__(256)
gem_nchw_f32(const float* __restrict__ x, float* __restrict__ y, long long planes, int spatial, float p, float q, float eps) {
    const int lane = threadIdx.x & 31;
    const long long plane = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (plane >= planes) return;
    const float* xp = x + plane * spatial;
    float s = 0.0f;
    for (int i = lane; i < spatial; i += 32) {
        float v = xp[i];
        s += powf(v < eps ? eps : v, p);
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
    if (lane == 0) y[plane] = powf(s / spatial, q);
}

extern "C" __global__ void __launch_bounds__(256)
gmp_nchw_f32(const float* __restrict__ x, float* __restrict__ y, long long planes, int spatial) {
    const int lane = threadIdx.x & 31;
    const long long plane = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (plane >= planes) return;
    const float* xp = x + plane * spatial;
    float m0 = -INFINITY, m1 = -INFINITY;
    int i = lane;
    for (; i + 32 < spatial; i += 64) {
        float a = xp[i], b = xp[i + 32];
        if (a > m0 || isnan(a)) m0 = a;
        if (b > m1 || isnan(b)) m1 = b;
    }
    for (; i < spatial; i += 32) {
        float v = xp[i];
        if (v > m0 || isnan(v)) m0 = v;
    }
    float m = m0;
    if (m1 > m || isnan(m1)) m = m1;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        float o = __shfl_down_sync(0xffffffffu, m, off);
        if (o > m || isnan(o)) m = o;
    }
    if (lane == 0) y[plane] = m;
}

enum ReduceKind {
    RED_SUM = 0, RED_MEAN, RED_MAX, RED_MIN, RED_PROD, RED_L1, RED_L2, RED_SUM_SQUARE, RED_LOG_SUM, RED_LOG_SUM_EXP,
    RED_ARG_MAX, RED_ARG_MIN, RED_ARG_MAX_LAST, RED_ARG_MIN_LAST
};

// The offset of the r-th reduced position of an output whose first element is at base.
__device__ __forceinline__ long long reduced_offset(long long base, int r, const Dims8& shape, const Dims8& reduce,
                                                    const int* inStride) {
    long long off = base;
    for (int d = 7; d >= 0; d--) {
        if (!reduce.v[d]) continue;
        off += (long long)(r % shape.v[d]) * inStride[d];
        r /= shape.v[d];
    }
    return off;
}

extern "C" __global__ void reduce_f32(const float* __restrict__ x, float* __restrict__ y, Dims8 shape, Dims8 reduce,
                                      int outputs, int op) {
    GRID_LOOP(o, outputs) {
        int kept[8], idx[8], inStride[8];
        int count = 1, acc = 1;
        for (int d = 7; d >= 0; d--) {
            kept[d] = reduce.v[d] ? 1 : shape.v[d];
            if (reduce.v[d]) count *= shape.v[d];
            inStride[d] = acc;
            acc *= shape.v[d];
        }
        long long rem0 = o;
        for (int d = 7; d >= 0; d--) {
            idx[d] = rem0 % kept[d];
            rem0 /= kept[d];
        }
        long long base = 0;
        for (int d = 0; d < 8; d++) base += (long long)idx[d] * inStride[d];
        if (op >= RED_ARG_MAX) { // the index of the first (or last) extreme; a NaN is never displaced
            int best = 0, big = op == RED_ARG_MAX || op == RED_ARG_MAX_LAST, last = op >= RED_ARG_MAX_LAST;
            float bv = x[reduced_offset(base, 0, shape, reduce, inStride)];
            for (int r = 1; r < count && !isnan(bv); r++) {
                float v = x[reduced_offset(base, r, shape, reduce, inStride)];
                if ((big ? v > bv : v < bv) || isnan(v) || (last && v == bv)) {
                    best = r;
                    bv = v;
                }
            }
            y[o] = (float)best;
            continue;
        }
        // the max first: the max itself, the shift of log-sum-exp, and the scale of L2 (squares of large values
        // overflow float), which sums (v / max|v|)^2
        float m = op == RED_L2 ? 0.0f : -INFINITY;
        if (op == RED_MAX || op == RED_LOG_SUM_EXP || op == RED_L2) {
            for (int r = 0; r < count; r++) {
                float v = x[reduced_offset(base, r, shape, reduce, inStride)];
                if (op == RED_L2) v = fabsf(v);
                if (v > m || isnan(v)) m = v;
            }
            if (op == RED_MAX || isnan(m) || isinf(m) || (op == RED_L2 && m == 0.0f)) {
                y[o] = m;
                continue;
            }
        }
        float a = op == RED_MIN ? INFINITY : (op == RED_PROD ? 1.0f : 0.0f);
        for (int r = 0; r < count; r++) {
            float v = x[reduced_offset(base, r, shape, reduce, inStride)];
            switch (op) {
                case RED_MIN: if (v < a || isnan(v)) a = v; break;
                case RED_PROD: a *= v; break;
                case RED_L1: a += fabsf(v); break;
                case RED_L2: v /= m; a = fmaf(v, v, a); break;
                    case RED_SUM_SQUARE: a = fmaf(v, v, a); break;
                case RED_LOG_SUM_EXP: a += expf(v - m); break;
                default: a += v; break;  // sum, mean, log-sum
            }
        }
        switch (op) {
            case RED_MEAN: a /= count; break;
            case RED_L2: a = m * sqrtf(a); break;
            case RED_LOG_SUM: a = logf(a); break;
            case RED_LOG_SUM_EXP: a = m + logf(a); break;
            default: break;
        }
        y[o] = a;
    }
}
