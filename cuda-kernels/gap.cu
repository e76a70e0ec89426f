// gap.cu: global pooling and mean reduction, float32. Must match PoolRef.gap, PoolRef.gmp, PoolRef.reduceMean.
//
// gap_nchw_f32 / gmp_nchw_f32: one warp per (n, c) plane, 8 warps per 256-thread block; each lane reduces a
// strided part of the plane (coalesced reads), then a warp-shuffle reduction. spatial > 0 (checked on the host).
// Launch: grid (ceil(planes / 8)), block (256).
//
// reduce_mean_f32: one thread per output element summing the reduced positions; shapes padded to 8 dims,
// reduce.v[d] = 1 for reduced dims. Launch: 1-D, any grid.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
gap_nchw_f32(const float* __restrict__ x, float* __restrict__ y, long long planes, int spatial) {
    const int lane = threadIdx.x & 31;
    const long long plane = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (plane >= planes) return;
    const float* xp = x + plane * spatial;
    float s = 0.0f;
    for (int i = lane; i < spatial; i += 32) s += xp[i];
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
    if (lane == 0) y[plane] = s / spatial;
}

extern "C" __global__ void __launch_bounds__(256)
gmp_nchw_f32(const float* __restrict__ x, float* __restrict__ y, long long planes, int spatial) {
    const int lane = threadIdx.x & 31;
    const long long plane = (long long)blockIdx.x * 8 + (threadIdx.x >> 5);
    if (plane >= planes) return;
    const float* xp = x + plane * spatial;
    float m = -INFINITY;
    for (int i = lane; i < spatial; i += 32) {
        float v = xp[i];
        if (v > m || isnan(v)) m = v;
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        float o = __shfl_down_sync(0xffffffffu, m, off);
        if (o > m || isnan(o)) m = o;
    }
    if (lane == 0) y[plane] = m;
}

extern "C" __global__ void reduce_mean_f32(const float* __restrict__ x, float* __restrict__ y, Dims8 shape, Dims8 reduce,
                                           int outputs) {
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
        float sum = 0.0f;
        for (int r = 0; r < count; r++) {
            int rem = r;
            long long off = base;
            for (int d = 7; d >= 0; d--) {
                if (!reduce.v[d]) continue;
                off += (long long)(rem % shape.v[d]) * inStride[d];
                rem /= shape.v[d];
            }
            sum += x[off];
        }
        y[o] = sum / count;
    }
}
