package io.gapnet.backend;

/**
 * A thin device: allocates and frees {@link DeviceBuffer}s, opens {@link Queue}s that copy data and launch
 * {@link Kernels}, and counts what it has live. Graph and model code talk to this interface only.
 */
public interface Backend extends AutoCloseable {
    /** The selector that names this backend and device, such as {@code cpu} or {@code opencl:0}. */
    String name();

    DeviceInfo device();

    /**
     * Allocates {@code floats} float32 elements, zero-filled.
     *
     * @throws io.gapnet.DeviceOutOfMemoryException when the device cannot hold it; the backend stays usable
     */
    DeviceBuffer allocate(long floats, String label);

    /** A new in-order queue (stream) with its own kernels; queues of one backend may run concurrently. */
    Queue openQueue();

    /**
     * Whether this backend's kernels run {@link Kernels#conv2dPair}: a plan for it then computes a residual block's
     * projection shortcut (a convolution whose only reader is the block's residual Add) together with the block's
     * last convolution, one launch instead of two. False by default.
     */
    default boolean convPairs() {
        return false;
    }

    /** Number of buffers allocated and not yet closed. */
    long liveAllocations();

    /** Bytes held by buffers allocated and not yet closed. */
    long liveBytes();

    @Override
    void close();
}
