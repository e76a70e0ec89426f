// dense.cl: matrix multiply, float32. Must match DenseRef.gemm and DenseRef.matmul.
//
// gemm_f32: y[i, j] = act(alpha * sum_p A(i, p) * B(p, j) + beta * C(i, j)) with A(i, p) = a[aOff + i*asi + p*asp]
// and B(p, j) = b[bOff + p*bsp + j*bsj], so one kernel serves transA, transB and batched MatMul slices.
// C (when hasC) is broadcast from [cRows, cCols]. Tiled like conv2d_nchw_f32: 16x16 work-items, a 64x64 tile,
// K in steps of 16 staged in local memory, 4x4 outputs per work-item.
// Launch: global (ceil(N/64)*16, ceil(M/64)*16), local (16, 16).

#define TM 64
#define TN 64
#define TK 16

__kernel __attribute__((reqd_work_group_size(16, 16, 1)))
void gemm_f32(int M, int N, int K,
              __global const float* a, int aOff, int asi, int asp,
              __global const float* b, int bOff, int bsp, int bsj,
              float alpha, float beta, __global const float* c, int hasC, int cRows, int cCols,
              __global float* y, int yOff, int act, float actAlpha, float actBeta) {
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int tid = ty * 16 + tx;
    const int m0 = get_group_id(1) * TM, n0 = get_group_id(0) * TN;
    __local float As[TK][TM];
    __local float Bs[TK][TN];
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < K; k0 += TK) {
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int kk = e % TK, mm = e / TK;
            int m = m0 + mm, k = k0 + kk;
            As[kk][mm] = (m < M && k < K) ? a[aOff + (long)m * asi + (long)k * asp] : 0.0f;
        }
        for (int i = 0; i < 4; i++) {
            int e = tid + i * 256;
            int nn = e % TN, kk = e / TN;
            int n = n0 + nn, k = k0 + kk;
            Bs[kk][nn] = (n < N && k < K) ? b[bOff + (long)k * bsp + (long)n * bsj] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < TK; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++) av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++) bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < 4; i++) {
        int m = m0 + ty + 16 * i;
        if (m >= M) continue;
        for (int j = 0; j < 4; j++) {
            int n = n0 + tx + 16 * j;
            if (n >= N) continue;
            float v = alpha * acc[i][j];
            if (hasC) v += beta * c[(cRows == 1 ? 0 : m) * cCols + (cCols == 1 ? 0 : n)];
            y[yOff + (long)m * N + n] = apply_act(v, act, actAlpha, actBeta);
        }
    }
}
