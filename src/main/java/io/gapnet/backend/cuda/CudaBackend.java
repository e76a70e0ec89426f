package io.gapnet.backend.cuda;

import io.gapnet.ClosedException;
import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.DeviceInfo;
import io.gapnet.backend.Queue;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One NVIDIA GPU through the CUDA driver API: its primary context (made current on every thread that uses
 * it), the ahead-of-time compiled kernels ({@code /cuda/*.fatbin} in the jar, loaded with cuModuleLoadData),
 * and a caching pool of device memory: a closed buffer's block is kept and handed out again for the same
 * rounded size; everything goes back to the driver on {@link #close()} (or when an allocation would fail).
 */
public final class CudaBackend implements Backend {
    private final CudaDevice dev;
    private final CUdevice cuDevice = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Map<Long, ArrayDeque<CUdeviceptr>> pool = new HashMap<>();
    private final AtomicLong liveCount = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong pooledBytes = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    CudaBackend(CudaDevice dev) {
        this.dev = dev;
        CuCheck.check(JCudaDriver.cuDeviceGet(cuDevice, dev.index()), "cuDeviceGet " + dev.index());
        CuCheck.check(JCudaDriver.cuDevicePrimaryCtxRetain(context, cuDevice), "cuDevicePrimaryCtxRetain on " + dev.name());
    }

    /** Makes the primary context current on the calling thread (every entry point calls this). */
    void makeCurrent() {
        if (closed.get()) throw new ClosedException("backend " + name());
        CuCheck.check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    @Override
    public String name() {
        return "cuda:" + dev.index();
    }

    @Override
    public DeviceInfo device() {
        return info(dev);
    }

    static DeviceInfo info(CudaDevice d) {
        Map<String, String> m = new LinkedHashMap<>();
        if (d.simulated()) {
            m.put("simulated", "yes: the CUDA simulator (src/test/cuda-sim) runs the real driver calls and kernels on the"
                    + " CPU; it proves correctness, not speed, and cannot show stream races or SASS behaviour");
        }
        m.put("compute capability", d.computeCapability());
        m.put("multiprocessors", Integer.toString(d.multiprocessors()));
        m.put("memory", (d.memory() >> 20) + " MiB");
        m.put("driver (CUDA version)", d.driver());
        m.put("kernels", d.simulated() ? "cuda-kernels/*.cu compiled as C++, each checked against the fatbin's sm_90 entry"
                : "ahead-of-time fatbin: SASS sm_75, sm_80, sm_86, sm_89, sm_90 + PTX compute_90");
        m.put("GEMM", CudaLibrary.gemmPath());
        m.put("convolution", CudaLibrary.convPath());
        m.put("precision", CudaLibrary.precision());
        m.put("CUDA graphs", CudaLibrary.graphPath());
        return new DeviceInfo("cuda", "cuda:" + d.index(), d.name(), m);
    }

    /**
     * The pool's block size for a request: rounded up so that blocks are reused across similar sizes, except on
     * the simulator, where each block is exactly as large as asked so that its guard page catches the first
     * element past the end.
     */
    private long roundUp(long bytes) {
        long unit = dev.simulated() ? 4 : bytes < (1 << 20) ? 512 : 1 << 20;
        return (bytes + unit - 1) / unit * unit;
    }

    @Override
    public DeviceBuffer allocate(long floats, String label) {
        if (floats < 0) throw new DeviceOutOfMemoryException(name() + ": negative size for '" + label + "'");
        makeCurrent();
        long block = roundUp(Math.max(1, floats) * 4);
        CUdeviceptr ptr = null;
        synchronized (pool) {
            ArrayDeque<CUdeviceptr> free = pool.get(block);
            if (free != null && !free.isEmpty()) {
                ptr = free.pop();
                pooledBytes.addAndGet(-block);
            }
        }
        if (ptr == null) ptr = fresh(block, label);
        int r = JCudaDriver.cuMemsetD32Async(ptr, 0, Math.max(1, floats), null);
        if (r == CUresult.CUDA_SUCCESS) r = JCudaDriver.cuStreamSynchronize(null);
        if (r != CUresult.CUDA_SUCCESS) {
            JCudaDriver.cuMemFree(ptr);
            CuCheck.check(r, "cuMemsetD32 (zeroing '" + label + "')");
        }
        liveCount.incrementAndGet();
        liveBytes.addAndGet(block);
        return new CudaBuffer(this, ptr, block, floats, label);
    }

    private CUdeviceptr fresh(long block, String label) {
        CUdeviceptr ptr = new CUdeviceptr();
        int r = JCudaDriver.cuMemAlloc(ptr, block);
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            trimPool(); // give cached blocks back to the driver, then try once more
            r = JCudaDriver.cuMemAlloc(ptr, block);
        }
        if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            long[] free = new long[1], total = new long[1];
            JCudaDriver.cuMemGetInfo(free, total);
            throw new DeviceOutOfMemoryException(name() + ": cannot allocate " + (block >> 20) + " MiB for '" + label + "' ("
                    + (free[0] >> 20) + " MiB free of " + (total[0] >> 20) + " MiB); use a smaller batch or input size");
        }
        CuCheck.check(r, "cuMemAlloc of " + block + " bytes for '" + label + "'");
        return ptr;
    }

    void release(CUdeviceptr ptr, long block) {
        liveCount.decrementAndGet();
        liveBytes.addAndGet(-block);
        if (closed.get()) return; // the context is gone with everything in it
        synchronized (pool) {
            pool.computeIfAbsent(block, k -> new ArrayDeque<>()).push(ptr);
            pooledBytes.addAndGet(block);
        }
    }

    private void trimPool() {
        synchronized (pool) {
            for (ArrayDeque<CUdeviceptr> q : pool.values()) {
                for (CUdeviceptr p : q) JCudaDriver.cuMemFree(p);
            }
            pool.clear();
            pooledBytes.set(0);
        }
    }

    /** Bytes held in the pool for reuse (not counted as live). */
    public long pooledBytes() {
        return pooledBytes.get();
    }

    /** The kernel {@code name} from {@code /cuda/FILE.fatbin}, loaded once per backend. */
    CUfunction function(String file, String name) {
        synchronized (functions) {
            CUfunction f = functions.get(name);
            if (f != null) return f;
            CUmodule module = modules.get(file);
            if (module == null) {
                module = new CUmodule();
                byte[] image = fatbin(file);
                int r = JCudaDriver.cuModuleLoadData(module, image);
                if (r == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || r == CUresult.CUDA_ERROR_INVALID_PTX
                        || r == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
                    throw new GapnetException("cuModuleLoadData " + file + ".fatbin on " + dev.name() + " (compute capability "
                            + dev.computeCapability() + ") failed: " + CUresult.stringFor(r) + "; gapnet ships SASS for"
                            + " sm_75 to sm_90 and PTX for compute_90, which needs a driver for CUDA 13 or newer");
                }
                CuCheck.check(r, "cuModuleLoadData " + file + ".fatbin");
                modules.put(file, module);
            }
            f = new CUfunction();
            CuCheck.check(JCudaDriver.cuModuleGetFunction(f, module, name), "cuModuleGetFunction " + name + " (" + file + ")");
            functions.put(name, f);
            return f;
        }
    }

    private static byte[] fatbin(String file) {
        try (InputStream in = CudaBackend.class.getResourceAsStream("/cuda/" + file + ".fatbin")) {
            if (in == null) {
                throw new GapnetException("cuda/" + file + ".fatbin is missing from the jar; run scripts/build-cuda-kernels");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new GapnetException("cannot read cuda/" + file + ".fatbin: " + e.getMessage(), e);
        }
    }

    @Override
    public Queue openQueue() {
        makeCurrent();
        CUstream stream = new CUstream();
        CuCheck.check(JCudaDriver.cuStreamCreate(stream, 0), "cuStreamCreate");
        return new CudaQueue(this, stream);
    }

    @Override
    public long liveAllocations() {
        return liveCount.get();
    }

    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    /** Frees the pooled memory and modules and releases the primary context; close Sessions first. */
    @Override
    public void close() {
        if (closed.get()) return;
        makeCurrent();
        trimPool();
        closed.set(true);
        synchronized (functions) {
            for (CUmodule m : modules.values()) JCudaDriver.cuModuleUnload(m);
            modules.clear();
            functions.clear();
        }
        JCudaDriver.cuDevicePrimaryCtxRelease(cuDevice);
    }

    @Override
    public String toString() {
        return name() + " (" + dev.name() + ")";
    }
}
