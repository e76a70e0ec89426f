// pool.cu: 2-D max and average pooling, NCHW float32, one thread per output element (grid-stride loop).
// Must match PoolRef.maxPool and PoolRef.avgPool: positions outside the input are skipped; the average divides
// by the positions inside the input, or inside the padded extent with countIncludePad.
#include "common.cuh"

extern "C" __global__ void maxpool_nchw_f32(const float* __restrict__ x, float* __restrict__ y, int NC, int H, int W,
                                            int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int OH, int OW) {
    GRID_LOOP(idx, (long long)NC * OH * OW) {
        int ox = idx % OW;
        long long t = idx / OW;
        int oy = t % OH;
        long long nc = t / OH;
        const float* xp = x + nc * H * W;
        float m = -INFINITY;
        for (int ky = 0; ky < KH; ky++) {
            int iy = oy * SH - PT + ky * DH;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ox * SW - PL + kx * DW;
                if (ix < 0 || ix >= W) continue;
                float v = xp[iy * W + ix];
                if (v > m || isnan(v)) m = v;
            }
        }
        y[idx] = m;
    }
}

extern "C" __global__ void avgpool_nchw_f32(const float* __restrict__ x, float* __restrict__ y, int NC, int H, int W,
                                            int KH, int KW, int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR,
                                            int OH, int OW, int countIncludePad) {
    GRID_LOOP(idx, (long long)NC * OH * OW) {
        int ox = idx % OW;
        long long t = idx / OW;
        int oy = t % OH;
        long long nc = t / OH;
        const float* xp = x + nc * H * W;
        float sum = 0.0f;
        int inside = 0, inPadded = 0;
        for (int ky = 0; ky < KH; ky++) {
            int iy = oy * SH - PT + ky * DH;
            bool rowPadded = iy >= -PT && iy < H + PB;
            for (int kx = 0; kx < KW; kx++) {
                int ix = ox * SW - PL + kx * DW;
                if (rowPadded && ix >= -PL && ix < W + PR) inPadded++;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                sum += xp[iy * W + ix];
                inside++;
            }
        }
        int divisor = countIncludePad ? inPadded : inside;
        y[idx] = divisor == 0 ? 0.0f : sum / divisor;
    }
}
