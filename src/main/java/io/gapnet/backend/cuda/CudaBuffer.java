package io.gapnet.backend.cuda;

import io.gapnet.backend.DeviceBuffer;
import jcuda.driver.CUdeviceptr;

/** A block of device memory from the backend's caching pool; closing it returns the block to the pool. */
final class CudaBuffer extends DeviceBuffer {
    private final CUdeviceptr ptr;
    private final long blockBytes;

    CudaBuffer(CudaBackend backend, CUdeviceptr ptr, long blockBytes, long floats, String label) {
        super(backend, floats, label);
        this.ptr = ptr;
        this.blockBytes = blockBytes;
    }

    CUdeviceptr ptr() {
        checkOpen();
        return ptr;
    }

    long blockBytes() {
        return blockBytes;
    }

    @Override
    protected void release() {
        ((CudaBackend) backend()).release(ptr, blockBytes);
    }
}
