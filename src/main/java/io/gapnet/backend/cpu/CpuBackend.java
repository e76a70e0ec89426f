package io.gapnet.backend.cpu;

import io.gapnet.ClosedException;
import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.DeviceInfo;
import io.gapnet.backend.Queue;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The CPU backends: Java heap arrays as device memory. {@code new CpuBackend()} is the reference
 * ({@code cpu-ref}): naive kernels ({@link io.gapnet.backend.cpu.ref.RefKernels}, package {@code backend.cpu.ref}), the specification every other backend is checked
 * against. {@link #fast()} is {@code cpu}: convolutions and dense layers through a packed SGEMM
 * ({@link io.gapnet.backend.cpu.fast.FastCpuKernels}, package {@code backend.cpu.fast}), checked against the reference like any accelerated backend.
 */
public final class CpuBackend implements Backend {
    private final AtomicLong liveCount = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean fast;
    private final io.gapnet.backend.Kernels kernels;

    /** The reference backend, {@code cpu-ref}. */
    public CpuBackend() {
        this(false, false);
    }

    private CpuBackend(boolean fast, boolean vector) {
        this.fast = fast;
        this.kernels = fast ? new io.gapnet.backend.cpu.fast.FastCpuKernels(this, vector) : new io.gapnet.backend.cpu.ref.RefKernels(this);
    }

    /** The fast CPU backend, {@code cpu}. */
    public static CpuBackend fast() {
        return new CpuBackend(true, true);
    }

    /**
     * The fast CPU backend's scalar fallback, what {@code cpu} runs on a JVM without the jdk.incubator.vector module,
     * even where the module is loaded: for tests and comparisons; it is not in the backend registry.
     */
    public static CpuBackend fastScalar() {
        return new CpuBackend(true, false);
    }

    @Override
    public String name() {
        return fast ? "cpu" : "cpu-ref";
    }

    /** The fast path runs a projection shortcut and the block's last convolution as one product; the reference does not. */
    @Override
    public boolean convPairs() {
        return fast;
    }

    @Override
    public DeviceInfo device() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("kind", fast ? "fast path (packed SGEMM for convolutions and dense layers)" : "reference (naive loops, the specification)");
        if (fast) {
            d.put("GEMM", io.gapnet.backend.cpu.fast.Sgemm.describe());
            d.put("convolution", io.gapnet.backend.cpu.fast.FastCpuKernels.convolutionPath());
        }
        d.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        d.put("max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        d.put("java", System.getProperty("java.version"));
        return new DeviceInfo(name(), name(), System.getProperty("os.arch") + " CPU", d);
    }

    @Override
    public DeviceBuffer allocate(long floats, String label) {
        checkOpen();
        if (floats < 0 || floats > Integer.MAX_VALUE - 8) {
            throw new DeviceOutOfMemoryException("cpu: cannot allocate " + floats + " floats for '" + label
                    + "': a CPU buffer holds at most 2^31-9 elements; use a smaller batch or input size");
        }
        float[] data;
        try {
            data = new float[(int) floats];
        } catch (OutOfMemoryError e) {
            throw new DeviceOutOfMemoryException("cpu: out of Java heap allocating " + (floats * 4 >> 20) + " MiB for '"
                    + label + "'; use a smaller batch or input size, or raise -Xmx", e);
        }
        liveCount.incrementAndGet();
        liveBytes.addAndGet(floats * 4);
        return new CpuBuffer(this, data, label);
    }

    void released(CpuBuffer b) {
        liveCount.decrementAndGet();
        liveBytes.addAndGet(-b.bytes());
    }

    @Override
    public Queue openQueue() {
        checkOpen();
        return new CpuQueue(this, kernels);
    }

    @Override
    public long liveAllocations() {
        return liveCount.get();
    }

    @Override
    public long liveBytes() {
        return liveBytes.get();
    }

    private void checkOpen() {
        if (closed.get()) throw new ClosedException("backend " + name());
    }

    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return name();
    }
}
