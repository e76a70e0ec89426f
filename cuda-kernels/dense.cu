// dense.cu: matrix multiply, float32. Must match DenseRef.gemm and DenseRef.matmul.
//
// gemm_f32: y[i, j] = act(alpha * sum_p A(i, p) * B(p, j) + beta * C(i, j)), A(i, p) = a[aOff + i*asi + p*asp],
// B(p, j) = b[bOff + p*bsp + j*bsj] (so one kernel serves transA, transB and batched MatMul slices); C, when
// hasC, is broadcast from [cRows, cCols]. Tiled like conv2d_nchw_f32: 16x16 threads, a 64x64 tile, K in steps
// of 16 through shared memory, 4x4 outputs per thread. The fallback when cuBLAS is not available.
// Launch: grid (ceil(N/64), ceil(M/64)), block (16, 16).
//
// gemm_c_init_f32: y[i, j] = C(i, j) broadcast, before a cuBLAS sgemm with beta. Launch: 1-D, any grid.
#include "common.cuh"

#define TM 64
#define TN 64
#define TK 16

extern "C" __global__ void __launch_bounds__(256)
gemm_f32(int M, int N, int K, const float* __restrict__ a, long long aOff, int asi, int asp,
         const float* __restrict__ b, long long bOff, int bsp, int bsj, float alpha, float beta,
         const float* __restrict__ c, int hasC, int cRows, int cCols, float* __restrict__ y, long long yOff,
         int act, float actAlpha, float actBeta) {
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
    for (int k0 = 0; k0 < K; k0 += TK) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int kk = e % TK, mm = e / TK;
            int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < M && k < K) ? a[aOff + (long long)m * asi + (long long)k * asp] : 0.0f;
        }
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int nn = e % TN, kk = e / TN;
            int n = n0 + nn, k = k0 + kk;
            Bs[kk][nn] = (n < N && k < K) ? b[bOff + (long long)k * bsp + (long long)n * bsj] : 0.0f;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TK; kk++) {
            float av[4], bv[4];
#pragma unroll
            for (int i = 0; i < 4; i++) av[i] = As[kk][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < 4; j++) bv[j] = Bs[kk][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < 4; j++) {
            int n = n0 + tx + 16 * j;
            if (n >= N) continue;
            float v = alpha * acc[i][j];
            if (hasC) v += beta * c[(cRows == 1 ? 0 : m) * cCols + (cCols == 1 ? 0 : n)];
            y[yOff + (long long)m * N + n] = apply_act(v, act, actAlpha, actBeta);
        }
    }
}

extern "C" __global__ void gemm_c_init_f32(const float* __restrict__ c, float* __restrict__ y, int M, int N, int cRows, int cCols) {
    GRID_LOOP(e, (long long)M * N) {
        int m = e / N, n = e % N;
        y[e] = c[(cRows == 1 ? 0 : m) * cCols + (cCols == 1 ? 0 : n)];
    }
}

// act_inplace_f32: the activation after a cuBLAS sgemm. Launch: 1-D, any grid.
extern "C" __global__ void act_inplace_f32(float* __restrict__ y, long long count, int act, float alpha, float beta) {
    GRID_LOOP(i, count) y[i] = apply_act(y[i], act, alpha, beta);
}
