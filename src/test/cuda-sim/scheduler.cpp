// scheduler.cpp: runs a kernel's grid on the CPU.
//
// Blocks are handed out to the simulator's worker threads (CUDA_SIM_THREADS, default one per CPU the process
// may use). A worker runs one block at a time: every simulated thread of the block is a fiber with its own
// stack, started in thread-index order and run until it finishes or waits at a barrier (__syncthreads, a warp
// barrier, a shuffle). When every live thread of the block (or of a warp) waits at its barrier, they all go
// on. Threads waiting at different barriers that can never meet are a deadlock, reported as a launch failure,
// where a GPU would hang. A thread that finishes gives its stack to the next one, so kernels without barriers
// use one stack per worker.
//
// Faults: SIGSEGV, SIGBUS, SIGFPE and SIGILL raised by kernel code on a worker end that block (siglongjmp
// back to the worker) and fail the launch with the kernel, block, thread and address; every other signal goes
// to the handler that was installed before ours (the JVM's), so the JVM's own use of SIGSEGV is unaffected.
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "sim.h"

__thread cudasim::Place cudasim_place __attribute__((tls_model("initial-exec")));

namespace cudasim {
namespace {

// ---- fibers ----
#if defined(__x86_64__)
// switches stacks: saves the callee-saved registers on the current stack, stores its pointer in *from, loads
// `to` and pops the registers saved there (System V AMD64 ABI)
extern "C" void cudasim_switch(void** from, void* to);
asm(R"(
    .text
    .globl cudasim_switch
    .hidden cudasim_switch
    .type cudasim_switch, @function
cudasim_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size cudasim_switch, .-cudasim_switch
)");
#else
#error "the CUDA simulator's fibers are written for x86-64"
#endif

const int MAX_THREADS = 1024;

enum State { NEW, READY, AT_BLOCK_BARRIER, AT_WARP_BARRIER, DONE };

struct Fiber {
    void* sp;
    char* stack;
    State state;
    uint3 tid;
    unsigned linear;
};

struct Job;

struct Worker {
    void* schedulerSp = nullptr;
    Fiber* current = nullptr;
    std::vector<Fiber> fibers;
    std::vector<char*> freeStacks;
    unsigned long long exchange[MAX_THREADS];  // 32 slots per warp
    const Job* job = nullptr;
    sigjmp_buf onFault;
    volatile sig_atomic_t inKernel = 0;
    int faultSignal = 0;
    int faultCode = 0;
    void* faultAddress = nullptr;
};

__thread Worker* tWorker __attribute__((tls_model("initial-exec")));

size_t stackBytes() {
    static const size_t s = (size_t)envNumber("CUDA_SIM_STACK_KB", 256) << 10;
    return s;
}

char* takeStack(Worker& w) {
    if (!w.freeStacks.empty()) {
        char* s = w.freeStacks.back();
        w.freeStacks.pop_back();
        return s;
    }
    size_t guard = 4096, size = stackBytes();
    void* m = mmap(nullptr, size + guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        say("cannot map a %zu-byte fiber stack", size);
        abort();
    }
    mprotect(m, guard, PROT_NONE);  // overflowing the stack faults
    return (char*)m + guard;
}

[[noreturn]] void fiberMain();

void* initialStack(char* stack) {
    uintptr_t top = ((uintptr_t)stack + stackBytes()) & ~(uintptr_t)15;
    void** sp = (void**)top;
    *--sp = nullptr;                     // fiberMain's return address: it never returns
    *--sp = (void*)&fiberMain;           // where cudasim_switch's `ret` goes
    for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp rbx r12 r13 r14 r15
    return sp;
}

// ---- jobs and workers ----
struct Job {
    const KernelDef* kernel;
    void* args;
    dim3 grid, block;
    long long blocks;
    long long next = 0;  // next block to hand out, under pool.mu
    std::atomic<long long> finished{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::condition_variable cv;
    bool complete = false;
    int error = OK;
    std::string message;
};

// never destroyed: the workers wait on these until the process ends, and destroying a condition variable
// with waiters blocks exit
struct Pool {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Job*> queue;
};
Pool& pool = *new Pool();
std::once_flag started;
int workers = 1;

void wait(State s) {
    Worker* w = tWorker;
    if (w == nullptr || w->current == nullptr) {
        say("a barrier or warp shuffle was called outside a kernel");
        abort();
    }
    w->current->state = s;
    cudasim_switch(&w->current->sp, w->schedulerSp);
}

[[noreturn]] void fiberMain() {
    Worker* w = tWorker;
    w->job->kernel->body(w->job->kernel->fn, w->job->args);
    w->current->state = DONE;
    cudasim_switch(&w->current->sp, w->schedulerSp);
    __builtin_unreachable();
}

const char* signalName(int sig, int code) {
    switch (sig) {
        case SIGSEGV: return "segmentation fault (an access outside device memory)";
        case SIGBUS: return "bus error (a misaligned or unmapped access)";
        case SIGFPE: return code == FPE_INTDIV ? "integer division by zero" : "arithmetic exception";
        case SIGILL: return "illegal instruction";
        default: return "signal";
    }
}

// Runs one block; returns OK or an error code with the message in *error.
int runBlock(Worker& w, const Job& job, long long linear, std::string* error) {
    const dim3 g = job.grid, b = job.block;
    uint3 blockId{(unsigned)(linear % g.x), (unsigned)(linear / g.x % g.y), (unsigned)(linear / g.x / g.y)};
    unsigned n = b.x * b.y * b.z;
    cudasim_place.block = blockId;
    cudasim_place.blockDim = b;
    cudasim_place.gridDim = g;
    w.fibers.resize(n);
    for (unsigned i = 0; i < n; i++) {
        w.fibers[i] = Fiber{nullptr, nullptr, NEW, uint3{i % b.x, i / b.x % b.y, i / b.x / b.y}, i};
    }
    w.job = &job;
    if (sigsetjmp(w.onFault, 1) != 0) {
        Worker* me = tWorker;  // after the jump, nothing but the worker itself is trusted
        me->inKernel = 0;
        const Fiber* f = me->current;
        *error = format("kernel %s, block (%u,%u,%u), thread (%u,%u,%u): %s at address %p, %s", job.kernel->name,
                        blockId.x, blockId.y, blockId.z, f ? f->tid.x : 0, f ? f->tid.y : 0, f ? f->tid.z : 0,
                        signalName(me->faultSignal, me->faultCode), me->faultAddress,
                        me->faultSignal == SIGFPE || me->faultSignal == SIGILL
                            ? "in the kernel's code"
                            : describe((uintptr_t)me->faultAddress).c_str());
        for (Fiber& other : me->fibers) {
            if (other.stack != nullptr && other.state != DONE) me->freeStacks.push_back(other.stack);
            other.stack = nullptr;
        }
        me->current = nullptr;
        return me->faultSignal == SIGSEGV || me->faultSignal == SIGBUS ? ERR_ILLEGAL_ADDRESS
               : me->faultSignal == SIGILL                            ? ERR_ILLEGAL_INSTRUCTION
                                                                      : ERR_LAUNCH_FAILED;
    }
    w.inKernel = 1;
    unsigned live = n;
    for (;;) {
        for (unsigned i = 0; i < n; i++) {
            Fiber& f = w.fibers[i];
            if (f.state == NEW) {
                f.stack = takeStack(w);
                f.sp = initialStack(f.stack);
                f.state = READY;
            }
            if (f.state != READY) continue;
            w.current = &f;
            cudasim_place.thread = f.tid;
            cudasim_switch(&w.schedulerSp, f.sp);
            if (f.state == DONE) {
                w.freeStacks.push_back(f.stack);
                f.stack = nullptr;
                live--;
            }
        }
        w.current = nullptr;
        if (live == 0) break;
        // every live thread at __syncthreads: all go on
        unsigned atBlock = 0;
        for (const Fiber& f : w.fibers) atBlock += f.state == AT_BLOCK_BARRIER;
        bool released = false;
        if (atBlock == live) {
            for (Fiber& f : w.fibers) {
                if (f.state == AT_BLOCK_BARRIER) f.state = READY;
            }
            released = true;
        } else {
            // every live lane of a warp at the warp barrier: that warp goes on
            for (unsigned first = 0; first < n; first += 32) {
                unsigned end = first + 32 < n ? first + 32 : n, waiting = 0, alive = 0;
                for (unsigned i = first; i < end; i++) {
                    alive += w.fibers[i].state != DONE;
                    waiting += w.fibers[i].state == AT_WARP_BARRIER;
                }
                if (waiting > 0 && waiting == alive) {
                    for (unsigned i = first; i < end; i++) {
                        if (w.fibers[i].state == AT_WARP_BARRIER) w.fibers[i].state = READY;
                    }
                    released = true;
                }
            }
        }
        if (!released) {
            unsigned atWarp = 0;
            for (const Fiber& f : w.fibers) atWarp += f.state == AT_WARP_BARRIER;
            for (Fiber& f : w.fibers) {
                if (f.stack != nullptr) w.freeStacks.push_back(f.stack);
                f.stack = nullptr;
            }
            w.inKernel = 0;
            *error = format("kernel %s, block (%u,%u,%u): deadlock: %u thread(s) wait at __syncthreads, %u at a warp "
                            "barrier or shuffle, %u finished; a barrier in divergent code can never complete "
                            "(on a GPU the launch would hang)",
                            job.kernel->name, blockId.x, blockId.y, blockId.z, atBlock, atWarp, n - live);
            return ERR_LAUNCH_FAILED;
        }
    }
    w.inKernel = 0;
    return OK;
}

void workerLoop() {
    Worker* w = new Worker();
    tWorker = w;
    // faults are handled on an alternate stack: a fiber that overflows its own stack has none left
    stack_t alt{};
    alt.ss_size = 1 << 16;
    alt.ss_sp = malloc(alt.ss_size);
    sigaltstack(&alt, nullptr);
    // asynchronous signals go to the JVM's threads, never to a worker
    sigset_t all;
    sigfillset(&all);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigdelset(&all, s);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
        Job* job;
        long long index;
        {
            std::unique_lock<std::mutex> g(pool.mu);
            pool.cv.wait(g, [] { return !pool.queue.empty(); });
            job = pool.queue.front();
            index = job->next++;
            if (job->next >= job->blocks) pool.queue.pop_front();
        }
        std::string error;
        int r = job->failed.load() ? OK : runBlock(*w, *job, index, &error);
        if (r != OK && !job->failed.exchange(true)) {
            std::lock_guard<std::mutex> g(job->mu);
            job->error = r;
            job->message = error;
        }
        if (job->finished.fetch_add(1) + 1 == job->blocks) {
            std::lock_guard<std::mutex> g(job->mu);
            job->complete = true;
            job->cv.notify_all();
        }
    }
}

void startWorkers() {
    cpu_set_t set;
    int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : (int)std::thread::hardware_concurrency();
    workers = (int)envNumber("CUDA_SIM_THREADS", cpus > 0 ? cpus : 1);
    if (workers < 1) workers = 1;
    for (int i = 0; i < workers; i++) std::thread(workerLoop).detach();
}

// ---- fault handlers ----
const int FAULTS[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction previous[4];
std::mutex handlerMu;

int slot(int sig) {
    for (int i = 0; i < 4; i++) {
        if (FAULTS[i] == sig) return i;
    }
    return -1;
}

void onFault(int sig, siginfo_t* info, void* context) {
    Worker* w = tWorker;
    if (w != nullptr && w->inKernel) {
        w->faultSignal = sig;
        w->faultCode = info->si_code;
        w->faultAddress = info->si_addr;
        siglongjmp(w->onFault, 1);
    }
    // not a kernel's: the previous handler's (the JVM uses SIGSEGV for null checks and safepoints)
    int i = slot(sig);
    struct sigaction& p = previous[i];
    if (p.sa_flags & SA_SIGINFO) {
        p.sa_sigaction(sig, info, context);
    } else if (p.sa_handler == SIG_IGN) {
        return;
    } else if (p.sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);  // returning re-executes the faulting instruction, now fatal as it should be
    } else {
        p.sa_handler(sig);
    }
}

}  // namespace

void syncthreads() { wait(AT_BLOCK_BARRIER); }
void syncwarp() { wait(AT_WARP_BARRIER); }
unsigned laneId() { return tWorker->current->linear & 31; }
unsigned long long* warpExchange() { return &tWorker->exchange[tWorker->current->linear & ~31u]; }

void installFaultHandlers() {
    std::lock_guard<std::mutex> g(handlerMu);
    for (int i = 0; i < 4; i++) {
        struct sigaction now {};
        sigaction(FAULTS[i], nullptr, &now);
        if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == &onFault) continue;
        previous[i] = now;  // chain to whatever is installed now (the JVM's handler)
        struct sigaction ours {};
        ours.sa_sigaction = &onFault;
        ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&ours.sa_mask);
        sigaction(FAULTS[i], &ours, nullptr);
    }
}

int workerCount() {
    std::call_once(started, startWorkers);
    return workers;
}

int runGrid(const KernelDef* k, void* args, dim3 grid, dim3 block, std::string* error) {
    workerCount();
    installFaultHandlers();  // again: something (an OpenCL driver's LLVM, a signal guard) may have replaced them
    Job job;
    job.kernel = k;
    job.args = args;
    job.grid = grid;
    job.block = block;
    job.blocks = (long long)grid.x * grid.y * grid.z;
    auto t0 = std::chrono::steady_clock::now();
    {
        std::lock_guard<std::mutex> g(pool.mu);
        pool.queue.push_back(&job);
    }
    pool.cv.notify_all();
    {
        std::unique_lock<std::mutex> g(job.mu);
        job.cv.wait(g, [&] { return job.complete; });
    }
    static const bool trace = envNumber("CUDA_SIM_TRACE", 0) != 0;
    if (trace) {
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        say("%s<<<(%u,%u,%u), (%u,%u,%u)>>> %.3f ms%s", k->name, grid.x, grid.y, grid.z, block.x, block.y, block.z, ms,
            job.error == OK ? "" : " FAILED");
    }
    if (job.error != OK) *error = job.message;
    return job.error;
}

}  // namespace cudasim
