package io.gapnet.backend;

import io.gapnet.ClosedException;
import io.gapnet.GapnetException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A block of float32 memory on one backend's device. It knows its backend: a kernel of another backend
 * refuses it at once. {@link #close()} frees it and is idempotent; any use after close throws
 * {@link ClosedException} naming the buffer.
 */
public abstract class DeviceBuffer implements AutoCloseable {
    private final Backend backend;
    private final long floats;
    private final String label;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean constant;

    protected DeviceBuffer(Backend backend, long floats, String label) {
        this.backend = backend;
        this.floats = floats;
        this.label = label;
    }

    public final Backend backend() {
        return backend;
    }

    /** Capacity in float32 elements. */
    public final long floats() {
        return floats;
    }

    public final long bytes() {
        return floats * 4;
    }

    public final String label() {
        return label;
    }

    public final boolean isClosed() {
        return closed.get();
    }

    /** Throws {@link ClosedException} if this buffer was closed. */
    public final void checkOpen() {
        if (closed.get()) throw new ClosedException(describe());
    }

    /** Checks that this open buffer belongs to {@code expected} and holds at least {@code needed} floats. */
    public final void check(Backend expected, long needed, String use) {
        checkOpen();
        if (backend != expected) {
            throw new GapnetException(describe() + " was handed to the " + expected.name() + " backend for " + use
                    + "; buffers only work with the backend that allocated them");
        }
        if (needed > floats) {
            throw new GapnetException(describe() + " holds " + floats + " floats but " + use + " needs " + needed);
        }
    }

    /**
     * Declares that the contents will not change again while this buffer is open (a model's weights), so a
     * backend may keep derived forms of them, such as the CPU backend's packed weights. Uploads into it
     * fail from now on.
     */
    public final void markConstant() {
        checkOpen();
        constant = true;
    }

    public final boolean isConstant() {
        return constant;
    }

    /** {@link #check} for a destination: also refuses a buffer marked constant. */
    public final void checkWritable(Backend expected, long needed, String use) {
        check(expected, needed, use);
        if (constant) {
            throw new GapnetException(describe() + " is marked constant (weights) and cannot be written by " + use
                    + "; allocate a separate buffer for data that changes");
        }
    }

    public final String describe() {
        return "DeviceBuffer '" + label + "' (" + backend.name() + ", " + floats + " floats)";
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) release();
    }

    /** Frees the device memory; called exactly once. */
    protected abstract void release();

    @Override
    public String toString() {
        return describe() + (isClosed() ? " [closed]" : "");
    }
}
