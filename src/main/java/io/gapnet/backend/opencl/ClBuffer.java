package io.gapnet.backend.opencl;

import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import io.gapnet.backend.DeviceBuffer;

/** An OpenCL buffer object (cl_mem) of float32 elements. */
final class ClBuffer extends DeviceBuffer {
    private final long mem;

    ClBuffer(ClBackend backend, long mem, long floats, String label) {
        super(backend, floats, label);
        this.mem = mem;
    }

    long mem() {
        checkOpen();
        return mem;
    }

    @Override
    protected void release() {
        clReleaseMemObject(mem);
        ((ClBackend) backend()).released(this);
    }
}
