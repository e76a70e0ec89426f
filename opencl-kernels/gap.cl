// gap.cl: global pooling and the ONNX reductions, float32. Must match PoolRef.gap, PoolRef.gmp, PoolRef.reduce.
//
// gap_nchw_f32 / gmp_nchw_f32: one work-group of 64 work-items per (n, c) plane: each work-item reduces a
// strided part of the plane, then a tree reduction in local memory. spatial > 0 (checked on the host).
// Launch: global (64 * N*C), local (64).
//
// gem_nchw_f32: the same shape as gap_nchw_f32, summing max(x, eps)^p (a NaN is kept: x < eps is false) and
// returning the mean to the power q (GeM pooling, q = 1/p); eps = -INFINITY is no clamp.
//
// reduce_f32: one work-item per output element, reducing its positions with `op`, the ordinal of ReduceOp
// (ReduceOp.reduce is the specification; log-sum-exp subtracts the max first). Shapes are padded to 8 dims;
// `reduce` flags the reduced dims. Launch: global (outputs).

// ReduceOp ordinals
#define RED_SUM 0
#define RED_MEAN 1
#define RED_MAX 2
#define RED_MIN 3
#define RED_PROD 4
#define RED_L1 5
#define RED_L2 6
#define RED_SUM_SQUARE 7
#define RED_LOG_SUM 8
#define RED_LOG_SUM_EXP 9
#define RED_ARG_MAX 10
#define RED_ARG_MIN 11
#define RED_ARG_MAX_LAST 12
#define RED_ARG_MIN_LAST 13

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
void gem_nchw_f32(__global const float* x, __global float* y, int spatial, float p, float q, float eps) {
    __local float part[GAP_WG];
    const int plane = get_group_id(0), lid = get_local_id(0);
    const __global float* xp = x + (long)plane * spatial;
    float s = 0.0f;
    for (int i = lid; i < spatial; i += GAP_WG) {
        float v = xp[i];
        s += pow(v < eps ? eps : v, p);
    }
    part[lid] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = GAP_WG / 2; step > 0; step >>= 1) {
        if (lid < step) part[lid] += part[lid + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lid == 0) y[plane] = pow(part[0] / spatial, q);
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

// The offset of the r-th reduced position of an output whose first element is at base.
inline long reduced_offset(long base, int r, const int* shape, const int* reduce, const int* inStride) {
    long off = base;
    for (int d = 7; d >= 0; d--) {
        if (!reduce[d]) continue;
        off += (long)(r % shape[d]) * inStride[d];
        r /= shape[d];
    }
    return off;
}

__kernel void reduce_f32(__global const float* x, __global float* y, int8 shape8, int8 reduce8, int outputs, int op) {
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
        return;
    }
    // the max first: the max itself, the shift of log-sum-exp, and the scale of L2 (squares of large values
    // overflow float), which sums (v / max|v|)^2
    float m = op == RED_L2 ? 0.0f : -INFINITY;
    if (op == RED_MAX || op == RED_LOG_SUM_EXP || op == RED_L2) {
        for (int r = 0; r < count; r++) {
            float v = x[reduced_offset(base, r, shape, reduce, inStride)];
            if (op == RED_L2) v = fabs(v);
            if (v > m || isnan(v)) m = v;
        }
        if (op == RED_MAX || isnan(m) || isinf(m) || (op == RED_L2 && m == 0.0f)) {
            y[o] = m;
            return;
        }
    }
    float a = op == RED_MIN ? INFINITY : (op == RED_PROD ? 1.0f : 0.0f);
    for (int r = 0; r < count; r++) {
        float v = x[reduced_offset(base, r, shape, reduce, inStride)];
        switch (op) {
            case RED_MIN: if (v < a || isnan(v)) a = v; break;
            case RED_PROD: a *= v; break;
            case RED_L1: a += fabs(v); break;
            case RED_L2: v /= m; a = fma(v, v, a); break;
            case RED_SUM_SQUARE: a = fma(v, v, a); break;
            case RED_LOG_SUM_EXP: a += exp(v - m); break;
            default: a += v; break; /* sum, mean, log-sum */
        }
    }
    switch (op) {
        case RED_MEAN: a /= count; break;
        case RED_L2: a = m * sqrt(a); break;
        case RED_LOG_SUM: a = log(a); break;
        case RED_LOG_SUM_EXP: a = m + log(a); break;
        default: break;
    }
    y[o] = a;
}
