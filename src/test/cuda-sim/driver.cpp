// driver.cpp: the CUDA driver API entry points that gapnet (through JCuda) calls, on the CPU.
//
// What a real driver checks, this one checks too, so that gapnet's mistakes fail here as they would on a
// GPU: cuInit before anything, a current context for every call that needs one (the usual bug in
// multi-threaded code), live handles, copies and memsets inside one allocation, launch shapes within the
// device's limits, kernel names that the loaded fatbin really contains (read from its sm_90 ELF symbol
// table), and pointer arguments that are device addresses. A fault in a kernel is, as on a GPU, a sticky
// error of the context: cuLaunchKernel returns success and every later call returns the error, until the
// context is released. Work on streams runs at once, in call order, on the calling thread's behalf, except on a
// stream being captured (cuStreamBeginCapture): there kernels, copies, memsets and cuBLAS calls are recorded, not
// run, and run at each cuGraphLaunch of the graph made from them. While a thread captures, the calls a GPU
// forbids it (synchronising, the legacy default stream, allocating or freeing memory) fail as they would there
// and invalidate the capture.
#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "sim.h"

namespace cudasim {

void say(const char* fmt, ...) {
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "cuda-sim: %s\n", line);
    fflush(stderr);
}

std::string format(const char* fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

long envNumber(const char* name, long fallback) {
    const char* v = getenv(name);
    if (v == nullptr || *v == 0) return fallback;
    char* end;
    long n = strtol(v, &end, 10);
    return *end == 0 ? n : fallback;
}

namespace {
std::map<std::string, const KernelDef*>& registry() {
    static auto* r = new std::map<std::string, const KernelDef*>();
    return *r;
}
}  // namespace

void registerKernel(const KernelDef* def) { registry()[def->name] = def; }

const KernelDef* findKernel(const std::string& name) {
    auto it = registry().find(name);
    return it == registry().end() ? nullptr : it->second;
}

namespace {

struct Context {
    int id;
    int device;
    int refs = 0;
    unsigned generation = 0;
    bool alive = false;
    bool primary = false;
    int sticky = OK;
};

// work recorded from a stream being captured, run in order at each launch of its graph; a step returns a CUresult
using Work = std::vector<std::function<int()>>;

struct Stream {
    Context* ctx;
    unsigned generation;
    bool alive = true;
    // while captured: what was recorded, and whether a forbidden call has invalidated the capture
    std::shared_ptr<Work> capture;
    bool invalidated = false;
};

struct Graph {
    std::shared_ptr<Work> work;
    bool alive = true;
};

struct GraphExec {
    std::shared_ptr<Work> work;
    Context* ctx;
    bool alive = true;
};

struct Module {
    Context* ctx;
    unsigned generation;
    bool alive = true;
    std::set<std::string> kernels;
};

struct Function {
    Module* module;
    const KernelDef* def;
};

struct Event {
    bool recorded = false;
    std::chrono::steady_clock::time_point when;
    bool alive = true;
};

std::recursive_mutex mu;
bool initialised = false;
std::vector<Context*> primaries;
std::set<Context*> contexts;
std::set<Stream*> streams;
std::set<Module*> modules;
std::set<Function*> functions;
std::set<Event*> events;
std::set<Graph*> graphs;
std::set<GraphExec*> graphExecs;
int nextContextId = 0;

thread_local Context* current = nullptr;
thread_local unsigned currentGeneration = 0;
// the stream this thread is capturing (gapnet captures in thread-local mode: the restrictions are this thread's)
thread_local Stream* capturing = nullptr;

int deviceCount() {
    static const int n = (int)envNumber("CUDA_SIM_DEVICES", 1);
    return n < 0 ? 0 : n;
}

// the current context, or why there is none; `sticky` errors count unless the caller only reads state
int need(Context** out, bool stickyCounts = true) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    Context* c = current;
    if (c == nullptr) return ERR_INVALID_CONTEXT;
    if (!c->alive || c->generation != currentGeneration) return ERR_CONTEXT_IS_DESTROYED;
    if (stickyCounts && c->sticky != OK) return c->sticky;
    *out = c;
    return OK;
}

// need() for calls that do the rest of their work outside the lock (allocation, release)
int needLocked(Context** out) {
    std::lock_guard<std::recursive_mutex> g(mu);
    return need(out);
}

int checkStream(Context* c, void* s) {
    if (s == nullptr) return OK;  // the default stream
    Stream* st = (Stream*)s;
    if (!streams.count(st) || !st->alive || st->ctx != c || st->generation != c->generation) return ERR_INVALID_HANDLE;
    return OK;
}

// A call this thread may not make while it captures: the capture is invalidated and the call fails, as on a GPU.
int forbiddenWhileCapturing(const char* what, int code) {
    say("%s while this thread captures a stream into a graph: %s; the capture is invalidated", what,
        code == ERR_STREAM_CAPTURE_IMPLICIT ? "the legacy default stream would wait for the captured work"
                                            : "the call is not allowed during stream capture");
    capturing->invalidated = true;
    return code;
}

// For work enqueued on `s`: OK to run it now, or (when `s` is being captured) records it and returns -1.
int runOrRecord(void* s, std::function<int()> work) {
    if (capturing == nullptr) return OK;
    if (s == nullptr) return forbiddenWhileCapturing("work on the legacy default stream", ERR_STREAM_CAPTURE_IMPLICIT);
    Stream* st = (Stream*)s;
    if (st != capturing) return OK;
    if (!st->invalidated) st->capture->push_back(std::move(work));
    return -1;
}

void fail(Context* c, int code, const std::string& why) {
    say("%s; the context now reports error %d to every call (as a GPU would), until it is released", why.c_str(), code);
    if (c->sticky == OK) c->sticky = code;
}

int owner(Context* c) { return c->id; }

void destroyContext(Context* c) {
    c->alive = false;
    c->sticky = OK;
    releaseAllOf(owner(c));
}

int checkRange(uintptr_t p, size_t bytes, const char* what) {
    std::string why;
    if (bytes == 0 || contains(p, bytes, true, &why)) return OK;
    say("%s: %s", what, why.c_str());
    return ERR_INVALID_VALUE;
}

int copy(void* dst, const void* src, size_t bytes, bool dstDevice, bool srcDevice, void* stream, const char* what) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r == OK) r = checkStream(c, stream);
    if (r == OK && dstDevice) r = checkRange((uintptr_t)dst, bytes, format("%s destination", what).c_str());
    if (r == OK && srcDevice) r = checkRange((uintptr_t)src, bytes, format("%s source", what).c_str());
    if (r != OK) return r;
    r = runOrRecord(stream, [=] { if (bytes > 0) memmove(dst, src, bytes); return OK; });
    if (r != OK) return r < 0 ? OK : r;
    if (bytes > 0) memmove(dst, src, bytes);
    return OK;
}

template <class T>
int fill(uintptr_t dst, T value, size_t count, void* stream, const char* what) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r == OK) r = checkStream(c, stream);
    if (r == OK) r = checkRange(dst, count * sizeof(T), what);
    if (r != OK) return r;
    auto work = [=] {
        T* p = (T*)dst;
        for (size_t i = 0; i < count; i++) p[i] = value;
        return OK;
    };
    r = runOrRecord(stream, work);
    if (r != OK) return r < 0 ? OK : r;
    return work();
}

int synchronize(void* stream) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r == OK) r = checkStream(c, stream);
    if (r == OK && capturing != nullptr) {
        r = stream == nullptr ? forbiddenWhileCapturing("synchronising the legacy default stream", ERR_STREAM_CAPTURE_IMPLICIT)
            : stream == capturing ? forbiddenWhileCapturing("synchronising the stream being captured",
                                                           ERR_STREAM_CAPTURE_UNSUPPORTED)
                                  : OK;
    }
    return r;
}

// ---- fatbin / cubin / PTX: the names of the kernels an image defines ----
struct ElfSymbols {
    bool ok = false;
    std::set<std::string> kernels;
};

template <class T>
bool read(const unsigned char* data, size_t size, size_t offset, T* out) {
    if (offset > size || sizeof(T) > size - offset) return false;
    std::memcpy(out, data + offset, sizeof(T));
    return true;
}

// the global functions marked as kernel entries (st_other & 0x10, STO_CUDA_ENTRY) in a CUDA ELF's .symtab
ElfSymbols cubinKernels(const unsigned char* d, size_t n) {
    ElfSymbols out;
    uint16_t machine, shentsize, shnum;
    uint64_t shoff;
    if (n < 64 || std::memcmp(d, "\x7f" "ELF\x02", 5) != 0 || !read(d, n, 18, &machine) || machine != 190) return out;
    if (!read(d, n, 40, &shoff) || !read(d, n, 58, &shentsize) || !read(d, n, 60, &shnum) || shentsize < 64) return out;
    for (uint16_t i = 0; i < shnum; i++) {
        size_t sh = shoff + (size_t)i * shentsize;
        uint32_t type, link;
        uint64_t off, size, entsize;
        if (!read(d, n, sh + 4, &type) || !read(d, n, sh + 24, &off) || !read(d, n, sh + 32, &size) ||
            !read(d, n, sh + 40, &link) || !read(d, n, sh + 56, &entsize)) {
            return out;
        }
        if (type != 2 /* SHT_SYMTAB */) continue;
        uint64_t strOff, strSize;
        size_t strSh = shoff + (size_t)link * shentsize;
        if (!read(d, n, strSh + 24, &strOff) || !read(d, n, strSh + 32, &strSize) || strOff > n || strSize > n - strOff) {
            return out;
        }
        if (entsize < 24) return out;
        for (uint64_t s = off; s + 24 <= off + size && s + 24 <= n; s += entsize) {
            uint32_t name;
            unsigned char info, other;
            if (!read(d, n, s, &name) || !read(d, n, s + 4, &info) || !read(d, n, s + 5, &other)) break;
            if ((info & 0xf) == 2 /* STT_FUNC */ && (info >> 4) == 1 /* STB_GLOBAL */ && (other & 0x10) && name < strSize) {
                const char* p = (const char*)d + strOff + name;
                out.kernels.insert(std::string(p, strnlen(p, strSize - name)));
            }
        }
        out.ok = true;
    }
    return out;
}

// `.entry NAME(` in PTX text
std::set<std::string> ptxKernels(const char* text, size_t n) {
    std::set<std::string> out;
    std::string s(text, strnlen(text, n));
    for (size_t at = s.find(".entry"); at != std::string::npos; at = s.find(".entry", at + 6)) {
        size_t b = at + 6;
        while (b < s.size() && isspace((unsigned char)s[b])) b++;
        size_t e = b;
        while (e < s.size() && (isalnum((unsigned char)s[e]) || s[e] == '_' || s[e] == '$')) e++;
        if (e > b) out.insert(s.substr(b, e - b));
    }
    return out;
}

const int SIMULATED_ARCH = 90;

// The kernels of a module image: a fatbin (the ELF for sm_90, or the newest one below it, as a driver picks
// SASS), a bare cubin, or PTX text.
int imageKernels(const void* image, std::set<std::string>* out, std::string* why) {
    const unsigned char* d = (const unsigned char*)image;
    uint32_t magic;
    std::memcpy(&magic, d, 4);
    if (magic == 0xBA55ED50u) {
        uint16_t headerSize;
        uint64_t fatSize;
        std::memcpy(&headerSize, d + 6, 2);
        std::memcpy(&fatSize, d + 8, 8);
        size_t n = (size_t)headerSize + fatSize;
        int bestArch = -1;
        std::string archs;
        for (size_t off = headerSize; off + 64 <= n;) {
            uint16_t kind;
            uint32_t entryHeader, arch;
            uint64_t payload;
            if (!read(d, n, off, &kind) || !read(d, n, off + 4, &entryHeader) || !read(d, n, off + 8, &payload) ||
                !read(d, n, off + 28, &arch) || entryHeader < 64 || payload > n) {
                break;
            }
            const unsigned char* body = d + off + entryHeader;
            archs += format("%s%s_%u", archs.empty() ? "" : ", ", kind == 2 ? "sm" : "compute", arch);
            if (kind == 2 && (int)arch <= SIMULATED_ARCH && (int)arch > bestArch && off + entryHeader + payload <= n) {
                ElfSymbols e = cubinKernels(body, payload);
                if (e.ok) {
                    bestArch = (int)arch;
                    *out = e.kernels;
                }
            }
            off += entryHeader + payload;
        }
        if (bestArch < 0) {
            *why = format("the fatbin has no readable ELF for sm_%d or older (it holds: %s)", SIMULATED_ARCH,
                          archs.empty() ? "nothing" : archs.c_str());
            return ERR_NO_BINARY_FOR_GPU;
        }
        return OK;
    }
    if (std::memcmp(d, "\x7f" "ELF", 4) == 0) {
        uint64_t shoff;
        uint16_t shentsize, shnum;
        std::memcpy(&shoff, d + 40, 8);
        std::memcpy(&shentsize, d + 58, 2);
        std::memcpy(&shnum, d + 60, 2);
        ElfSymbols e = cubinKernels(d, shoff + (size_t)shentsize * shnum);
        if (!e.ok) {
            *why = "the ELF image is not a CUDA cubin with a symbol table";
            return ERR_INVALID_IMAGE;
        }
        *out = e.kernels;
        return OK;
    }
    const char* text = (const char*)image;
    if (strstr(text, ".version") != nullptr && strstr(text, ".target") != nullptr) {
        *out = ptxKernels(text, strlen(text));
        return OK;
    }
    *why = "the image is neither a fatbin, a cubin nor PTX text";
    return ERR_INVALID_IMAGE;
}

const char* errorName(int e) {
    switch (e) {
        case OK: return "CUDA_SUCCESS";
        case ERR_INVALID_VALUE: return "CUDA_ERROR_INVALID_VALUE";
        case ERR_OUT_OF_MEMORY: return "CUDA_ERROR_OUT_OF_MEMORY";
        case ERR_NOT_INITIALIZED: return "CUDA_ERROR_NOT_INITIALIZED";
        case ERR_NO_DEVICE: return "CUDA_ERROR_NO_DEVICE";
        case ERR_INVALID_DEVICE: return "CUDA_ERROR_INVALID_DEVICE";
        case ERR_INVALID_IMAGE: return "CUDA_ERROR_INVALID_IMAGE";
        case ERR_INVALID_CONTEXT: return "CUDA_ERROR_INVALID_CONTEXT";
        case ERR_NO_BINARY_FOR_GPU: return "CUDA_ERROR_NO_BINARY_FOR_GPU";
        case ERR_INVALID_HANDLE: return "CUDA_ERROR_INVALID_HANDLE";
        case ERR_NOT_FOUND: return "CUDA_ERROR_NOT_FOUND";
        case ERR_NOT_READY: return "CUDA_ERROR_NOT_READY";
        case ERR_ILLEGAL_ADDRESS: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case ERR_LAUNCH_OUT_OF_RESOURCES: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case ERR_CONTEXT_IS_DESTROYED: return "CUDA_ERROR_CONTEXT_IS_DESTROYED";
        case ERR_ILLEGAL_INSTRUCTION: return "CUDA_ERROR_ILLEGAL_INSTRUCTION";
        case ERR_LAUNCH_FAILED: return "CUDA_ERROR_LAUNCH_FAILED";
        case ERR_NOT_SUPPORTED: return "CUDA_ERROR_NOT_SUPPORTED";
        case ERR_ILLEGAL_STATE: return "CUDA_ERROR_ILLEGAL_STATE";
        case ERR_STREAM_CAPTURE_UNSUPPORTED: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case ERR_STREAM_CAPTURE_INVALIDATED: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case ERR_STREAM_CAPTURE_IMPLICIT: return "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT";
        default: return nullptr;
    }
}

const char* errorText(int e) {
    switch (e) {
        case OK: return "no error";
        case ERR_INVALID_VALUE: return "invalid argument";
        case ERR_OUT_OF_MEMORY: return "out of memory";
        case ERR_NOT_INITIALIZED: return "initialization error";
        case ERR_NO_DEVICE: return "no CUDA-capable device is detected";
        case ERR_INVALID_DEVICE: return "invalid device ordinal";
        case ERR_INVALID_IMAGE: return "device kernel image is invalid";
        case ERR_INVALID_CONTEXT: return "invalid device context";
        case ERR_NO_BINARY_FOR_GPU: return "no kernel image is available for execution on the device";
        case ERR_INVALID_HANDLE: return "invalid resource handle";
        case ERR_NOT_FOUND: return "named symbol not found";
        case ERR_NOT_READY: return "device not ready";
        case ERR_ILLEGAL_ADDRESS: return "an illegal memory access was encountered";
        case ERR_LAUNCH_OUT_OF_RESOURCES: return "too many resources requested for launch";
        case ERR_CONTEXT_IS_DESTROYED: return "context is destroyed";
        case ERR_ILLEGAL_INSTRUCTION: return "an illegal instruction was encountered";
        case ERR_LAUNCH_FAILED: return "unspecified launch failure";
        case ERR_NOT_SUPPORTED: return "operation not supported";
        case ERR_ILLEGAL_STATE: return "the operation cannot be performed in the present state";
        case ERR_STREAM_CAPTURE_UNSUPPORTED: return "operation not permitted when stream is capturing";
        case ERR_STREAM_CAPTURE_INVALIDATED: return "operation failed due to a previous error during capture";
        case ERR_STREAM_CAPTURE_IMPLICIT: return "operation would make the legacy stream depend on a capturing blocking stream";
        default: return nullptr;
    }
}

}  // namespace

}  // namespace cudasim

using namespace cudasim;

typedef unsigned long long CUdeviceptr;
typedef int CUdevice;

extern "C" {

int cudasim_unsupported(const char* function) {
    static std::mutex once;
    static std::set<std::string> said;
    std::lock_guard<std::mutex> g(once);
    if (said.insert(function).second) {
        say("%s is not simulated (CUDA_ERROR_NOT_SUPPORTED); implement it in src/test/cuda-sim/ when gapnet starts "
            "to call it", function);
    }
    return ERR_NOT_SUPPORTED;
}

int cudasim_context_status(void) {
    Context* c;
    return needLocked(&c);
}

int cudasim_stream_valid(void* stream) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    return need(&c, false) == OK && checkStream(c, stream) == OK;
}

int cudasim_device_range(unsigned long long p, size_t bytes, char* why, size_t whyLength) {
    std::string reason;
    if (contains((uintptr_t)p, bytes, false, &reason)) return 1;
    if (why != nullptr && whyLength > 0) snprintf(why, whyLength, "%s", reason.c_str());
    return 0;
}

// ---- initialisation, versions, errors ----
int cuInit(unsigned flags) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (flags != 0) return ERR_INVALID_VALUE;
    if (!initialised) {
        // the kernels: libcudasim-kernels.so beside this library registers them as it loads
        Dl_info self;
        std::string dir = dladdr((void*)&cuInit, &self) && self.dli_fname ? self.dli_fname : "";
        dir = dir.substr(0, dir.find_last_of('/') + 1);
        if (dlopen((dir + "libcudasim-kernels.so").c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr) {
            say("cannot load the simulated kernels: %s", dlerror());
            return ERR_NOT_INITIALIZED;
        }
        for (int i = 0; i < deviceCount(); i++) {
            Context* c = new Context();
            c->id = ++nextContextId;
            c->device = i;
            c->primary = true;
            primaries.push_back(c);
            contexts.insert(c);
        }
        initialised = true;
        installFaultHandlers();
    }
    return deviceCount() == 0 ? ERR_NO_DEVICE : OK;
}

int cuDriverGetVersion(int* v) {
    if (v == nullptr) return ERR_INVALID_VALUE;
    *v = 13000;
    return OK;
}

int cuGetErrorName(int e, const char** out) {
    if (out == nullptr) return ERR_INVALID_VALUE;
    *out = errorName(e);
    return *out ? OK : ERR_INVALID_VALUE;
}

int cuGetErrorString(int e, const char** out) {
    if (out == nullptr) return ERR_INVALID_VALUE;
    *out = errorText(e);
    return *out ? OK : ERR_INVALID_VALUE;
}

// ---- devices ----
int cuDeviceGetCount(int* n) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (n == nullptr) return ERR_INVALID_VALUE;
    *n = deviceCount();
    return OK;
}

int cuDeviceGet(CUdevice* d, int ordinal) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d == nullptr) return ERR_INVALID_VALUE;
    if (ordinal < 0 || ordinal >= deviceCount()) return ERR_INVALID_DEVICE;
    *d = ordinal;
    return OK;
}

int cuDeviceGetName(char* name, int length, CUdevice d) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (name == nullptr || length <= 0) return ERR_INVALID_VALUE;
    snprintf(name, (size_t)length, "gapnet CUDA simulator (sm_%d on %d CPU threads)", SIMULATED_ARCH, workerCount());
    return OK;
}

int cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (bytes == nullptr) return ERR_INVALID_VALUE;
    *bytes = deviceCapacity();
    return OK;
}

int cuDeviceGetAttribute(int* v, int attribute, CUdevice d) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (v == nullptr) return ERR_INVALID_VALUE;
    switch (attribute) {
        case 1: *v = 1024; break;                       // max threads per block
        case 2: case 3: *v = 1024; break;               // max block dim x, y
        case 4: *v = 64; break;                         // max block dim z
        case 5: *v = 2147483647; break;                 // max grid dim x
        case 6: case 7: *v = 65535; break;              // max grid dim y, z
        case 8: *v = 48 << 10; break;                   // shared memory per block
        case 9: *v = 64 << 10; break;                   // constant memory
        case 10: *v = 32; break;                        // warp size
        case 12: *v = 65536; break;                     // registers per block
        case 13: *v = 1000000; break;                   // clock rate, kHz
        case 16: *v = workerCount(); break;             // multiprocessors: one per worker thread
        case 39: *v = 2048; break;                      // max threads per multiprocessor
        case 41: *v = 1; break;                         // unified addressing
        case 75: *v = SIMULATED_ARCH / 10; break;       // compute capability major
        case 76: *v = SIMULATED_ARCH % 10; break;       // compute capability minor
        case 81: *v = 228 << 10; break;                 // shared memory per multiprocessor
        case 97: *v = 227 << 10; break;                 // shared memory per block, opt-in
        default:
            if (attribute <= 0 || attribute > 150) return ERR_INVALID_VALUE;
            *v = 0;
    }
    return OK;
}

int cuDeviceComputeCapability(int* major, int* minor, CUdevice d) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (major == nullptr || minor == nullptr) return ERR_INVALID_VALUE;
    *major = SIMULATED_ARCH / 10;
    *minor = SIMULATED_ARCH % 10;
    return OK;
}

// ---- contexts ----
int cuDevicePrimaryCtxRetain(void** pctx, CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (pctx == nullptr) return ERR_INVALID_VALUE;
    Context* c = primaries[(size_t)d];
    if (c->refs++ == 0) {
        c->generation++;
        c->alive = true;
        c->sticky = OK;
    }
    *pctx = c;
    return OK;
}

int cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    Context* c = primaries[(size_t)d];
    if (c->refs == 0) return ERR_INVALID_CONTEXT;
    if (--c->refs == 0) destroyContext(c);
    return OK;
}

int cuDevicePrimaryCtxGetState(CUdevice d, unsigned* flags, int* active) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (flags) *flags = 0;
    if (active) *active = primaries[(size_t)d]->alive ? 1 : 0;
    return OK;
}

int cuDevicePrimaryCtxSetFlags_v2(CUdevice d, unsigned) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    return d < 0 || d >= deviceCount() ? ERR_INVALID_DEVICE : OK;
}

int cuDevicePrimaryCtxReset_v2(CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    Context* c = primaries[(size_t)d];
    if (c->alive) {
        destroyContext(c);
        c->refs = 0;
    }
    return OK;
}

int cuCtxCreate_v2(void** pctx, unsigned, CUdevice d) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (d < 0 || d >= deviceCount()) return ERR_INVALID_DEVICE;
    if (pctx == nullptr) return ERR_INVALID_VALUE;
    Context* c = new Context();
    c->id = ++nextContextId;
    c->device = d;
    c->refs = 1;
    c->generation = 1;
    c->alive = true;
    contexts.insert(c);
    current = c;
    currentGeneration = c->generation;
    *pctx = c;
    return OK;
}

int cuCtxDestroy_v2(void* ctx) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c = (Context*)ctx;
    if (!contexts.count(c) || c->primary || !c->alive) return ERR_INVALID_CONTEXT;
    destroyContext(c);
    if (current == c) current = nullptr;
    return OK;
}

int cuCtxSetCurrent(void* ctx) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    Context* c = (Context*)ctx;
    if (c != nullptr && (!contexts.count(c) || !c->alive)) return ERR_INVALID_CONTEXT;
    current = c;
    currentGeneration = c ? c->generation : 0;
    return OK;
}

int cuCtxGetCurrent(void** pctx) {
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (pctx == nullptr) return ERR_INVALID_VALUE;
    *pctx = current;
    return OK;
}

int cuCtxPushCurrent_v2(void* ctx) { return cuCtxSetCurrent(ctx); }

int cuCtxPopCurrent_v2(void** pctx) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!initialised) return ERR_NOT_INITIALIZED;
    if (current == nullptr) return ERR_INVALID_CONTEXT;
    if (pctx) *pctx = current;
    current = nullptr;
    return OK;
}

int cuCtxGetDevice(CUdevice* d) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c, false);
    if (r != OK) return r;
    if (d == nullptr) return ERR_INVALID_VALUE;
    *d = c->device;
    return OK;
}

int cuCtxSynchronize(void) { return synchronize(nullptr); }

// ---- memory ----
int cuMemAlloc_v2(CUdeviceptr* p, size_t bytes) {
    if (capturing != nullptr) return forbiddenWhileCapturing("cuMemAlloc", ERR_STREAM_CAPTURE_UNSUPPORTED);
    Context* c;
    if (int r = needLocked(&c); r != OK) return r;
    if (p == nullptr) return ERR_INVALID_VALUE;
    uintptr_t base;
    int r = allocate(bytes, false, owner(c), &base);
    if (r == OK) *p = base;
    return r;
}

int cuMemFree_v2(CUdeviceptr p) {
    if (capturing != nullptr) return forbiddenWhileCapturing("cuMemFree", ERR_STREAM_CAPTURE_UNSUPPORTED);
    Context* c;
    if (int r = needLocked(&c); r != OK) return r;
    if (p == 0) return OK;
    std::string why;
    int r = release((uintptr_t)p, false, &why);
    if (r != OK) say("cuMemFree: %s", why.c_str());
    return r;
}

int cuMemGetInfo_v2(size_t* freeBytes, size_t* totalBytes) {
    Context* c;
    if (int r = needLocked(&c); r != OK) return r;
    if (freeBytes == nullptr || totalBytes == nullptr) return ERR_INVALID_VALUE;
    *totalBytes = deviceCapacity();
    *freeBytes = deviceCapacity() - deviceBytesInUse();
    return OK;
}

int cuMemAllocHost_v2(void** pp, size_t bytes) {
    if (capturing != nullptr) return forbiddenWhileCapturing("cuMemAllocHost", ERR_STREAM_CAPTURE_UNSUPPORTED);
    Context* c;
    if (int r = needLocked(&c); r != OK) return r;
    if (pp == nullptr) return ERR_INVALID_VALUE;
    uintptr_t base;
    int r = allocate(bytes, true, owner(c), &base);
    if (r == OK) *pp = (void*)base;
    return r;
}

int cuMemHostAlloc(void** pp, size_t bytes, unsigned) { return cuMemAllocHost_v2(pp, bytes); }

int cuMemFreeHost(void* p) {
    if (capturing != nullptr) return forbiddenWhileCapturing("cuMemFreeHost", ERR_STREAM_CAPTURE_UNSUPPORTED);
    Context* c;
    if (int r = needLocked(&c); r != OK) return r;
    std::string why;
    int r = release((uintptr_t)p, true, &why);
    if (r != OK) say("cuMemFreeHost: %s", why.c_str());
    return r;
}

int cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) {
    return copy((void*)dst, src, n, true, false, nullptr, "cuMemcpyHtoD");
}
int cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, void* s) {
    return copy((void*)dst, src, n, true, false, s, "cuMemcpyHtoDAsync");
}
int cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) {
    return copy(dst, (const void*)src, n, false, true, nullptr, "cuMemcpyDtoH");
}
int cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, void* s) {
    return copy(dst, (const void*)src, n, false, true, s, "cuMemcpyDtoHAsync");
}
int cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    return copy((void*)dst, (const void*)src, n, true, true, nullptr, "cuMemcpyDtoD");
}
int cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    return copy((void*)dst, (const void*)src, n, true, true, s, "cuMemcpyDtoDAsync");
}
int cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    bool dd = contains((uintptr_t)dst, 0, false, nullptr), sd = contains((uintptr_t)src, 0, false, nullptr);
    return copy((void*)dst, (const void*)src, n, dd, sd, nullptr, "cuMemcpy");
}
int cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, void* s) {
    bool dd = contains((uintptr_t)dst, 0, false, nullptr), sd = contains((uintptr_t)src, 0, false, nullptr);
    return copy((void*)dst, (const void*)src, n, dd, sd, s, "cuMemcpyAsync");
}

int cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return fill<unsigned char>(d, v, n, nullptr, "cuMemsetD8"); }
int cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void* s) { return fill<unsigned char>(d, v, n, s, "cuMemsetD8Async"); }
int cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return fill<unsigned short>(d, v, n, nullptr, "cuMemsetD16"); }
int cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void* s) { return fill<unsigned short>(d, v, n, s, "cuMemsetD16Async"); }
int cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { return fill<unsigned>(d, v, n, nullptr, "cuMemsetD32"); }
int cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void* s) { return fill<unsigned>(d, v, n, s, "cuMemsetD32Async"); }

// ---- streams and events ----
int cuStreamCreate(void** ps, unsigned) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    if (ps == nullptr) return ERR_INVALID_VALUE;
    Stream* s = new Stream{c, c->generation};
    streams.insert(s);
    *ps = s;
    return OK;
}

int cuStreamCreateWithPriority(void** ps, unsigned flags, int) { return cuStreamCreate(ps, flags); }

int cuStreamDestroy_v2(void* s) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c, false);
    if (r != OK) return r;
    if (s == nullptr || checkStream(c, s) != OK) return ERR_INVALID_HANDLE;
    ((Stream*)s)->alive = false;
    return OK;
}

int cuStreamSynchronize(void* s) { return synchronize(s); }
int cuStreamQuery(void* s) { return synchronize(s); }

int cuStreamWaitEvent(void* s, void* e, unsigned) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!events.count((Event*)e) || !((Event*)e)->alive) return ERR_INVALID_HANDLE;
    return synchronize(s);
}

int cuEventCreate(void** pe, unsigned) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    if (pe == nullptr) return ERR_INVALID_VALUE;
    Event* e = new Event();
    events.insert(e);
    *pe = e;
    return OK;
}

int cuEventRecord(void* e, void* s) {
    std::lock_guard<std::recursive_mutex> g(mu);
    int r = synchronize(s);
    if (r != OK) return r;
    Event* ev = (Event*)e;
    if (!events.count(ev) || !ev->alive) return ERR_INVALID_HANDLE;
    ev->recorded = true;
    ev->when = std::chrono::steady_clock::now();
    return OK;
}

int cuEventRecordWithFlags(void* e, void* s, unsigned) { return cuEventRecord(e, s); }

int cuEventSynchronize(void* e) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Event* ev = (Event*)e;
    if (!events.count(ev) || !ev->alive) return ERR_INVALID_HANDLE;
    return synchronize(nullptr);
}

int cuEventQuery(void* e) { return cuEventSynchronize(e); }

int cuEventElapsedTime(float* ms, void* start, void* end) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Event *a = (Event*)start, *b = (Event*)end;
    if (!events.count(a) || !events.count(b) || !a->alive || !b->alive) return ERR_INVALID_HANDLE;
    if (ms == nullptr) return ERR_INVALID_VALUE;
    if (!a->recorded || !b->recorded) return ERR_INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(b->when - a->when).count();
    return OK;
}

int cuEventDestroy_v2(void* e) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Event* ev = (Event*)e;
    if (!events.count(ev) || !ev->alive) return ERR_INVALID_HANDLE;
    ev->alive = false;
    return OK;
}

// ---- stream capture and graphs ----
int cuStreamBeginCapture_v2(void* s, int mode) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    if (s == nullptr) return ERR_STREAM_CAPTURE_UNSUPPORTED;  // the legacy stream cannot be captured
    if ((r = checkStream(c, s)) != OK) return r;
    if (mode != 1) {
        say("cuStreamBeginCapture: only CU_STREAM_CAPTURE_MODE_THREAD_LOCAL (1) is simulated, not mode %d", mode);
        return ERR_NOT_SUPPORTED;
    }
    Stream* st = (Stream*)s;
    if (st->capture || capturing != nullptr) return ERR_ILLEGAL_STATE;
    st->capture = std::make_shared<Work>();
    st->invalidated = false;
    capturing = st;
    return OK;
}

int cuStreamEndCapture(void* s, void** pgraph) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c, false);
    if (r != OK) return r;
    if (s == nullptr || checkStream(c, s) != OK) return ERR_INVALID_HANDLE;
    if (pgraph == nullptr) return ERR_INVALID_VALUE;
    Stream* st = (Stream*)s;
    if (!st->capture || capturing != st) return ERR_ILLEGAL_STATE;
    std::shared_ptr<Work> work = std::move(st->capture);
    st->capture.reset();
    capturing = nullptr;
    *pgraph = nullptr;
    if (st->invalidated) return ERR_STREAM_CAPTURE_INVALIDATED;
    Graph* graph = new Graph{work};
    graphs.insert(graph);
    *pgraph = graph;
    return OK;
}

int cuStreamIsCapturing(void* s, int* status) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c, false);
    if (r == OK) r = checkStream(c, s);
    if (r != OK) return r;
    if (status == nullptr) return ERR_INVALID_VALUE;
    Stream* st = (Stream*)s;
    *status = st != nullptr && st->capture ? (st->invalidated ? 2 : 1) : 0;
    return OK;
}

int cuGraphInstantiateWithFlags(void** pexec, void* graph, unsigned long long) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    if (pexec == nullptr) return ERR_INVALID_VALUE;
    Graph* gr = (Graph*)graph;
    if (!graphs.count(gr) || !gr->alive) return ERR_INVALID_HANDLE;
    GraphExec* e = new GraphExec{gr->work, c};
    graphExecs.insert(e);
    *pexec = e;
    return OK;
}

int cuGraphLaunch(void* exec, void* s) {
    std::shared_ptr<Work> work;
    {
        std::lock_guard<std::recursive_mutex> g(mu);
        Context* c;
        int r = need(&c);
        if (r == OK) r = checkStream(c, s);
        if (r != OK) return r;
        GraphExec* e = (GraphExec*)exec;
        if (!graphExecs.count(e) || !e->alive || e->ctx != c) return ERR_INVALID_HANDLE;
        if (capturing != nullptr) return forbiddenWhileCapturing("cuGraphLaunch", ERR_STREAM_CAPTURE_UNSUPPORTED);
        work = e->work;
    }
    for (auto& step : *work) {
        int r = step();
        if (r != OK) return r;
    }
    return OK;
}

int cuGraphDestroy(void* graph) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Graph* gr = (Graph*)graph;
    if (!graphs.count(gr) || !gr->alive) return ERR_INVALID_HANDLE;
    gr->alive = false;
    gr->work.reset();  // an instantiated graph keeps its own reference
    return OK;
}

int cuGraphExecDestroy(void* exec) {
    std::lock_guard<std::recursive_mutex> g(mu);
    GraphExec* e = (GraphExec*)exec;
    if (!graphExecs.count(e) || !e->alive) return ERR_INVALID_HANDLE;
    e->alive = false;
    e->work.reset();
    return OK;
}

int cudasim_enqueue(void* stream, int (*fn)(void*), void* data, void (*dispose)(void*)) {
    std::shared_ptr<void> owned(data, [dispose](void* d) { if (dispose) dispose(d); });
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r == OK) r = checkStream(c, stream);
    if (r != OK) return r;
    r = runOrRecord(stream, [fn, owned] { return fn(owned.get()); });
    if (r != OK) return r < 0 ? OK : r;
    return fn(owned.get());
}

int cuLaunchHostFunc(void* s, void (*fn)(void*), void* data) {
    int r = synchronize(s);
    if (r != OK) return r;
    if (fn == nullptr) return ERR_INVALID_VALUE;
    fn(data);
    return OK;
}

// ---- modules and kernels ----
int cuModuleLoadData(void** pm, const void* image) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    if (pm == nullptr || image == nullptr) return ERR_INVALID_VALUE;
    std::set<std::string> names;
    std::string why;
    r = imageKernels(image, &names, &why);
    if (r != OK) {
        say("cuModuleLoadData: %s", why.c_str());
        return r;
    }
    Module* m = new Module{c, c->generation};
    m->kernels = std::move(names);
    modules.insert(m);
    *pm = m;
    return OK;
}

int cuModuleLoadDataEx(void** pm, const void* image, unsigned, void*, void**) { return cuModuleLoadData(pm, image); }
int cuModuleLoadFatBinary(void** pm, const void* image) { return cuModuleLoadData(pm, image); }

int cuModuleUnload(void* mod) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c, false);
    if (r != OK) return r;
    Module* m = (Module*)mod;
    if (!modules.count(m) || !m->alive) return ERR_INVALID_HANDLE;
    m->alive = false;
    return OK;
}

int cuModuleGetFunction(void** pf, void* mod, const char* name) {
    std::lock_guard<std::recursive_mutex> g(mu);
    Context* c;
    int r = need(&c);
    if (r != OK) return r;
    Module* m = (Module*)mod;
    if (!modules.count(m) || !m->alive || m->ctx != c || m->generation != c->generation) return ERR_INVALID_HANDLE;
    if (pf == nullptr || name == nullptr) return ERR_INVALID_VALUE;
    if (!m->kernels.count(name)) return ERR_NOT_FOUND;  // exactly what a GPU says: the fatbin has no such kernel
    const KernelDef* def = findKernel(name);
    if (def == nullptr) {
        say("kernel %s is in the fatbin but not in this build of the simulator (rebuild it: src/test/cuda-sim/build)", name);
        return ERR_NOT_FOUND;
    }
    Function* f = new Function{m, def};
    functions.insert(f);
    *pf = f;
    return OK;
}

int cuFuncGetAttribute(int* v, int attribute, void* fn) {
    std::lock_guard<std::recursive_mutex> g(mu);
    if (!functions.count((Function*)fn)) return ERR_INVALID_HANDLE;
    if (v == nullptr) return ERR_INVALID_VALUE;
    switch (attribute) {
        case 0: *v = 1024; break;  // max threads per block
        case 4: *v = 32; break;    // registers
        case 5: case 6: *v = SIMULATED_ARCH; break;  // PTX and binary version
        default: *v = 0;
    }
    return OK;
}

int cuFuncSetAttribute(void* fn, int, int) {
    std::lock_guard<std::recursive_mutex> g(mu);
    return functions.count((Function*)fn) ? OK : ERR_INVALID_HANDLE;
}

int cuLaunchKernel(void* fn, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned sharedBytes, void* stream, void** params, void** extra) {
    Context* c;
    const KernelDef* k;
    {
        std::lock_guard<std::recursive_mutex> g(mu);
        int r = need(&c);
        if (r != OK) return r;
        Function* f = (Function*)fn;
        if (!functions.count(f) || !f->module->alive || f->module->ctx != c || f->module->generation != c->generation) {
            return ERR_INVALID_HANDLE;
        }
        if ((r = checkStream(c, stream)) != OK) return r;
        k = f->def;
        if (capturing != nullptr && (stream == nullptr || stream == capturing)) {
            // recorded with a copy of its parameter values, launched (on the default stream) at each graph launch
            std::vector<std::vector<unsigned char>> values;
            for (int i = 0; params != nullptr && i < k->nparams; i++) {
                const unsigned char* v = (const unsigned char*)params[i];
                values.emplace_back(v, v + k->params[i].size);
            }
            bool hasParams = params != nullptr;
            r = runOrRecord(stream, [=]() mutable {
                std::vector<void*> ps;
                for (auto& v : values) ps.push_back(v.data());
                return cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, sharedBytes, nullptr, hasParams ? ps.data() : nullptr, extra);
            });
            return r < 0 ? OK : r;
        }
    }
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0 || gx > 2147483647u || gy > 65535 ||
        gz > 65535 || bx > 1024 || by > 1024 || bz > 64) {
        say("cuLaunchKernel %s: grid (%u,%u,%u) or block (%u,%u,%u) is outside the device's limits", k->name, gx, gy, gz,
            bx, by, bz);
        return ERR_INVALID_VALUE;
    }
    if ((unsigned long long)bx * by * bz > 1024) {
        say("cuLaunchKernel %s: %llu threads per block; the device allows 1024", k->name,
            (unsigned long long)bx * by * bz);
        return ERR_INVALID_VALUE;
    }
    if (sharedBytes != 0) {
        say("cuLaunchKernel %s: dynamic shared memory is not simulated", k->name);
        return ERR_NOT_SUPPORTED;
    }
    if (extra != nullptr) {
        say("cuLaunchKernel %s: parameters through `extra` are not simulated", k->name);
        return ERR_NOT_SUPPORTED;
    }
    if (k->nparams > 0 && params == nullptr) return ERR_INVALID_VALUE;
    // a pointer parameter must hold a device address (or null); anything else would fault on a GPU
    for (int i = 0; i < k->nparams; i++) {
        if (!k->params[i].pointer) continue;
        uintptr_t p;
        std::memcpy(&p, params[i], sizeof p);
        std::string why;
        if (p != 0 && !contains(p, 0, true, &why)) {
            std::lock_guard<std::recursive_mutex> g(mu);
            fail(c, ERR_ILLEGAL_ADDRESS, format("kernel %s, parameter %d (a pointer): %s", k->name, i, why.c_str()));
            return OK;
        }
    }
    alignas(64) unsigned char inline_args[512];
    void* args = k->argsSize <= sizeof inline_args && k->argsAlign <= 64 ? inline_args : aligned_alloc(64, (k->argsSize + 63) / 64 * 64);
    k->decode(params, args);
    std::string error;
    int r = runGrid(k, args, dim3{gx, gy, gz}, dim3{bx, by, bz}, &error);
    k->destroy(args);
    if (args != inline_args) free(args);
    if (r != OK) {
        std::lock_guard<std::recursive_mutex> g(mu);
        fail(c, r, error);
    }
    return OK;  // as on a GPU, a fault shows at the next synchronising call
}

}  // extern "C"
