package io.gapnet.backend.cpu;

import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.Queue;

/** CPU work runs synchronously on the calling thread, so this queue only copies and hands out the kernels. */
final class CpuQueue implements Queue {
    private final CpuBackend backend;
    private final Kernels kernels;

    CpuQueue(CpuBackend backend, Kernels kernels) {
        this.backend = backend;
        this.kernels = kernels;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Kernels kernels() {
        return kernels;
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        dst.checkWritable(backend, dstOffset + count, "upload");
        System.arraycopy(src, srcOffset, ((CpuBuffer) dst).data(), (int) dstOffset, count);
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        src.check(backend, srcOffset + count, "download");
        System.arraycopy(((CpuBuffer) src).data(), (int) srcOffset, dst, dstOffset, count);
    }

    @Override
    public void synchronize() {}

    @Override
    public void close() {}
}
