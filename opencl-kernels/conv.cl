// conv.cl: 2-D convolution, NCHW float32, y = act(conv(x, w) + bias + residual). Must match ConvRef.conv2d.
//
// conv2d_nchw_f32: implicit GEMM. For group g, Y[m, p] = sum_k W[m, k] * B[k, p] with m an output channel of
// the group, k = (ci, ky, kx) and p = (image, oy, ox); B is the im2col matrix, gathered on the fly into
// local memory (zero where the window reaches the padding). Work-group 16x16, a 64x64 output tile per
// group, K in steps of 16; each work-item accumulates a 4x4 block (rows ty+16i, columns tx+16j).
// Launch: global (ceil(P/64)*16, ceil(OCg/64)*16, G), local (16, 16, 1).
//
// conv2d_direct_nchw_f32: one work-item per output element; for depthwise and other small-K convolutions.
// Launch: global (N*OC*OH*OW).

#define TM 64
#define TN 64
#define TK 16

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void conv2d_nchw_f32(__global const float* x, __global const float* w, __global const float* bias,
                     __global const float* res, __global float* y,
                     int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                     int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes,
                     int act, float alpha, float beta) {
    const int cpg = C / G, ocpg = OC / G;
    const int K = cpg * KH * KW;
    const int P = N * OH * OW;
    const int khw = KH * KW;
    const int g = get_group_id(2);
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * 16 + tx;
    const int m0 = get_group_id(1) * TM, n0 = get_group_id(0) * TN;
    __local float As[TK][TM];
    __local float Bs[TK][TN];
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    const __global float* wg = w + (long)g * ocpg * K;

    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int kk = e % TK, mm = e / TK;
            int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < ocpg && k < K) ? wg[(long)m * K + k] : 0.0f;
        }
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int nn = e % TN, kk = e / TN;
            int p = n0 + nn, k = k0 + kk;
            float v = 0.0f;
            if (p < P && k < K) {
                int ox = p % OW, t = p / OW;
                int oy = t % OH, img = t / OH;
                int ci = k / khw, r = k % khw;
                int ky = r / KW, kx = r % KW;
                int iy = oy * SH - PT + ky * DH, ix = ox * SW - PL + kx * DW;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
                    v = x[(((long)img * C + g * cpg + ci) * H + iy) * W + ix];
                }
            }
            Bs[kk][nn] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            float a[4], b[4];
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= ocpg) continue;
        int oc = g * ocpg + m;
        float b0 = hasBias ? bias[oc] : 0.0f;
        for (int j = 0; j < 4; j++) {
            int p = n0 + tx + 16 * j;
            if (p >= P) continue;
            int ox = p % OW, t = p / OW;
            int oy = t % OH, img = t / OH;
            long idx = (((long)img * OC + oc) * OH + oy) * OW + ox;
            float v = acc[i][j] + b0;
            if (hasRes) v += res[idx];
            y[idx] = apply_act(v, act, alpha, beta);
        }
    }
}

__kernel void conv2d_direct_nchw_f32(__global const float* x, __global const float* w, __global const float* bias,
                                     __global const float* res, __global float* y,
                                     int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                                     int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes,
                                     int act, float alpha, float beta) {
    long idx = get_global_id(0);
    long total = (long)N * OC * OH * OW;
    if (idx >= total) return;
    int ox = idx % OW;
    long t = idx / OW;
    int oy = t % OH;
    t /= OH;
    int oc = t % OC;
    int img = t / OC;
    int cpg = C / G, ocpg = OC / G;
    int g = oc / ocpg;
    float acc = hasBias ? bias[oc] : 0.0f;
    for (int ci = 0; ci < cpg; ci++) {
        const __global float* xp = x + ((long)img * C + g * cpg + ci) * H * W;
        const __global float* wp = w + ((long)oc * cpg + ci) * KH * KW;
        for (int ky = 0; ky < KH; ky++) {
            int iy = oy * SH - PT + ky * DH;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ox * SW - PL + kx * DW;
                if (ix < 0 || ix >= W) continue;
                acc = fma(wp[ky * KW + kx], xp[iy * W + ix], acc);
            }
        }
    }
    if (hasRes) acc += res[idx];
    y[idx] = apply_act(acc, act, alpha, beta);
}
