package io.gapnet.backend;

/**
 * An in-order queue of work on one backend (an OpenCL command queue, a CUDA stream). Copies and kernels
 * enqueued on one queue run in order; {@link #synchronize()} waits for all of them. A queue is used by
 * one thread at a time.
 */
public interface Queue extends AutoCloseable {
    Backend backend();

    Kernels kernels();

    /** Copies {@code count} floats from {@code src[srcOffset...]} into {@code dst} starting at element {@code dstOffset}. */
    void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count);

    /** Copies {@code count} floats from {@code src} starting at element {@code srcOffset} into {@code dst[dstOffset...]}. */
    void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count);

    /**
     * Enqueues the work {@code work} enqueues, the same every time for the same {@code key} (the same kernels on the
     * same buffers; only the buffers' contents differ): a backend may record it once and replay the recording (CUDA
     * graphs). The work must only enqueue: no copies to or from the host, no waiting, no allocation. This default
     * runs it.
     */
    default void replay(Object key, Runnable work) {
        work.run();
    }

    /** Waits until everything enqueued so far has finished. */
    void synchronize();

    @Override
    void close();
}
