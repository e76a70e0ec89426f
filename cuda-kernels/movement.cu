// movement.cu: data movement, float32. Must match MovementRef (the IndexMaps definitions): transpose, slice,
// pad, gather and concatenation (one launch per input). One thread per output element, grid-stride loops.
#include "common.cuh"

extern "C" __global__ void transpose_f32(const float* __restrict__ x, float* __restrict__ y, int count, Dims8 outShape,
                                         Dims8 srcStride) {
    GRID_LOOP(o, count) {
        int idx[8];
        unflatten8(o, outShape, idx);
        long long src = 0;
#pragma unroll
        for (int d = 0; d < 8; d++) src += (long long)idx[d] * srcStride.v[d];
        y[o] = x[src];
    }
}

extern "C" __global__ void slice_f32(const float* __restrict__ x, float* __restrict__ y, int count, Dims8 outShape,
                                     Dims8 start, Dims8 step, Dims8 inStride) {
    GRID_LOOP(o, count) {
        int idx[8];
        unflatten8(o, outShape, idx);
        long long src = 0;
#pragma unroll
        for (int d = 0; d < 8; d++) src += (long long)(start.v[d] + idx[d] * step.v[d]) * inStride.v[d];
        y[o] = x[src];
    }
}

// mode: 0 constant, 1 reflect, 2 edge (PadMode ordinals)
extern "C" __global__ void pad_f32(const float* __restrict__ x, float* __restrict__ y, int count, Dims8 outShape,
                                   Dims8 inShape, Dims8 begin, Dims8 inStride, int mode, float value) {
    GRID_LOOP(o, count) {
        int idx[8];
        unflatten8(o, outShape, idx);
        long long src = 0;
        bool fill = false;
        for (int d = 0; d < 8 && !fill; d++) {
            int j = idx[d] - begin.v[d];
            int n = inShape.v[d];
            if (j < 0 || j >= n) {
                if (mode == 0) {
                    fill = true;
                    break;
                } else if (mode == 2) {
                    j = j < 0 ? 0 : n - 1;
                } else {
                    int period = 2 * (n - 1);
                    if (period == 0) {
                        j = 0;
                    } else {
                        j = j % period;
                        if (j < 0) j += period;
                        if (j >= n) j = period - j;
                    }
                }
            }
            src += (long long)j * inStride.v[d];
        }
        y[o] = fill ? value : x[src];
    }
}

extern "C" __global__ void gather_f32(const float* __restrict__ x, const int* __restrict__ indices, float* __restrict__ y,
                                      int count, int nIndices, int axisLen, int inner) {
    GRID_LOOP(o, count) {
        int b = o % inner;
        long long t = o / inner;
        int i = t % nIndices;
        long long a = t / nIndices;
        y[o] = x[(a * axisLen + indices[i]) * inner + b];
    }
}

extern "C" __global__ void concat_part_f32(const float* __restrict__ x, float* __restrict__ y, int count, int block,
                                           int outBlock, int offset) {
    GRID_LOOP(e, count) {
        long long a = e / block;
        int b = e % block;
        y[a * outBlock + offset + b] = x[e];
    }
}
