// cublas.cpp: a stand-in libcublas.so.12 for the CUDA simulator, so that the cuBLAS branch of gapnet's CUDA
// backend (JCublas2, which links libcublas.so.12) runs without a GPU. It implements what gapnet calls:
// handles, streams, pointer modes and single-precision GEMM, column-major as cuBLAS defines it, with
// cuBLAS's argument checks (leading dimensions, operations) and the simulator's checks that every matrix lies
// inside device memory. Everything else JCublas2 imports is a stub that returns CUBLAS_STATUS_NOT_SUPPORTED.
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#include "sim.h"

namespace {

enum : int {
    STATUS_SUCCESS = 0,
    STATUS_NOT_INITIALIZED = 1,
    STATUS_INVALID_VALUE = 7,
    STATUS_EXECUTION_FAILED = 13,
    STATUS_NOT_SUPPORTED = 15,
};

struct Handle {
    void* stream = nullptr;
    int pointerMode = 0;  // CUBLAS_POINTER_MODE_HOST
    bool alive = true;
};

std::mutex mu;
std::set<Handle*> handles;

bool live(Handle* h) {
    std::lock_guard<std::mutex> g(mu);
    return handles.count(h) && h->alive;
}

void say(const char* what) {
    fprintf(stderr, "cuda-sim cuBLAS: %s\n", what);
    fflush(stderr);
}

// a column-major matrix of `rows` x `cols` with leading dimension `ld` inside device memory
bool inDevice(const float* p, long long rows, long long cols, long long ld, const char* name) {
    if (rows == 0 || cols == 0) return true;
    size_t bytes = (size_t)(ld * (cols - 1) + rows) * sizeof(float);
    char why[512];
    if (cudasim_device_range((unsigned long long)(uintptr_t)p, bytes, why, sizeof why)) return true;
    std::string m = std::string("cublasSgemm: matrix ") + name + ": " + why;
    say(m.c_str());
    return false;
}

}  // namespace

extern "C" {

int cudasim_cublas_unsupported(const char* function) {
    static std::set<std::string> said;
    std::lock_guard<std::mutex> g(mu);
    if (said.insert(function).second) {
        std::string m = std::string(function) + " is not simulated (CUBLAS_STATUS_NOT_SUPPORTED)";
        say(m.c_str());
    }
    return STATUS_NOT_SUPPORTED;
}

int cublasCreate_v2(Handle** out) {
    if (out == nullptr) return STATUS_INVALID_VALUE;
    if (cudasim_context_status() != 0) return STATUS_NOT_INITIALIZED;
    Handle* h = new Handle();
    std::lock_guard<std::mutex> g(mu);
    handles.insert(h);
    *out = h;
    return STATUS_SUCCESS;
}

int cublasDestroy_v2(Handle* h) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    h->alive = false;
    return STATUS_SUCCESS;
}

int cublasGetVersion_v2(Handle* h, int* version) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (version == nullptr) return STATUS_INVALID_VALUE;
    *version = 120600;
    return STATUS_SUCCESS;
}

int cublasSetStream_v2(Handle* h, void* stream) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (!cudasim_stream_valid(stream)) return STATUS_INVALID_VALUE;
    h->stream = stream;
    return STATUS_SUCCESS;
}

int cublasGetStream_v2(Handle* h, void** stream) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (stream == nullptr) return STATUS_INVALID_VALUE;
    *stream = h->stream;
    return STATUS_SUCCESS;
}

int cublasSetPointerMode_v2(Handle* h, int mode) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (mode != 0 && mode != 1) return STATUS_INVALID_VALUE;
    h->pointerMode = mode;
    return STATUS_SUCCESS;
}

int cublasGetPointerMode_v2(Handle* h, int* mode) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (mode == nullptr) return STATUS_INVALID_VALUE;
    *mode = h->pointerMode;
    return STATUS_SUCCESS;
}

// C = alpha op(A) op(B) + beta C, column-major; op is 0 (N), 1 (T) or 2 (C, which for real data is T)
struct Sgemm {
    bool ta, tb;
    long long m, n, k;
    float a, b;
    const float* A;
    long long lda;
    const float* B;
    long long ldb;
    float* C;
    long long ldc;
};

int runSgemm(void* p) {
    const Sgemm& g = *(const Sgemm*)p;
    const bool ta = g.ta, tb = g.tb;
    const long long m = g.m, n = g.n, k = g.k, lda = g.lda, ldb = g.ldb, ldc = g.ldc;
    const float a = g.a, b = g.b;
    const float *A = g.A, *B = g.B;
    float* C = g.C;
    for (long long j = 0; j < n; j++) {
        for (long long i = 0; i < m; i++) {
            float sum = 0.0f;
            if (a != 0.0f) {
                for (long long p = 0; p < k; p++) {
                    float x = ta ? A[i * lda + p] : A[p * lda + i];
                    float y = tb ? B[p * ldb + j] : B[j * ldb + p];
                    sum = fmaf(x, y, sum);
                }
            }
            float* c = &C[j * ldc + i];
            *c = b == 0.0f ? a * sum : a * sum + b * *c;  // with beta 0, C is not read (it may hold NaN)
        }
    }
    return 0;
}

int cublasSgemm_v2(Handle* h, int transa, int transb, int m, int n, int k, const float* alpha, const float* A,
                   int lda, const float* B, int ldb, const float* beta, float* C, int ldc) {
    if (!live(h)) return STATUS_NOT_INITIALIZED;
    if (transa < 0 || transa > 2 || transb < 0 || transb > 2 || m < 0 || n < 0 || k < 0) return STATUS_INVALID_VALUE;
    bool ta = transa != 0, tb = transb != 0;
    long long aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
    if (lda < (aRows > 1 ? aRows : 1) || ldb < (bRows > 1 ? bRows : 1) || ldc < (m > 1 ? m : 1)) {
        say("cublasSgemm: a leading dimension is smaller than its matrix's rows (CUBLAS_STATUS_INVALID_VALUE)");
        return STATUS_INVALID_VALUE;
    }
    if (alpha == nullptr || beta == nullptr) return STATUS_INVALID_VALUE;
    if (cudasim_context_status() != 0 || !cudasim_stream_valid(h->stream)) return STATUS_EXECUTION_FAILED;
    if (m == 0 || n == 0) return STATUS_SUCCESS;
    float a, b;
    if (h->pointerMode == 0) {
        a = *alpha;
        b = *beta;
    } else {
        if (!inDevice(alpha, 1, 1, 1, "alpha") || !inDevice(beta, 1, 1, 1, "beta")) return STATUS_EXECUTION_FAILED;
        a = *alpha;
        b = *beta;
    }
    if ((k > 0 && a != 0.0f && (!inDevice(A, aRows, aCols, lda, "A") || !inDevice(B, bRows, bCols, ldb, "B"))) ||
        !inDevice(C, m, n, ldc, "C")) {
        return STATUS_EXECUTION_FAILED;
    }
    // runs now, or at each launch of the graph when the handle's stream is being captured (alpha and beta are read
    // here, as cuBLAS reads host scalars when it is called)
    Sgemm* job = new Sgemm{ta, tb, m, n, k, a, b, A, lda, B, ldb, C, ldc};
    int r = cudasim_enqueue(h->stream, runSgemm, job, [](void* p) { delete (Sgemm*)p; });
    return r == 0 ? STATUS_SUCCESS : STATUS_EXECUTION_FAILED;
}

}  // extern "C"
