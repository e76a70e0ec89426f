// conv.cu: 2-D convolution, NCHW float32, y = act(conv(x, w) + bias + residual). Must match ConvRef.conv2d.
//
// conv2d_nchw_f32 (128 output channels per block) and conv2d_m64_nchw_f32 (64, for groups of at most 64
// channels): implicit GEMM. For group g, Y[m, p] = sum_k W[m, k] * B[k, p], m an output channel of the group,
// k = (ci, ky, kx), p = (image, oy, ox); B is the im2col matrix, gathered on the fly (zero where the window
// reaches the padding). 256 threads (16x16) per block compute a BM x 128 tile, K in steps of 8; each thread
// holds a (BM/16) x 8 register tile: rows ty*4 + {0..3} (+64), columns tx*4 + {0..3} and 64 + tx*4 + {0..3},
// read from shared memory as float4 (the A tile is padded by 4 floats a row so its transposed stores do not
// conflict). The next K step is loaded from global memory into registers while the current one is multiplied
// (two shared buffers, one barrier a step; register staging rather than cp.async, so that sm_75 runs it too).
// Each thread gathers one column p of B, whose image and window origin it works out once, and 4 consecutive
// k, decomposed once per step and then stepped. Bias, residual and activation are applied as the tile leaves
// the registers.
// Launch: grid (ceil(P/128), ceil(OCg/BM), G), block (16, 16).
//
// conv2d_direct_nchw_f32: one thread per output element; depthwise and other small-K convolutions.
// Launch: 1-D, any grid (grid-stride loop).
#include "common.cuh"

#define CONV_BN 128
#define CONV_BK 8

// The activation of one output of a register tile: none and ReLU inline, the others a call, so that the 64 outputs
// of a thread do not each inline every activation of apply_act (that made the kernel 4 times larger).
__device__ __noinline__ float conv_act_call(float v, int act, float alpha, float beta) {
    return apply_act(v, act, alpha, beta);
}

__device__ __forceinline__ float conv_act(float v, int act, float alpha, float beta) {
    if (act == ACT_NONE) return v;
    if (act == ACT_RELU) return v < 0.0f ? 0.0f : v;  // as apply_act: NaN stays NaN
    return conv_act_call(v, act, alpha, beta);
}

template <int BM>
__device__ __forceinline__ void conv2d_tile(float (*As)[CONV_BK][BM + 4], float (*Bs)[CONV_BK][CONV_BN],
                                            const float* __restrict__ x, const float* __restrict__ w,
                                            const float* __restrict__ bias, const float* __restrict__ res,
                                            float* __restrict__ y, int N, int C, int H, int W, int OC, int KH, int KW,
                                            int SH, int SW, int DH, int DW, int PT, int PL, int G, int OH, int OW,
                                            int hasBias, int hasRes, int act, float alpha, float beta) {
    constexpr int RM = BM / 16;          // rows per thread: 8 or 4
    constexpr int A_PER = BM * CONV_BK / 256;  // A elements each thread loads a step: 4 or 2
    const int cpg = C / G, ocpg = OC / G;
    const int K = cpg * KH * KW;
    const int OHW = OH * OW;
    const int P = N * OHW;
    const int khw = KH * KW;
    const int g = blockIdx.z;
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int tid = ty * 16 + tx;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * CONV_BN;
    const float* wg = w + (long long)g * ocpg * K;

    // the A elements this thread loads: row am, columns ak0 .. ak0 + A_PER - 1 of each K step
    const int am = tid / (256 / BM), ak0 = (tid % (256 / BM)) * A_PER;
    const bool aRow = m0 + am < ocpg;
    const float* wrow = wg + (long long)(m0 + am) * K;
    // the B column this thread gathers, and its rows bk0 .. bk0 + 3
    const int bn = tid % CONV_BN, bk0 = (tid / CONV_BN) * 4;
    const int p = n0 + bn;
    const bool bCol = p < P;
    int iy0 = 0, ix0 = 0;
    long long xImg = 0;
    if (bCol) {
        int img = p / OHW, s = p % OHW;
        iy0 = (s / OW) * SH - PT;
        ix0 = (s % OW) * SW - PL;
        xImg = ((long long)img * C + (long long)g * cpg) * H * W;
    }

    float ra[A_PER], rb[4];
    auto load = [&](int k0) {
#pragma unroll
        for (int j = 0; j < A_PER; j++) {
            int k = k0 + ak0 + j;
            ra[j] = aRow && k < K ? wrow[k] : 0.0f;
        }
        int k = k0 + bk0;
        int ci = k / khw, r = k % khw;
        int ky = r / KW, kx = r % KW;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            float v = 0.0f;
            if (bCol && k + j < K) {
                int iy = iy0 + ky * DH, ix = ix0 + kx * DW;
                if (iy >= 0 && iy < H && ix >= 0 && ix < W) v = x[xImg + ((long long)ci * H + iy) * W + ix];
            }
            rb[j] = v;
            if (++kx == KW) {
                kx = 0;
                if (++ky == KH) {
                    ky = 0;
                    ci++;
                }
            }
        }
    };
    auto store = [&](int buf) {
#pragma unroll
        for (int j = 0; j < A_PER; j++) As[buf][ak0 + j][am] = ra[j];
#pragma unroll
        for (int j = 0; j < 4; j++) Bs[buf][bk0 + j][bn] = rb[j];
    };

    float acc[RM][8];
#pragma unroll
    for (int i = 0; i < RM; i++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc[i][j] = 0.0f;

    const int steps = (K + CONV_BK - 1) / CONV_BK;
    load(0);
    store(0);
    __syncthreads();
    for (int t = 0; t < steps; t++) {
        const int buf = t & 1;
        if (t + 1 < steps) load((t + 1) * CONV_BK);
#pragma unroll
        for (int kk = 0; kk < CONV_BK; kk++) {
            float a[RM], b[8];
            const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][kk][ty * 4]);
            a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
            if (RM == 8) {
                const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][kk][64 + ty * 4]);
                a[RM - 4] = a1.x; a[RM - 3] = a1.y; a[RM - 2] = a1.z; a[RM - 1] = a1.w;
            }
            const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][kk][tx * 4]);
            const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][kk][64 + tx * 4]);
            b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
            b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
            for (int i = 0; i < RM; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        if (t + 1 < steps) store(buf ^ 1);
        __syncthreads();
    }

    // the epilogue: column q of this thread is p = n0 + (q < 4 ? tx*4 + q : 64 + tx*4 + q - 4)
    long long colBase[8];
    bool colOk[8];
#pragma unroll
    for (int q = 0; q < 8; q++) {
        int pc = n0 + (q < 4 ? tx * 4 + q : 64 + tx * 4 + q - 4);
        colOk[q] = pc < P;
        colBase[q] = colOk[q] ? (long long)(pc / OHW) * OC * OHW + pc % OHW : 0;
    }
#pragma unroll
    for (int i = 0; i < RM; i++) {
        int m = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (m >= ocpg) continue;
        int oc = g * ocpg + m;
        float b0 = hasBias ? bias[oc] : 0.0f;
#pragma unroll
        for (int q = 0; q < 8; q++) {
            if (!colOk[q]) continue;
            long long idx = colBase[q] + (long long)oc * OHW;
            float v = acc[i][q] + b0;
            if (hasRes) v += res[idx];
            y[idx] = conv_act(v, act, alpha, beta);
        }
    }
}

extern "C" __global__ void __launch_bounds__(256)
conv2d_nchw_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                const float* __restrict__ res, float* __restrict__ y,
                int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes, int act, float alpha, float beta) {
    // the shared tiles live here, not in the template (two buffers each: one being read, one being filled)
    __shared__ __align__(16) float As[2][CONV_BK][128 + 4];
    __shared__ __align__(16) float Bs[2][CONV_BK][CONV_BN];
    conv2d_tile<128>(As, Bs, x, w, bias, res, y, N, C, H, W, OC, KH, KW, SH, SW, DH, DW, PT, PL, G, OH, OW, hasBias, hasRes,
                     act, alpha, beta);
}

extern "C" __global__ void __launch_bounds__(256)
conv2d_m64_nchw_f32(const float* __restrict__ x, const float* __restrict__ w, const float* __restrict__ bias,
                    const float* __restrict__ res, float* __restrict__ y,
                    int N, int C, int H, int W, int OC, int KH, int KW, int SH, int SW, int DH, int DW,
                    int PT, int PL, int G, int OH, int OW, int hasBias, int hasRes, int act, float alpha, float beta) {
    __shared__ __align__(16) float As[2][CONV_BK][64 + 4];
    __shared__ __align__(16) float Bs[2][CONV_BK][CONV_BN];
    conv2d_tile<64>(As, Bs, x, w, bias, res, y, N, C, H, W, OC, KH, KW, SH, SW, DH, DW, PT, PL, G, OH, OW, hasBias, hasRes,
                    act, alpha, beta);
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
