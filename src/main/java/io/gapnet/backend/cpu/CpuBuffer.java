package io.gapnet.backend.cpu;

import io.gapnet.backend.DeviceBuffer;

/** A CPU "device" buffer: a float array on the Java heap. */
final class CpuBuffer extends DeviceBuffer {
    private float[] data;

    CpuBuffer(CpuBackend backend, float[] data, String label) {
        super(backend, data.length, label);
        this.data = data;
    }

    float[] data() {
        checkOpen();
        return data;
    }

    @Override
    protected void release() {
        data = null;
        ((CpuBackend) backend()).released(this);
    }
}
