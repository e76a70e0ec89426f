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
 * The CPU reference backend: Java heap arrays as device memory and the naive reference kernels
 * ({@link CpuKernels}). It is the specification every other backend is checked against.
 */
public final class CpuBackend implements Backend {
    private final AtomicLong liveCount = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CpuKernels kernels = new CpuKernels(this);

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public DeviceInfo device() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("kind", "reference (naive loops, the specification)");
        d.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        d.put("max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        d.put("java", System.getProperty("java.version"));
        return new DeviceInfo("cpu", "cpu", System.getProperty("os.arch") + " CPU", d);
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
        if (closed.get()) throw new ClosedException("backend cpu");
    }

    @Override
    public void close() {
        closed.set(true);
    }

    @Override
    public String toString() {
        return "cpu";
    }
}
