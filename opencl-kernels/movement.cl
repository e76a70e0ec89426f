// movement.cl: data movement, float32. Must match MovementRef (the IndexMaps definitions): transpose,
// slice, pad, gather and concatenation (one launch per input). One work-item per output element; shapes
// and strides of up to 8 dims come as int8 vectors padded with leading 1s.

__kernel void transpose_f32(__global const float* x, __global float* y, int count, int8 outShape8, int8 srcStride8) {
    int o = get_global_id(0);
    if (o >= count) return;
    int shape[8], st[8], idx[8];
    vstore8(outShape8, 0, shape);
    vstore8(srcStride8, 0, st);
    unflatten8(o, shape, idx);
    long src = 0;
    for (int d = 0; d < 8; d++) src += (long)idx[d] * st[d];
    y[o] = x[src];
}

__kernel void slice_f32(__global const float* x, __global float* y, int count, int8 outShape8, int8 start8,
                        int8 step8, int8 inStride8) {
    int o = get_global_id(0);
    if (o >= count) return;
    int shape[8], start[8], step[8], st[8], idx[8];
    vstore8(outShape8, 0, shape);
    vstore8(start8, 0, start);
    vstore8(step8, 0, step);
    vstore8(inStride8, 0, st);
    unflatten8(o, shape, idx);
    long src = 0;
    for (int d = 0; d < 8; d++) src += (long)(start[d] + idx[d] * step[d]) * st[d];
    y[o] = x[src];
}

// mode: 0 constant, 1 reflect, 2 edge (PadMode ordinals)
__kernel void pad_f32(__global const float* x, __global float* y, int count, int8 outShape8, int8 inShape8,
                      int8 begin8, int8 inStride8, int mode, float value) {
    int o = get_global_id(0);
    if (o >= count) return;
    int shape[8], in[8], begin[8], st[8], idx[8];
    vstore8(outShape8, 0, shape);
    vstore8(inShape8, 0, in);
    vstore8(begin8, 0, begin);
    vstore8(inStride8, 0, st);
    unflatten8(o, shape, idx);
    long src = 0;
    for (int d = 0; d < 8; d++) {
        int j = idx[d] - begin[d];
        int n = in[d];
        if (j < 0 || j >= n) {
            if (mode == 0) {
                y[o] = value;
                return;
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
        src += (long)j * st[d];
    }
    y[o] = x[src];
}

__kernel void gather_f32(__global const float* x, __global const int* indices, __global float* y,
                         int count, int nIndices, int axisLen, int inner) {
    int o = get_global_id(0);
    if (o >= count) return;
    int b = o % inner;
    int t = o / inner;
    int i = t % nIndices;
    int a = t / nIndices;
    y[o] = x[((long)a * axisLen + indices[i]) * inner + b];
}

__kernel void concat_part_f32(__global const float* x, __global float* y, int count, int block, int outBlock, int offset) {
    int e = get_global_id(0);
    if (e >= count) return;
    int a = e / block, b = e % block;
    y[(long)a * outBlock + offset + b] = x[e];
}
