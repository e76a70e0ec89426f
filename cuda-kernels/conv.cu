// conv.cu: 2-D convolution, NCHW float32, y = act(conv(x, w) + bias + residual). Must match ConvRef.conv2d.
//
// conv2d_nchw_f32: implicit GEMM. For group g, Y[m, p] = sum_k W[m, k] * B[k, p], m an output channel of the
// group, k = (ci, ky, kx), p = (image, oy, ox); B is the im2col matrix, gathered on the fly into shared memory
// (zero where the window reaches the padding). 256 threads (16x16) per block, a 64x64 output tile, K in steps
// of 16; each thread accumulates a 4x4 register block (rows ty+16i, columns tx+16j). The bias, residual add
// and activation are applied in the epilogue.
// Launch: grid (ceil(P/64), ceil(OCg/64), G), block (16, 16).
//
// conv2d_direct_nchw_f32: one thread per output element; depthwise and other small-K convolutions.
// Launch: 1-D, any grid (grid-stride loop).
#include "common.cuh"

#define TM 64
#define TN 64
#define TK 16

extern "C" __global__ void __launch_bounds__(256)
conv2d_nchw_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                const float* __restrict__ res, float* __restrict__ y,
                int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes, int act, float alpha, float beta) {
    const int cpg = C / G, ocpg = OC / G;
    const int K = cpg * KH * KW;
    const int P = N * OH * OW;
    const int khw = KH * KW;
    const int g = blockIdx.z;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int tid = ty * 16 + tx;
    const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;
    __shared__ float As[TK][TM];
    __shared__ float Bs[TK][TN];
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    const float* wg = w + (long long)g * ocpg * K;

    for (int k0 = 0; k0 < K; k0 += TK) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int kk = e % TK, mm = e / TK;
            int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < ocpg && k < K) ? wg[(long long)m * K + k] : 0.0f;
        }
#pragma unroll
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
                    v = x[(((long long)img * C + g * cpg + ci) * H + iy) * W + ix];
                }
            }
            Bs[kk][nn] = v;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TK; kk++) {
            float a[4], b[4];
#pragma unroll
            for (int i = 0; i < 4; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= ocpg) continue;
        int oc = g * ocpg + m;
        float b0 = hasBias ? bias[oc] : 0.0f;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int p = n0 + tx + 16 * j;
            if (p >= P) continue;
            int ox = p % OW, t = p / OW;
            int oy = t % OH, img = t / OH;
            long long idx = (((long long)img * OC + oc) * OH + oy) * OW + ox;
            float v = acc[i][j] + b0;
            if (hasRes) v += res[idx];
            y[idx] = apply_act(v, act, alpha, beta);
        }
    }
}

extern "C" __global__ void
conv2d_direct_nchw_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                       const float* __restrict__ res, float* __restrict__ y,
                       int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                       int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes, int act, float alpha, float beta) {
    const long long total = (long long)N * OC * OH * OW;
    const int cpg = C / G, ocpg = OC / G;
    GRID_LOOP(idx, total) {
        int ox = idx % OW;
        long long t = idx / OW;
        int oy = t % OH;
        t /= OH;
        int oc = t % OC;
        int img = t / OC;
        int g = oc / ocpg;
        float acc = hasBias ? bias[oc] : 0.0f;
        for (int ci = 0; ci < cpg; ci++) {
            const float* xp = x + ((long long)img * C + g * cpg + ci) * H * W;
            const float* wp = w + ((long long)oc * cpg + ci) * KH * KW;
            for (int ky = 0; ky < KH; ky++) {
                int iy = oy * SH - PT + ky * DH;
                if (iy < 0 || iy >= H) continue;
                for (int kx = 0; kx < KW; kx++) {
                    int ix = ox * SW - PL + kx * DW;
                    if (ix < 0 || ix >= W) continue;
                    acc = fmaf(wp[ky * KW + kx], xp[iy * W + ix], acc);
                }
            }
        }
        if (hasRes) acc += res[idx];
        y[idx] = apply_act(acc, act, alpha, beta);
    }
}

// conv_epilogue_nchw_f32: y = act(y + bias[channel] + res) in place, after a convolution that left its plain sum in
// y (cuDNN's cudnnConvolutionForward, whose fused form takes only ReLU). Launch: 1-D over N*OC*spatial, any grid.
extern "C" __global__ void conv_epilogue_nchw_f32(float* __restrict__ y, const float* __restrict__ bias,
                                                  const float* __restrict__ res, long long total, int OC, int spatial,
                                                  int hasBias, int hasRes, int act, float alpha, float beta) {
    GRID_LOOP(idx, total) {
        float v = y[idx];
        if (hasBias) v += bias[(idx / spatial) % OC];
        if (hasRes) v += res[idx];
        y[idx] = apply_act(v, act, alpha, beta);
    }
}
