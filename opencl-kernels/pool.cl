// pool.cl: 2-D max and average pooling, NCHW float32, one work-item per output element.
// Must match PoolRef.maxPool and PoolRef.avgPool (positions outside the input are skipped; the average
// divides by the positions inside the input, or inside the padded extent with countIncludePad).
// Launch: global (N*C*OH*OW).

__kernel void maxpool_nchw_f32(__global const float* x, __global float* y, int NC, int H, int W, int KH, int KW,
                               int SH, int SW, int DH, int DW, int PT, int PL, int OH, int OW) {
    long idx = get_global_id(0);
    if (idx >= (long)NC * OH * OW) return;
    int ox = idx % OW;
    long t = idx / OW;
    int oy = t % OH;
    long nc = t / OH;
    const __global float* xp = x + nc * H * W;
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

__kernel void avgpool_nchw_f32(__global const float* x, __global float* y, int NC, int H, int W, int KH, int KW,
                               int SH, int SW, int DH, int DW, int PT, int PL, int PB, int PR, int OH, int OW,
                               int countIncludePad) {
    long idx = get_global_id(0);
    if (idx >= (long)NC * OH * OW) return;
    int ox = idx % OW;
    long t = idx / OW;
    int oy = t % OH;
    long nc = t / OH;
    const __global float* xp = x + nc * H * W;
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
