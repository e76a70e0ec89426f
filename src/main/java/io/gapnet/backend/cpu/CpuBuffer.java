package io.gapnet.backend.cpu;

import io.gapnet.backend.DeviceBuffer;

/** A CPU "device" buffer: a float array on the Java heap. */
public final class CpuBuffer extends DeviceBuffer {
    private float[] data;
    /** Derived forms of constant contents (packed weights, Winograd-transformed weights), one per type, made on first use. */
    private final java.util.concurrent.ConcurrentHashMap<Class<?>, Object> derived = new java.util.concurrent.ConcurrentHashMap<>();

    CpuBuffer(CpuBackend backend, float[] data, String label) {
        super(backend, data.length, label);
        this.data = data;
    }

    public float[] data() {
        checkOpen();
        return data;
    }

    /**
     * The derived form of this type that {@code make} computes from the contents, kept while this buffer is marked
     * constant and open (one per type, so a convolution's packed and transformed weights live side by side);
     * {@code fits} says whether a kept form serves this use. Unmarked buffers compute it each time.
     */
    public <T> T derived(Class<T> type, java.util.function.Predicate<T> fits, java.util.function.Supplier<T> make) {
        if (!isConstant()) return make.get();
        Object d = derived.get(type);
        if (d != null && fits.test(type.cast(d))) return type.cast(d);
        synchronized (this) {
            d = derived.get(type);
            if (d != null && fits.test(type.cast(d))) return type.cast(d);
            T made = make.get();
            derived.put(type, made);
            return made;
        }
    }

    /** The types of the derived forms this buffer keeps now. */
    public java.util.Set<Class<?>> derivedForms() {
        return java.util.Set.copyOf(derived.keySet());
    }

    @Override
    protected void release() {
        data = null;
        derived.clear();
        ((CpuBackend) backend()).released(this);
    }
}
