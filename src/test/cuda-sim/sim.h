// sim.h: the parts of the CUDA simulator that its source files share (not seen by the kernels).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#define CUDASIM_RUNTIME
#include "cuda_sim.h"

namespace cudasim {

// CUresult values (cuda.h) the simulator returns
enum : int {
    OK = 0,
    ERR_INVALID_VALUE = 1,
    ERR_OUT_OF_MEMORY = 2,
    ERR_NOT_INITIALIZED = 3,
    ERR_NO_DEVICE = 100,
    ERR_INVALID_DEVICE = 101,
    ERR_INVALID_IMAGE = 200,
    ERR_INVALID_CONTEXT = 201,
    ERR_NO_BINARY_FOR_GPU = 209,
    ERR_INVALID_HANDLE = 400,
    ERR_NOT_FOUND = 500,
    ERR_NOT_READY = 600,
    ERR_ILLEGAL_ADDRESS = 700,
    ERR_LAUNCH_OUT_OF_RESOURCES = 701,
    ERR_CONTEXT_IS_DESTROYED = 709,
    ERR_ILLEGAL_INSTRUCTION = 715,
    ERR_LAUNCH_FAILED = 719,
    ERR_ILLEGAL_STATE = 401,
    ERR_NOT_SUPPORTED = 801,
    ERR_STREAM_CAPTURE_UNSUPPORTED = 900,
    ERR_STREAM_CAPTURE_INVALIDATED = 901,
    ERR_STREAM_CAPTURE_IMPLICIT = 906,
    ERR_UNKNOWN = 999,
};

// "cuda-sim: ..." on standard error
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// an environment variable as a number, or `fallback`
long envNumber(const char* name, long fallback);

// ---- memory.cpp: device and pinned host memory as host memory between guard pages ----
// Allocates `bytes` for context `owner`; the block ends where an inaccessible page begins and is filled with
// 0xFF bytes (a float NaN), so reads past the end fault and reads of unwritten memory show.
int allocate(size_t bytes, bool host, int owner, uintptr_t* out);
int release(uintptr_t base, bool host, std::string* why);
// Whether [p, p + bytes) lies inside one live allocation (pinned host memory too when `hostToo`).
bool contains(uintptr_t p, size_t bytes, bool hostToo, std::string* why);
// What an address is, for fault messages: inside, before or past which allocation, or freed.
std::string describe(uintptr_t address);
void releaseAllOf(int owner);
size_t deviceBytesInUse();
size_t deviceCapacity();

// ---- scheduler.cpp: runs a grid on the worker threads ----
// Runs every block of the grid; returns OK, or an error code with `error` saying what happened where.
int runGrid(const KernelDef* k, void* args, dim3 grid, dim3 block, std::string* error);
// Installs the fault handlers (again, when something replaced them), chaining to the previous ones.
void installFaultHandlers();
int workerCount();

// ---- driver.cpp: the kernels compiled in, by name ----
const KernelDef* findKernel(const std::string& name);

}  // namespace cudasim

// used by the stand-in cuBLAS (cublas.cpp, another library)
extern "C" {
// CUDA_SUCCESS when a context is current on this thread and has no sticky error, else the error
int cudasim_context_status(void);
// whether `stream` is 0 or a live stream of the current context
int cudasim_stream_valid(void* stream);
// 1 when [p, p + bytes) is device memory; else 0, with the reason in why (why may be null)
int cudasim_device_range(unsigned long long p, size_t bytes, char* why, size_t whyLength);
// Runs fn(data) now, or records it into the capture of `stream` (run at each launch of the graph); dispose(data)
// runs when the work is done with (at once, or when the graph goes). Returns a CUresult.
int cudasim_enqueue(void* stream, int (*fn)(void*), void* data, void (*dispose)(void*));
}
