// gap.cl: global pooling and mean reduction, float32. Must match PoolRef.gap, PoolRef.gmp, PoolRef.reduceMean.
//
// gap_nchw_f32 / gmp_nchw_f32: one work-group of 64 work-items per (n, c) plane: each work-item reduces a
// strided part of the plane, then a tree reduction in local memory. spatial > 0 (checked on the host).
// Launch: global (64 * N*C), local (64).
//
// reduce_mean_f32: one work-item per output element, summing the reduced positions. Shapes are padded to 8
// dims; `reduce` flags the reduced dims. Launch: global (outputs).

#define GAP_WG 64

__kernel __attribute__((reqd_work_group_size(GAP_WG, 1, 1)))
void gap_nchw_f32(__global const float* x, __global float* y, int spatial) {
    __local float part[GAP_WG];
    const int plane = get_group_id(0), lid = get_local_id(0);
    const __global float* xp = x + (long)plane * spatial;
    float s = 0.0f;
    for (int i = lid; i < spatial; i += GAP_WG) s += xp[i];
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = GAP_WG / 2; step > 0; step >>= 1) {
        if (lid < step) part[lid] += part[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[plane] = part[0] / spatial;
}

__kernel __attribute__((reqd_work_group_size(GAP_WG, 1, 1)))
void gmp_nchw_f32(__global const float* x, __global float* y, int spatial) {
    __local float part[GAP_WG];
    const int plane = get_group_id(0), lid = get_local_id(0);
    const __global float* xp = x + (long)plane * spatial;
    float m = -INFINITY;
    for (int i = lid; i < spatial; i += GAP_WG) {
        float v = xp[i];
        if (v > m || isnan(v)) m = v;
    }
    part[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = GAP_WG / 2; step > 0; step >>= 1) {
        if (lid < step) {
            float o = part[lid + step];
            if (o > part[lid] || isnan(o)) part[lid] = o;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[plane] = part[0];
}

__kernel void reduce_mean_f32(__global const float* x, __global float* y, int8 shape8, int8 reduce8, int outputs) {
    int o = get_global_id(0);
    if (o >= outputs) return;
    int shape[8], reduce[8], kept[8], idx[8], inStride[8];
    vstore8(shape8, 0, shape);
    vstore8(reduce8, 0, reduce);
    int count = 1, acc = 1;
    for (int d = 7; d >= 0; d--) {
        kept[d] = reduce[d] ? 1 : shape[d];
        if (reduce[d]) count *= shape[d];
        inStride[d] = acc;
        acc *= shape[d];
    }
    unflatten8(o, kept, idx);
    long base = 0;
    for (int d = 0; d < 8; d++) base += (long)idx[d] * inStride[d];
    float sum = 0.0f;
    for (int r = 0; r < count; r++) {
        int rem = r;
        long off = base;
        for (int d = 7; d >= 0; d--) {
            if (!reduce[d]) continue;
            off += (long)(rem % shape[d]) * inStride[d];
            rem /= shape[d];
        }
        sum += x[off];
    }
    y[o] = sum / count;
}
