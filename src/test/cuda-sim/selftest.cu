// selftest.cu: kernels that test the CUDA simulator itself (CudaSimulatorTest), not part of gapnet. Valid CUDA:
// nvcc compiles it too. Each shows one thing the simulator must get right: barriers and shared memory, warp
// shuffles and votes, and the failures a GPU would report (a read past an allocation, barriers that divergent
// threads can never complete, an integer division by zero).

// y = x reversed within each block of 256 threads, through shared memory: wrong without a working barrier
extern "C" __global__ void __launch_bounds__(256) sim_block_reverse(const float* __restrict__ x, float* __restrict__ y) {
    __shared__ float s[256];
    const int t = threadIdx.x, base = blockIdx.x * 256;
    s[t] = x[base + t];
    __syncthreads();
    y[base + t] = s[255 - t];
}

// per warp w of x: out[5w] = the sum by shuffling down (lane 0's), out[5w+1] = the sum by an xor butterfly
// (lane 31's), out[5w+2] = lane 7's value broadcast (lane 0's view), out[5w+3] and out[5w+4] = the low and the
// high 16 bits of the ballot of x > 0
extern "C" __global__ void sim_warp_ops(const float* __restrict__ x, float* __restrict__ out) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x, lane = threadIdx.x & 31, warp = i >> 5;
    float v = x[i], down = v, butterfly = v;
    for (int off = 16; off > 0; off >>= 1) down += __shfl_down_sync(0xffffffffu, down, off);
    for (int m = 1; m < 32; m <<= 1) butterfly += __shfl_xor_sync(0xffffffffu, butterfly, m);
    float seven = __shfl_sync(0xffffffffu, v, 7);
    unsigned positive = __ballot_sync(0xffffffffu, v > 0.0f);
    if (lane == 0) {
        out[5 * warp] = down;
        out[5 * warp + 2] = seven;
        out[5 * warp + 3] = (float)(positive & 0xffffu);
        out[5 * warp + 4] = (float)(positive >> 16);
    }
    if (lane == 31) out[5 * warp + 1] = butterfly;
}

// y[i] = x[i + 1] for i < n: reads one element past an x of n elements
extern "C" __global__ void sim_read_past_end(const float* __restrict__ x, float* __restrict__ y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i + 1];
}

// half the warp waits at __syncthreads for the other half, which waits in a shuffle for the first: a deadlock
extern "C" __global__ void sim_divergent_barrier(float* __restrict__ y) {
    float v = (float)threadIdx.x;
    if (threadIdx.x < 16) __syncthreads();
    v = __shfl_down_sync(0xffffffffu, v, 1);
    y[threadIdx.x] = v;
}

// y[i] = 100 / d
extern "C" __global__ void sim_integer_divide(int* __restrict__ y, int d) {
    y[threadIdx.x] = 100 / d;
}
