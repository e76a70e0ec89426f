// memory.cpp: the simulator's device memory and pinned host memory.
//
// Every allocation is its own mapping: an inaccessible page, the data pages, an inaccessible page. The block
// is placed so that it ends exactly where the trailing guard page begins (start aligned to CUDA_SIM_ALIGN
// bytes, 4 by default, so a float buffer ends at the guard page), so reading or writing one element past the
// end faults at once. A new block is filled with 0xFF bytes (every float a NaN) so that reading memory nobody
// wrote shows up in results. Freed blocks stay mapped without access for a while (a quarantine), so a kernel
// that uses freed memory faults too, and the fault message can say which allocation it was.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>

#include "sim.h"

namespace cudasim {
namespace {

struct Block {
    uintptr_t base;
    size_t size;
    char* map;
    size_t mapLength;
    bool host;
    int owner;
    unsigned long id;
};

std::mutex mu;
std::map<uintptr_t, Block> live;  // by base address
std::deque<Block> quarantine;      // freed blocks, inaccessible, oldest first
size_t quarantined = 0;
unsigned long nextId = 1;
size_t deviceUsed = 0;

size_t page() {
    static const size_t p = (size_t)sysconf(_SC_PAGESIZE);
    return p;
}

size_t alignment() {
    static const size_t a = [] {
        long v = envNumber("CUDA_SIM_ALIGN", 4);
        return v > 0 && (v & (v - 1)) == 0 ? (size_t)v : (size_t)4;
    }();
    return a;
}

const size_t QUARANTINE_BYTES = (size_t)1 << 30;  // address space only: quarantined pages are dropped

std::string describeBlock(const Block& b) {
    return format("%s allocation #%lu (%zu bytes at 0x%llx)", b.host ? "pinned host" : "device", b.id, b.size,
                  (unsigned long long)b.base);
}

const Block* find(uintptr_t p) {
    auto it = live.upper_bound(p);
    if (it == live.begin()) return nullptr;
    --it;
    return p >= it->second.base && p - it->second.base <= it->second.size ? &it->second : nullptr;
}

}  // namespace

size_t deviceCapacity() {
    static const size_t cap = [] {
        long mb = envNumber("CUDA_SIM_MEMORY_MB", 0);
        if (mb > 0) return (size_t)mb << 20;
        long pages = sysconf(_SC_PHYS_PAGES);
        size_t quarter = pages > 0 ? (size_t)pages * page() / 4 : (size_t)4 << 30;
        return std::min(quarter, (size_t)4 << 30);
    }();
    return cap;
}

size_t deviceBytesInUse() {
    std::lock_guard<std::mutex> g(mu);
    return deviceUsed;
}

int allocate(size_t bytes, bool host, int owner, uintptr_t* out) {
    if (bytes == 0) return ERR_INVALID_VALUE;
    if (bytes > deviceCapacity()) return ERR_OUT_OF_MEMORY;
    size_t pg = page();
    size_t data = (bytes + alignment() - 1 + pg - 1) / pg * pg;
    size_t length = data + 2 * pg;
    {
        std::lock_guard<std::mutex> g(mu);
        if (!host && deviceUsed + bytes > deviceCapacity()) return ERR_OUT_OF_MEMORY;
        if (!host) deviceUsed += bytes;  // reserved now, given back below if the mapping fails
    }
    void* m = mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED || mprotect((char*)m + pg, data, PROT_READ | PROT_WRITE) != 0) {
        if (m != MAP_FAILED) munmap(m, length);
        std::lock_guard<std::mutex> g(mu);
        if (!host) deviceUsed -= bytes;
        return ERR_OUT_OF_MEMORY;
    }
    char* end = (char*)m + pg + data;
    uintptr_t base = ((uintptr_t)end - bytes) & ~(uintptr_t)(alignment() - 1);
    std::memset((void*)base, 0xFF, bytes);
    std::lock_guard<std::mutex> g(mu);
    live[base] = Block{base, bytes, (char*)m, length, host, owner, nextId++};
    *out = base;
    return OK;
}

int release(uintptr_t base, bool host, std::string* why) {
    std::lock_guard<std::mutex> g(mu);
    auto it = live.find(base);
    if (it == live.end() || it->second.host != host) {
        for (const Block& b : quarantine) {
            if (b.base == base) {
                *why = "double free of " + describeBlock(b);
                return ERR_INVALID_VALUE;
            }
        }
        *why = format("0x%llx is not the start of a %s allocation", (unsigned long long)base,
                      host ? "pinned host" : "device");
        return ERR_INVALID_VALUE;
    }
    Block b = it->second;
    live.erase(it);
    if (!b.host) deviceUsed -= b.size;
    // drop the pages but keep the addresses, inaccessible, so that later uses of them fault
    mmap(b.map, b.mapLength, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    quarantine.push_back(b);
    quarantined += b.mapLength;
    while (quarantined > QUARANTINE_BYTES && !quarantine.empty()) {
        munmap(quarantine.front().map, quarantine.front().mapLength);
        quarantined -= quarantine.front().mapLength;
        quarantine.pop_front();
    }
    return OK;
}

void releaseAllOf(int owner) {
    std::vector<Block> mine;
    {
        std::lock_guard<std::mutex> g(mu);
        for (auto& [base, b] : live) {
            if (b.owner == owner) mine.push_back(b);
        }
    }
    std::string ignored;
    for (const Block& b : mine) release(b.base, b.host, &ignored);
}

bool contains(uintptr_t p, size_t bytes, bool hostToo, std::string* why) {
    std::lock_guard<std::mutex> g(mu);
    const Block* b = find(p);
    if (b != nullptr && b->host && !hostToo) b = nullptr;
    if (b == nullptr) {
        if (why) *why = format("0x%llx is not in any live %s allocation", (unsigned long long)p,
                               hostToo ? "device or pinned host" : "device");
        return false;
    }
    if (bytes > b->size - (p - b->base)) {
        if (why) *why = format("%zu bytes at offset %zu run %zu bytes past the end of %s", bytes, (size_t)(p - b->base),
                               bytes - (b->size - (p - b->base)), describeBlock(*b).c_str());
        return false;
    }
    return true;
}

std::string describe(uintptr_t a) {
    std::lock_guard<std::mutex> g(mu);
    for (auto& [base, b] : live) {
        uintptr_t lo = (uintptr_t)b.map, hi = lo + b.mapLength;
        if (a < lo || a >= hi) continue;
        if (a < b.base) return format("%zu bytes before the start of %s", (size_t)(b.base - a), describeBlock(b).c_str());
        if (a >= b.base + b.size) {
            return format("%zu bytes past the end of %s (element %zu of a float buffer of %zu)",
                          (size_t)(a - b.base - b.size), describeBlock(b).c_str(), (size_t)(a - b.base) / 4, b.size / 4);
        }
        return format("inside %s", describeBlock(b).c_str());
    }
    for (auto it = quarantine.rbegin(); it != quarantine.rend(); ++it) {
        uintptr_t lo = (uintptr_t)it->map, hi = lo + it->mapLength;
        if (a >= lo && a < hi) return "inside freed " + describeBlock(*it);
    }
    return "not near any device allocation";
}

}  // namespace cudasim
