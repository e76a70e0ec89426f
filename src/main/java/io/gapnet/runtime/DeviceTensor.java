package io.gapnet.runtime;

import io.gapnet.ShapeException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.Arrays;

/**
 * A float32 tensor in a backend's memory (a CUDA or OpenCL device's, or the CPU backends' own), for
 * {@link Session#runOnDevice}: one model's output can be the next model's input on the same backend without a
 * copy through the host. The caller owns it and closes it; {@link #download()} brings it to the host when wanted.
 */
public final class DeviceTensor implements AutoCloseable {
    private final DeviceBuffer buffer;
    private final int[] shape;

    /** Wraps a buffer of at least {@code numel(shape)} floats; the DeviceTensor owns it from now on. */
    public DeviceTensor(DeviceBuffer buffer, int... shape) {
        long n = Shapes.numel(shape);
        if (buffer.floats() < n) {
            throw new ShapeException("a buffer of " + buffer.floats() + " floats cannot hold a tensor of shape "
                    + Arrays.toString(shape) + " (" + n + " floats)");
        }
        this.buffer = buffer;
        this.shape = shape.clone();
    }

    /** A copy of {@code t} (converted to float32) in {@code backend}'s memory. */
    public static DeviceTensor upload(Backend backend, Tensor t) {
        float[] data = t.toFloats();
        DeviceBuffer b = backend.allocate(Math.max(1, data.length), "device tensor " + Arrays.toString(t.shape()));
        try (Queue q = backend.openQueue()) {
            q.upload(data, 0, b, 0, data.length);
            q.synchronize();
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
        return new DeviceTensor(b, t.shape());
    }

    /** The tensor's values, copied to the host. */
    public Tensor download() {
        float[] data = new float[Shapes.numel(shape)];
        try (Queue q = buffer.backend().openQueue()) {
            q.download(buffer, 0, data, 0, data.length);
        }
        return Tensor.of(data, shape);
    }

    public int[] shape() {
        return shape.clone();
    }

    public Backend backend() {
        return buffer.backend();
    }

    /** The memory itself, for code that runs its own kernels on it. */
    public DeviceBuffer buffer() {
        return buffer;
    }

    @Override
    public void close() {
        buffer.close();
    }

    @Override
    public String toString() {
        return "DeviceTensor" + Arrays.toString(shape) + " on " + buffer.backend().name();
    }
}
