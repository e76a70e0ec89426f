// cuda_sim.h: what gapnet's CUDA kernels (cuda-kernels/*.cu) need to compile as C++ for the CUDA simulator.
//
// The build (src/test/cuda-sim/build) compiles every .cu file with `g++ -include cuda_sim.h`, so the kernel
// sources are the same text nvcc compiles. Every simulated GPU thread is a fiber with its own stack; the
// fibers of one block run on one CPU thread and switch only at __syncthreads, __syncwarp and the warp
// shuffles, so a block's __shared__ arrays can be per-CPU-thread storage. Blocks run in parallel on the
// simulator's worker threads (see scheduler.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

struct uint3 {
    unsigned int x, y, z;
};
struct dim3 {
    unsigned int x, y, z;
};
// CUDA's vector type for 16-byte loads and stores (its alignment as on the GPU)
struct alignas(16) float4 {
    float x, y, z, w;
};

namespace cudasim {
// Where the running simulated thread is. The scheduler sets `thread` before it resumes each fiber.
struct Place {
    uint3 thread;
    uint3 block;
    dim3 blockDim;
    dim3 gridDim;
};
}  // namespace cudasim

// initial-exec: a plain %fs-relative load in the kernels' hot loops, no __tls_get_addr call
extern __thread cudasim::Place cudasim_place __attribute__((tls_model("initial-exec")));

namespace cudasim {
void syncthreads();                 // the block barrier
void syncwarp();                    // the warp barrier
unsigned laneId();                  // 0..31 within the warp
unsigned long long* warpExchange(); // 32 slots, one per lane, shared by the lanes of the current warp

// Exchanges one value per lane: every lane of the warp publishes `v`, then reads lane `src`'s.
template <class T>
T exchange(T v, unsigned src) {
    static_assert(sizeof(T) <= sizeof(unsigned long long), "shuffles move at most 8 bytes");
    unsigned long long* slots = warpExchange();
    unsigned long long bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    slots[laneId()] = bits;
    syncwarp();
    unsigned long long got = slots[src & 31];
    syncwarp();  // nobody overwrites its slot before every lane has read
    T r;
    std::memcpy(&r, &got, sizeof(T));
    return r;
}
}  // namespace cudasim

#ifndef CUDASIM_RUNTIME  // the simulator's own sources need the declarations above only
#define threadIdx (cudasim_place.thread)
#define blockIdx (cudasim_place.block)
#define blockDim (cudasim_place.blockDim)
#define gridDim (cudasim_place.gridDim)
#define warpSize 32

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))  // GCC takes it anywhere among the specifiers, as nvcc does
// one array per CPU thread: exactly one block runs on a worker thread at a time
#define __shared__ static __thread
#define __syncthreads() cudasim::syncthreads()
#define __syncwarp(...) cudasim::syncwarp()

// ---- warp shuffles and votes (full-warp masks; each is a warp barrier, as on the GPU) ----
template <class T>
inline T __shfl_sync(unsigned, T v, int srcLane, int width = 32) {
    unsigned lane = cudasim::laneId();
    return cudasim::exchange(v, (lane & ~(unsigned)(width - 1)) + ((unsigned)srcLane & (unsigned)(width - 1)));
}
template <class T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
    unsigned lane = cudasim::laneId();
    unsigned inSegment = lane & (unsigned)(width - 1);
    return cudasim::exchange(v, inSegment + delta < (unsigned)width ? lane + delta : lane);
}
template <class T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
    unsigned lane = cudasim::laneId();
    unsigned inSegment = lane & (unsigned)(width - 1);
    return cudasim::exchange(v, inSegment >= delta ? lane - delta : lane);
}
template <class T>
inline T __shfl_xor_sync(unsigned, T v, int laneMask, int width = 32) {
    unsigned lane = cudasim::laneId();
    unsigned src = lane ^ (unsigned)laneMask;
    // a lane may read an earlier segment, never a later one
    return cudasim::exchange(v, (src / (unsigned)width) > (lane / (unsigned)width) ? lane : src);
}
inline unsigned __ballot_sync(unsigned, int predicate) {
    unsigned long long* slots = cudasim::warpExchange();
    slots[cudasim::laneId()] = predicate ? 1 : 0;
    cudasim::syncwarp();
    unsigned bits = 0;
    for (unsigned i = 0; i < 32; i++) bits |= (unsigned)(slots[i] & 1) << i;
    cudasim::syncwarp();
    return bits;
}
inline int __any_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) { return __ballot_sync(mask, predicate) == 0xffffffffu; }
inline unsigned __activemask() { return 0xffffffffu; }

// ---- device maths that C++ spells differently ----
using std::isfinite;
using std::isinf;
using std::isnan;
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }
inline int __float_as_int(float x) { int i; std::memcpy(&i, &x, 4); return i; }
inline float __int_as_float(int i) { float x; std::memcpy(&x, &i, 4); return x; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }

// ---- atomics: blocks run in parallel on several CPU threads, so these are real (relaxed) atomics ----
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
    return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}
inline float atomicAdd(float* p, float v) {
    unsigned* bits = reinterpret_cast<unsigned*>(p);
    unsigned old = __atomic_load_n(bits, __ATOMIC_RELAXED), next;
    do {
        float sum = __int_as_float((int)old) + v;
        next = (unsigned)__float_as_int(sum);
    } while (!__atomic_compare_exchange_n(bits, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return __int_as_float((int)old);
}
inline int atomicMax(int* p, int v) {
    int old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline int atomicMin(int* p, int v) {
    int old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old > v && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
inline int atomicCAS(int* p, int expected, int desired) {
    __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    return expected;
}
inline int atomicExch(int* p, int v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }
#endif  // CUDASIM_RUNTIME

// ---- kernel registration: the build appends CUDASIM_KERNEL(name) for every kernel a .cu file defines ----
namespace cudasim {
// One kernel parameter as the C++ signature declares it.
struct ParamInfo {
    unsigned size;
    bool pointer;
    bool floating;
};

struct KernelDef {
    const char* name;
    void (*fn)();
    int nparams;
    const ParamInfo* params;
    size_t argsSize;   // the decoded arguments (a std::tuple) live in a buffer of this size
    size_t argsAlign;
    void (*decode)(void** kernelParams, void* args);  // copies cuLaunchKernel's parameter values
    void (*body)(void (*fn)(), void* args);           // one simulated thread: fn(args...)
    void (*destroy)(void* args);
};

void registerKernel(const KernelDef* def);

template <class T>
T loadParam(void* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));  // exactly as many bytes as the kernel's parameter has, as on the GPU
    return v;
}

template <class... A>
struct Thunk {
    using Args = std::tuple<std::decay_t<A>...>;
    template <size_t... I>
    static void decodeAll(void** kp, void* out, std::index_sequence<I...>) {
        new (out) Args(loadParam<std::decay_t<A>>(kp[I])...);
    }
    static void decode(void** kp, void* out) { decodeAll(kp, out, std::index_sequence_for<A...>{}); }
    static void body(void (*fn)(), void* args) {
        std::apply(reinterpret_cast<void (*)(A...)>(fn), *static_cast<Args*>(args));
    }
    static void destroy(void* args) { static_cast<Args*>(args)->~Args(); }
};

struct Registrar {
    template <class... A>
    Registrar(const char* name, void (*fn)(A...)) {
        static_assert(sizeof...(A) < 64, "too many kernel parameters");
        ParamInfo* params = new ParamInfo[sizeof...(A) + 1]{
            ParamInfo{(unsigned)sizeof(std::decay_t<A>), std::is_pointer_v<std::decay_t<A>>,
                      std::is_floating_point_v<std::decay_t<A>>}...};
        using T = Thunk<A...>;
        registerKernel(new KernelDef{name, reinterpret_cast<void (*)()>(fn), (int)sizeof...(A), params,
                                     sizeof(typename T::Args), alignof(typename T::Args), &T::decode, &T::body,
                                     &T::destroy});
    }
};
}  // namespace cudasim

#define CUDASIM_KERNEL(name) static const cudasim::Registrar cudasim_kernel_##name(#name, &name);
