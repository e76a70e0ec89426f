package io.gapnet.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_MEM_COPY_HOST_PTR;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_ONLY;
import static org.lwjgl.opencl.CL10.clCreateBuffer;
import static org.lwjgl.opencl.CL10.clCreateCommandQueue;
import static org.lwjgl.opencl.CL10.clCreateKernel;
import static org.lwjgl.opencl.CL10.clEnqueueReadBuffer;
import static org.lwjgl.opencl.CL10.clEnqueueWriteBuffer;
import static org.lwjgl.opencl.CL10.clFinish;
import static org.lwjgl.opencl.CL10.clReleaseCommandQueue;
import static org.lwjgl.opencl.CL10.clReleaseKernel;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import io.gapnet.ClosedException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.Queue;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * An in-order OpenCL command queue with its own kernel objects (kernel arguments are per object, so each
 * queue has its own) and device copies of the constant index arrays its Gather steps use.
 */
final class ClQueue implements Queue {
    private final ClBackend backend;
    private final long queue;
    private final Map<String, Long> kernels = new HashMap<>();
    private final Map<int[], Long> indexBuffers = new IdentityHashMap<>();
    private final ClKernels ops;
    private boolean closed;

    ClQueue(ClBackend backend) {
        this.backend = backend;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            queue = clCreateCommandQueue(backend.context(), backend.clDevice().device(), 0, err);
            ClCheck.check(err.get(0), "clCreateCommandQueue on " + backend.clDevice().name());
        }
        ops = new ClKernels(backend, this);
    }

    long queue() {
        if (closed) throw new ClosedException("OpenCL queue of " + backend.name());
        return queue;
    }

    /** The kernel {@code name} of {@code opencl-kernels/file}, created for this queue at first use. */
    long kernel(String file, String name) {
        Long k = kernels.get(name);
        if (k != null) return k;
        long program = backend.program(file);
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long kernel = clCreateKernel(program, name, err);
            ClCheck.check(err.get(0), "clCreateKernel " + name + " (" + file + ")");
            kernels.put(name, kernel);
            return kernel;
        }
    }

    /** A read-only device copy of a constant int array, kept for the life of this queue. */
    long indices(int[] values) {
        Long m = indexBuffers.get(values);
        if (m != null) return m;
        IntBuffer host = MemoryUtil.memAllocInt(Math.max(1, values.length));
        try (MemoryStack stack = MemoryStack.stackPush()) {
            host.put(values).rewind();
            if (values.length == 0) host.put(0, 0);
            IntBuffer err = stack.mallocInt(1);
            long mem = clCreateBuffer(backend.context(), CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, host, err);
            ClCheck.check(err.get(0), "clCreateBuffer (gather indices)");
            indexBuffers.put(values, mem);
            return mem;
        } finally {
            MemoryUtil.memFree(host);
        }
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Kernels kernels() {
        return ops;
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        dst.checkWritable(backend, dstOffset + count, "upload");
        if (count == 0) return;
        FloatBuffer host = MemoryUtil.memAllocFloat(count);
        try {
            host.put(src, srcOffset, count).flip();
            ClCheck.check(clEnqueueWriteBuffer(queue(), ((ClBuffer) dst).mem(), true, dstOffset * 4, host, null, null),
                    "clEnqueueWriteBuffer to " + dst.describe());
        } finally {
            MemoryUtil.memFree(host);
        }
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        src.check(backend, srcOffset + count, "download");
        if (count == 0) return;
        FloatBuffer host = MemoryUtil.memAllocFloat(count);
        try {
            ClCheck.check(clEnqueueReadBuffer(queue(), ((ClBuffer) src).mem(), true, srcOffset * 4, host, null, null),
                    "clEnqueueReadBuffer from " + src.describe());
            host.get(dst, dstOffset, count);
        } finally {
            MemoryUtil.memFree(host);
        }
    }

    @Override
    public void synchronize() {
        ClCheck.check(clFinish(queue()), "clFinish");
    }

    @Override
    public void close() {
        if (closed) return;
        clFinish(queue);
        closed = true;
        for (long k : kernels.values()) clReleaseKernel(k);
        kernels.clear();
        for (long m : indexBuffers.values()) clReleaseMemObject(m);
        indexBuffers.clear();
        clReleaseCommandQueue(queue);
    }
}
