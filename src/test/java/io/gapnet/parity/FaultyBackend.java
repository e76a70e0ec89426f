package io.gapnet.parity;

import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.DeviceInfo;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The fast CPU backend with one deliberate fault: after every call of one kernel whose arguments match a predicate,
 * {@code corrupt} rewrites its output. It stands for a backend with a bug in one layer, for the parity tests.
 */
final class FaultyBackend implements Backend {
    /** Decides whether a kernel call is faulty, and corrupts its output values (downloaded, then uploaded back). */
    interface Fault {
        /** The index of the output buffer among the call's arguments, or -1 when this call is not affected. */
        int output(String kernel, Object[] args);

        void corrupt(Object[] args, float[] output);
    }

    private final Backend inner = CpuBackend.fast();
    private final Fault fault;

    FaultyBackend(Fault fault) {
        this.fault = fault;
    }

    @Override
    public String name() {
        return "faulty";
    }

    @Override
    public DeviceInfo device() {
        return inner.device();
    }

    @Override
    public DeviceBuffer allocate(long floats, String label) {
        return inner.allocate(floats, label);
    }

    @Override
    public Queue openQueue() {
        Queue q = inner.openQueue();
        Kernels k = q.kernels();
        InvocationHandler h = (proxy, method, args) -> {
            Object r;
            try {
                r = method.invoke(k, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            int out = args == null ? -1 : fault.output(method.getName(), args);
            if (out >= 0) {
                DeviceBuffer y = (DeviceBuffer) args[out];
                float[] v = new float[(int) y.floats()];
                q.download(y, 0, v, 0, v.length);
                fault.corrupt(args, v);
                q.upload(v, 0, y, 0, v.length);
            }
            return r;
        };
        Kernels faulty = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class}, h);
        return new Queue() {
            @Override
            public Backend backend() {
                return FaultyBackend.this;
            }

            @Override
            public Kernels kernels() {
                return faulty;
            }

            @Override
            public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
                q.upload(src, srcOffset, dst, dstOffset, count);
            }

            @Override
            public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
                q.download(src, srcOffset, dst, dstOffset, count);
            }

            @Override
            public void synchronize() {
                q.synchronize();
            }

            @Override
            public void close() {
                q.close();
            }
        };
    }

    @Override
    public long liveAllocations() {
        return inner.liveAllocations();
    }

    @Override
    public long liveBytes() {
        return inner.liveBytes();
    }

    @Override
    public void close() {
        inner.close();
    }
}
