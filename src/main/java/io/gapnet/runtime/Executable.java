package io.gapnet.runtime;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.Queue;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A {@link Plan} bound to a backend: its constants on the device (shared through the Session's weight
 * cache) and a pool of execution contexts, each with its own queue and activation slots, so that any
 * number of threads can run the plan at once.
 */
final class Executable {
    private final Plan plan;
    private final String model;
    private final Backend backend;
    private final DeviceBuffer[] constants;
    /** Constants this plan computed itself (not the model's weights): freed with it. */
    private final List<DeviceBuffer> owned;
    private final Deque<Context> idle = new ConcurrentLinkedDeque<>();
    private final List<Context> all = new ArrayList<>();
    /** Runs in flight, and whether the Session's cache has let go of this plan; guarded by this. */
    private int inUse;
    private boolean evicted;

    /** One thread's resources for running the plan. */
    private final class Context {
        final Queue queue;
        final DeviceBuffer[] slots;
        final DeviceBuffer[] bound;

        Context() {
            List<DeviceBuffer> made = new ArrayList<>();
            Queue q = backend.openQueue();
            try {
                slots = new DeviceBuffer[plan.slotFloats.length];
                for (int i = 0; i < slots.length; i++) {
                    slots[i] = backend.allocate(Math.max(1, plan.slotFloats[i]), "activation slot " + i);
                    made.add(slots[i]);
                }
            } catch (RuntimeException e) {
                for (DeviceBuffer b : made) b.close();
                q.close();
                throw e;
            }
            queue = q;
            bound = new DeviceBuffer[plan.valueCount];
            for (int id = 0; id < bound.length; id++) {
                bound[id] = plan.slotOf[id] >= 0 ? slots[plan.slotOf[id]] : constants[id];
            }
        }

        void close() {
            for (DeviceBuffer b : slots) b.close();
            queue.close();
        }
    }

    /** Whether layer events are enabled in any recording (checked once per run). */
    private static final LayerEvent LAYER_EVENTS = new LayerEvent();

    Executable(Plan plan, Backend backend, DeviceBuffer[] constants, List<DeviceBuffer> owned, String model) {
        this.model = model;
        this.plan = plan;
        this.backend = backend;
        this.constants = constants;
        this.owned = List.copyOf(owned);
    }

    /** The device memory this plan holds beyond the shared weights: one context's activations and its own constants. */
    long bytes() {
        long b = plan.peakActivationBytes();
        for (DeviceBuffer d : owned) b += 4 * d.floats();
        return b;
    }

    synchronized void retain() {
        inUse++;
    }

    /** Ends a run; the last run of an evicted plan frees it. */
    void release() {
        boolean free;
        synchronized (this) {
            free = --inUse == 0 && evicted;
        }
        if (free) close();
    }

    /** The Session's cache lets go of this plan: it is freed now, or when its last run in flight ends. */
    void evict() {
        boolean free;
        synchronized (this) {
            evicted = true;
            free = inUse == 0;
        }
        if (free) close();
    }

    Plan plan() {
        return plan;
    }

    /**
     * Does now what the first run would otherwise do first: one execution context (queue and activation memory) and
     * the backend's own forms of the constant inputs of every {@link Step.Preparing} step (packed weights).
     */
    void prepare() {
        onContext(ctx -> {
            Kernels k = ctx.queue.kernels();
            for (Step s : plan.steps) {
                if (!(s.kernel() instanceof Step.Preparing p)) continue;
                DeviceBuffer[] in = new DeviceBuffer[s.inputs().length];
                for (int j = 0; j < in.length; j++) in[j] = s.inputs()[j] < 0 ? null : constants[s.inputs()[j]];
                p.prepare(k, in);
            }
            ctx.queue.synchronize();
            return null;
        });
    }

    Map<String, Tensor> run(Map<String, Tensor> inputs, StepListener listener, boolean checkFinite) {
        return withContext(ctx -> {
            Queue q = ctx.queue;
            for (Plan.Input in : plan.inputs) {
                DeviceBuffer dst = ctx.bound[in.valueId()];
                if (dst == null) continue; // an input nothing reads
                float[] data = inputs.get(in.name()).floats();
                q.upload(data, 0, dst, 0, data.length);
            }
            runSteps(ctx, listener, checkFinite);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Plan.Output o : plan.outputs) {
                Tensor t;
                if (o.valueId() < 0) {
                    t = o.constant();
                } else {
                    float[] data = new float[Shapes.numel(o.shape())];
                    q.download(ctx.bound[o.valueId()], 0, data, 0, data.length);
                    t = Tensor.of(data, o.shape());
                }
                if (o.declared() == DType.FLOAT16 && t.dtype() != DType.FLOAT16) t = t.asType(DType.FLOAT16);
                // integer and boolean outputs computed on the device as floats (ArgMax, comparisons): exact up to 2^24
                if (o.declared() == DType.INT64 && t.dtype() != DType.INT64) t = t.asType(DType.INT64);
                out.put(o.name(), t);
            }
            q.synchronize();
            return out;
        });
    }

    /**
     * Runs on inputs already in this backend's memory (copied device to device into the plan's input slots) and
     * returns every output as a new DeviceTensor the caller owns (copied device to device out of the slots, which the
     * next run reuses): no data passes through the host.
     */
    Map<String, DeviceTensor> runOnDevice(Map<String, DeviceTensor> inputs, boolean checkFinite) {
        return withContext(ctx -> {
            Queue q = ctx.queue;
            Kernels k = q.kernels();
            for (Plan.Input in : plan.inputs) {
                DeviceBuffer dst = ctx.bound[in.valueId()];
                if (dst == null) continue;
                DeviceTensor src = inputs.get(in.name());
                k.copy(Shapes.numel(in.shape()), src.buffer(), dst);
            }
            runSteps(ctx, null, checkFinite);
            Map<String, DeviceTensor> out = new LinkedHashMap<>();
            try {
                for (Plan.Output o : plan.outputs) {
                    int n = Shapes.numel(o.shape());
                    DeviceBuffer b = backend.allocate(Math.max(1, n), "output '" + o.name() + "'");
                    out.put(o.name(), new DeviceTensor(b, o.shape()));
                    if (o.valueId() < 0) {
                        float[] data = o.constant().toFloats();
                        q.upload(data, 0, b, 0, data.length);
                    } else {
                        k.copy(n, ctx.bound[o.valueId()], b);
                    }
                }
                q.synchronize();
            } catch (RuntimeException e) {
                for (DeviceTensor t : out.values()) t.close();
                throw e;
            }
            return out;
        });
    }

    /** {@link #onContext}, recorded as one inference event (JFR). */
    private <T> T withContext(java.util.function.Function<Context, T> work) {
        return onContext(ctx -> {
            InferenceEvent inference = new InferenceEvent();
            inference.begin();
            T result = work.apply(ctx);
            if (inference.shouldCommit()) {
                inference.model = model;
                inference.backend = backend.name();
                StringBuilder shapes = new StringBuilder();
                for (Plan.Input in : plan.inputs) shapes.append(shapes.length() > 0 ? " " : "").append(java.util.Arrays.toString(in.shape()));
                inference.inputs = shapes.toString();
                inference.steps = plan.steps.size();
                inference.commit();
            }
            return result;
        });
    }

    /** Runs {@code work} on a context from the pool, no inference event; a context whose work failed is freed, not reused. */
    private <T> T onContext(java.util.function.Function<Context, T> work) {
        Context ctx = borrow();
        boolean healthy = false;
        try {
            T result = work.apply(ctx);
            healthy = true;
            return result;
        } finally {
            if (healthy) idle.push(ctx);
            else discard(ctx);
        }
    }

    private void runSteps(Context ctx, StepListener listener, boolean checkFinite) {
        Queue q = ctx.queue;
        Kernels k = q.kernels();
        boolean layerEvents = LAYER_EVENTS.isEnabled();
        if (listener == null && !layerEvents && !checkFinite) {
            // the same kernels on the same buffers at every run of this context: a backend may replay a recording
            q.replay(ctx, () -> {
                for (Step s : plan.steps) s.kernel().run(k, inputsOf(ctx, s), ctx.bound[s.output()]);
            });
        } else {
            for (int i = 0; i < plan.steps.size(); i++) {
                Step s = plan.steps.get(i);
                LayerEvent layer = layerEvents ? new LayerEvent() : null;
                if (layer != null) layer.begin();
                long t0 = listener == null ? 0 : System.nanoTime();
                s.kernel().run(k, inputsOf(ctx, s), ctx.bound[s.output()]);
                if (listener != null || layer != null) q.synchronize();
                if (listener != null) listener.stepDone(i, s, System.nanoTime() - t0);
                if (layer != null && layer.shouldCommit()) {
                    layer.op = s.op();
                    layer.node = s.node();
                    layer.shapes = s.shape();
                    layer.macs = s.macs();
                    layer.commit();
                }
                if (checkFinite) checkFinite(q, s, ctx.bound[s.output()], plan.valueSizes[s.output()]);
            }
        }
    }

    private static DeviceBuffer[] inputsOf(Context ctx, Step s) {
        DeviceBuffer[] in = new DeviceBuffer[s.inputs().length];
        for (int j = 0; j < in.length; j++) in[j] = s.inputs()[j] < 0 ? null : ctx.bound[s.inputs()[j]];
        return in;
    }

    private static void checkFinite(Queue q, Step s, DeviceBuffer out, int count) {
        float[] v = new float[count];
        q.download(out, 0, v, 0, count);
        for (int i = 0; i < count; i++) {
            if (!Float.isFinite(v[i])) {
                throw new io.gapnet.NonFiniteException("the output of " + s.op() + " step of node '" + s.node() + "' ("
                        + s.shape() + ") is the first to hold a non-finite value: " + v[i] + " at element " + i);
            }
        }
    }

    private Context borrow() {
        Context c = idle.poll();
        if (c != null) return c;
        Context fresh = new Context();
        synchronized (all) {
            all.add(fresh);
        }
        return fresh;
    }

    private void discard(Context c) {
        synchronized (all) {
            all.remove(c);
        }
        try {
            c.close();
        } catch (GapnetException ignored) {
            // the context is dropped either way; the original failure is what the caller sees
        }
    }

    /** Frees every execution context and the plan's own constants (the model's weights belong to the Session). */
    void close() {
        synchronized (all) {
            for (Context c : all) c.close();
            all.clear();
            idle.clear();
            for (DeviceBuffer b : owned) b.close();
        }
    }

}
