package io.gapnet.backend.cpu;

import io.gapnet.backend.DeviceBuffer;

/** A CPU "device" buffer: a float array on the Java heap. */
public final class CpuBuffer extends DeviceBuffer {
    private float[] data;
    /** A derived form of constant contents (packed weights), computed on first use. */
    private volatile Object derived;

    CpuBuffer(CpuBackend backend, float[] data, String label) {
        super(backend, data.length, label);
        this.data = data;
    }

    public float[] data() {
        checkOpen();
        return data;
    }

    /**
     * The derived form {@code make} computes from the contents, kept while this buffer is marked constant and
     * open; {@code fits} says whether a kept form serves this use. Unmarked buffers compute it each time.
     */
    public <T> T derived(Class<T> type, java.util.function.Predicate<T> fits, java.util.function.Supplier<T> make) {
        if (!isConstant()) return make.get();
        Object d = derived;
        if (type.isInstance(d) && fits.test(type.cast(d))) return type.cast(d);
        synchronized (this) {
            d = derived;
            if (type.isInstance(d) && fits.test(type.cast(d))) return type.cast(d);
            T made = make.get();
            derived = made;
            return made;
        }
    }

    @Override
    protected void release() {
        data = null;
        derived = null;
        ((CpuBackend) backend()).released(this);
    }
}
