package io.gapnet.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BUILD_LOG;
import static org.lwjgl.opencl.CL10.clBuildProgram;
import static org.lwjgl.opencl.CL10.clCreateBuffer;
import static org.lwjgl.opencl.CL10.clCreateCommandQueue;
import static org.lwjgl.opencl.CL10.clCreateContext;
import static org.lwjgl.opencl.CL10.clCreateProgramWithSource;
import static org.lwjgl.opencl.CL10.clFinish;
import static org.lwjgl.opencl.CL10.clGetProgramBuildInfo;
import static org.lwjgl.opencl.CL10.clReleaseCommandQueue;
import static org.lwjgl.opencl.CL10.clReleaseContext;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;
import static org.lwjgl.opencl.CL10.clReleaseProgram;
import static org.lwjgl.opencl.CL12.clEnqueueFillBuffer;

import io.gapnet.ClosedException;
import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.DeviceInfo;
import io.gapnet.backend.HostMemory;
import io.gapnet.backend.Queue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * One OpenCL device: a context, programs built from {@code opencl-kernels/*.cl} at first use and cached
 * for the context, buffers counted while live, and one in-order command queue per {@link ClQueue}.
 */
public final class ClBackend implements Backend {
    private final ClDevice dev;
    private final long context;
    private final long serviceQueue;
    private final Map<String, Long> programs = new HashMap<>();
    private final AtomicLong liveCount = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    /** {@link ClDevice#memoryLimit()}, fixed for the backend's life (physical memory and -Xmx do not change). */
    private final long memoryLimit;
    /** Said in an out-of-memory message on a device whose memory is host memory, else empty. */
    private final String hostMemoryNote;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Guards the service queue (used to zero new buffers) and the program cache. */
    private final Object lock = new Object();

    ClBackend(ClDevice dev) {
        this.dev = dev;
        this.memoryLimit = dev.memoryLimit();
        this.hostMemoryNote = dev.sharesHostMemory() ? " (" + dev.name() + "'s memory is this machine's RAM: gapnet keeps"
                + " its buffers within physical memory less the Java heap's maximum and a reserve)" : "";
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            PointerBuffer props = stack.mallocPointer(3).put(0x1084 /* CL_CONTEXT_PLATFORM */).put(dev.platform()).put(0).flip();
            context = clCreateContext(props, dev.device(), null, 0, err);
            SignalGuard.restore();
            ClCheck.check(err.get(0), "clCreateContext on " + dev.name());
            serviceQueue = clCreateCommandQueue(context, dev.device(), 0, err);
            if (err.get(0) != 0) clReleaseContext(context);
            ClCheck.check(err.get(0), "clCreateCommandQueue on " + dev.name());
        }
    }

    @Override
    public String name() {
        return "opencl:" + dev.index();
    }

    ClDevice clDevice() {
        return dev;
    }

    long context() {
        return context;
    }

    @Override
    public DeviceInfo device() {
        return ClProvider.info(dev);
    }

    @Override
    public DeviceBuffer allocate(long floats, String label) {
        checkOpen();
        long bytes = Math.max(1, floats) * 4;
        if (floats < 0 || bytes > dev.maxAllocation()) {
            throw new DeviceOutOfMemoryException(name() + ": '" + label + "' needs " + (bytes >> 20) + " MiB but "
                    + dev.name() + " allocates at most " + (dev.maxAllocation() >> 20) + " MiB in one buffer; use a"
                    + " smaller batch or input size");
        }
        reserve(bytes, label);
        long mem;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            mem = clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, err);
            ClCheck.check(err.get(0), "clCreateBuffer of " + bytes + " bytes for '" + label + "' on " + dev.name());
            synchronized (lock) {
                ByteBuffer zero = stack.calloc(4);
                int e = clEnqueueFillBuffer(serviceQueue, mem, zero, 0, bytes, null, null);
                if (e == 0) e = clFinish(serviceQueue);
                if (e != 0) {
                    clReleaseMemObject(mem);
                    ClCheck.check(e, "clEnqueueFillBuffer (zeroing '" + label + "', " + bytes + " bytes)");
                }
            }
        } catch (RuntimeException e) {
            liveBytes.addAndGet(-bytes);
            throw e;
        }
        liveCount.incrementAndGet();
        return new ClBuffer(this, mem, floats, label);
    }

    /**
     * Counts {@code bytes} into the live total before the driver is asked, or refuses them: beyond the device's
     * {@link ClDevice#memoryLimit() limit}, and on a device whose memory is host memory, beyond what the kernel
     * has available now less {@link HostMemory#reserve()}. Such a driver would hand out the buffer and zeroing
     * it would grow the process until the kernel killed it.
     */
    private void reserve(long bytes, String label) {
        long used;
        do {
            used = liveBytes.get();
            if (used + bytes > memoryLimit) {
                throw new DeviceOutOfMemoryException(name() + ": '" + label + "' needs " + (bytes >> 20) + " MiB but "
                        + (used >> 20) + " MiB of the " + (memoryLimit >> 20) + " MiB gapnet may use on " + dev.name()
                        + " are in use" + hostMemoryNote + "; use a smaller batch or input size, or close other Sessions");
            }
        } while (!liveBytes.compareAndSet(used, used + bytes));
        if (dev.sharesHostMemory()) {
            long available = HostMemory.available();
            long reserve = HostMemory.reserve(), free = available - reserve;
            if (available >= 0 && bytes > free) {
                liveBytes.addAndGet(-bytes);
                throw new DeviceOutOfMemoryException(name() + ": '" + label + "' needs " + (bytes >> 20) + " MiB but "
                        + "this machine has " + (Math.max(0, free) >> 20) + " MiB available beyond a reserve of "
                        + (reserve >> 20) + " MiB" + hostMemoryNote + "; use a smaller batch or input size, or free"
                        + " memory");
            }
        }
    }

    void released(ClBuffer b) {
        liveCount.decrementAndGet();
        liveBytes.addAndGet(-Math.max(4, b.bytes()));
    }

    @Override
    public Queue openQueue() {
        checkOpen();
        return new ClQueue(this);
    }

    /** The program built from {@code opencl-kernels/FILE} (with common.cl first), built once per context. */
    long program(String file) {
        synchronized (lock) {
            checkOpen();
            Long p = programs.get(file);
            if (p != null) return p;
            String source = resource("common.cl") + "\n" + resource(file);
            long program;
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer err = stack.mallocInt(1);
                program = clCreateProgramWithSource(context, source, err);
                ClCheck.check(err.get(0), "clCreateProgramWithSource " + file);
                int e = clBuildProgram(program, dev.device(), "", null, 0);
                SignalGuard.restore();
                if (e != 0) {
                    String log = buildLog(program);
                    clReleaseProgram(program);
                    throw new GapnetException("OpenCL build of " + file + " failed on " + dev.name() + " (" + ClCheck.name(e)
                            + "); build log:\n" + log);
                }
            }
            programs.put(file, program);
            return program;
        }
    }

    private String buildLog(long program) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            clGetProgramBuildInfo(program, dev.device(), CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size);
            ByteBuffer log = org.lwjgl.system.MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                clGetProgramBuildInfo(program, dev.device(), CL_PROGRAM_BUILD_LOG, log, null);
                byte[] b = new byte[log.remaining()];
                log.get(b);
                return new String(b, StandardCharsets.UTF_8).trim();
            } finally {
                org.lwjgl.system.MemoryUtil.memFree(log);
            }
        }
    }

    static String resource(String file) {
        try (InputStream in = ClBackend.class.getResourceAsStream("/opencl-kernels/" + file)) {
            if (in == null) throw new GapnetException("kernel source opencl-kernels/" + file + " is missing from the jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GapnetException("cannot read kernel source " + file + ": " + e.getMessage(), e);
        }
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

    /** Releases the programs, queue and context; buffers and queues must be closed first (Sessions do that). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        synchronized (lock) {
            for (long p : programs.values()) clReleaseProgram(p);
            programs.clear();
        }
        clReleaseCommandQueue(serviceQueue);
        clReleaseContext(context);
    }

    @Override
    public String toString() {
        return name() + " (" + dev.name() + ")";
    }

    static Map<String, String> details(ClDevice d) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("platform", d.platformName());
        m.put("type", d.type());
        m.put("compute units", Integer.toString(d.computeUnits()));
        m.put("global memory", (d.globalMemory() >> 20) + " MiB");
        m.put("local memory", (d.localMemory() >> 10) + " KiB");
        m.put("max allocation", (d.maxAllocation() >> 20) + " MiB");
        m.put("gapnet's memory limit", (d.memoryLimit() >> 20) + " MiB"
                + (d.sharesHostMemory() ? " (host memory: physical less the Java heap's maximum and a reserve)" : ""));
        m.put("max work-group", Long.toString(d.maxWorkGroup()));
        m.put("OpenCL C", d.openclC());
        m.put("driver", d.driver());
        return m;
    }
}
