package io.gapnet.runtime;

import io.gapnet.ClosedException;
import io.gapnet.ShapeException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Runs one model on one backend. The graph is optimised once; a {@link Plan} is compiled and cached per
 * input signature; weights are uploaded once and shared by all plans. Any number of threads may call
 * {@link #run} at once (each run takes an execution context from a pool). {@link #close()} waits for
 * running calls, then frees everything the Session allocated; the backend itself stays open.
 */
public final class Session implements AutoCloseable {
    private final Graph graph;
    private final Backend backend;
    /** Compiled plans, least recently used first; guarded by itself. */
    private final LinkedHashMap<String, Executable> plans = new LinkedHashMap<>(16, 0.75f, true);
    private long cachedBytes;
    /** The model's weights on the device, shared by every plan; guarded by itself. */
    private final Map<Tensor, DeviceBuffer> weights = new IdentityHashMap<>();
    private final java.util.Set<Tensor> initializers = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final SessionOptions options;
    private volatile boolean closed;
    private String embeddingValue;

    private Session(Graph graph, Backend backend, SessionOptions options) {
        this.graph = GraphOptimizer.optimize(graph);
        this.backend = backend;
        this.options = options;
        initializers.addAll(this.graph.initializers().values());
        Map<String, int[]> fixed = options.prepareAtOpen() ? fixedInputShapes(this.graph) : null;
        if (fixed != null) {
            try {
                prepare(fixed);
            } catch (RuntimeException e) {
                // preparing is only a head start: a declared shape the model cannot run, an unsupported op, too little
                // memory leave the work to the first run, which reports the problem where the caller expects it
            }
        }
    }

    /**
     * The model's inputs with a dynamic first dimension set to 1, when every input is float32 with a known shape and
     * no other dimension is dynamic; otherwise null.
     */
    static Map<String, int[]> fixedInputShapes(Graph graph) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (ValueInfo in : graph.inputs()) {
            long[] dims = in.dims();
            if (in.dtype() != DType.FLOAT32 || dims == null) return null;
            int[] shape = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                long d = dims[i] < 0 && i == 0 ? 1 : dims[i];
                if (d <= 0 || d > Integer.MAX_VALUE) return null;
                shape[i] = (int) d;
            }
            shapes.put(in.name(), shape);
        }
        return shapes.isEmpty() ? null : shapes;
    }

    /**
     * Does ahead of the first run at these input shapes what that run would otherwise do first: compiles and caches the
     * plan, uploads the weights, allocates one execution context, and lets the backend make its packed forms of the
     * weights. {@link #open} does this for the model's own input shapes (see {@link SessionOptions#prepareAtOpen}).
     */
    public void prepare(Map<String, int[]> shapes) {
        lock.readLock().lock();
        try {
            checkOpen();
            Executable exe = executable(floatSigs(shapes), List.of());
            try {
                exe.prepare();
            } finally {
                exe.release();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Opens a session of {@code graph} on {@code backend}; the caller keeps ownership of the backend. */
    public static Session open(Graph graph, Backend backend) {
        return new Session(graph, backend, SessionOptions.DEFAULT);
    }

    public static Session open(Graph graph, Backend backend, SessionOptions options) {
        return new Session(graph, backend, options);
    }

    public Backend backend() {
        checkOpen();
        return backend;
    }

    /** The graph as this session runs it (after BatchNorm folding and fusion). */
    public Graph graph() {
        checkOpen();
        return graph;
    }

    /** Every public method but {@link #close} and {@link #toString} refuses a closed Session with this. */
    private void checkOpen() {
        if (closed) throw new ClosedException("Session of '" + graph.name() + "' on " + backend.name());
    }

    /** Runs the model on named inputs and returns every graph output by name. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return run(inputs, List.of(), null);
    }

    /** Runs a model with one input and returns its first output. */
    public Tensor run(Tensor input) {
        return run(Map.of(singleInputName(), input)).values().iterator().next();
    }

    /**
     * Runs the model, returning the graph outputs and the intermediate values named in {@code extraOutputs};
     * {@code listener}, if not null, receives each step's time.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, Collection<String> extraOutputs, StepListener listener) {
        lock.readLock().lock();
        try {
            checkOpen();
            Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
                if (e.getValue() == null) throw new ShapeException("input '" + e.getKey() + "' is null");
                sigs.put(e.getKey(), Compiler.InputSig.of(e.getValue()));
            }
            Executable exe = executable(sigs, extraOutputs);
            try {
                if (options.checkFinite()) checkFinite(inputs);
                return exe.run(inputs, listener, options.checkFinite());
            } finally {
                exe.release();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs the model on inputs that are already in this Session's backend memory and returns every graph output there,
     * as new DeviceTensors the caller owns and closes: the inputs are copied device to device into the plan, the
     * outputs out of it, and nothing passes through the host. One model's outputs can so feed the next model on the
     * same backend (a detector's crops, a backbone's features into several heads). Inputs are float32; an output
     * declared int64 or float16 comes as float32 values.
     */
    public Map<String, DeviceTensor> runOnDevice(Map<String, DeviceTensor> inputs) {
        lock.readLock().lock();
        try {
            checkOpen();
            Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
            for (Map.Entry<String, DeviceTensor> e : inputs.entrySet()) {
                DeviceTensor t = e.getValue();
                if (t == null) throw new ShapeException("input '" + e.getKey() + "' is null");
                if (t.backend() != backend) {
                    throw new ShapeException("input '" + e.getKey() + "' is in the memory of " + t.backend().name()
                            + ", but this Session runs on " + backend.name() + ": upload it there (DeviceTensor.upload) or"
                            + " download it and run(Map) instead");
                }
                t.buffer().checkOpen();
                sigs.put(e.getKey(), new Compiler.InputSig(t.shape(), DType.FLOAT32, null));
            }
            Executable exe = executable(sigs, List.of());
            try {
                if (options.checkFinite()) {
                    Map<String, Tensor> host = new LinkedHashMap<>();
                    inputs.forEach((k, v) -> host.put(k, v.download()));
                    checkFinite(host);
                }
                return exe.runOnDevice(inputs, options.checkFinite());
            } finally {
                exe.release();
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The plan for a signature, compiled and its constants uploaded on first use, retained for one run. */
    private Executable executable(Map<String, Compiler.InputSig> sigs, Collection<String> extraOutputs) {
        String key = Compiler.key(sigs, extraOutputs);
        Executable exe;
        synchronized (plans) {
            exe = plans.get(key);
            if (exe != null) exe.retain();
        }
        if (exe == null) {
            // compiled outside the lock, so that runs of cached plans go on meanwhile
            Plan plan = Compiler.compile(graph, sigs, extraOutputs, backend.convPairs());
            List<DeviceBuffer> owned = new ArrayList<>();
            Executable fresh = new Executable(plan, backend, upload(plan, owned), owned, graph.name());
            synchronized (plans) {
                exe = plans.get(key);
                if (exe == null) {
                    exe = fresh;
                    plans.put(key, exe);
                    cachedBytes += exe.bytes();
                    evictBeyondBounds(exe);
                }
                exe.retain();
            }
            if (exe != fresh) fresh.close(); // another thread compiled the same plan first
        }
        return exe;
    }

    /**
     * Frees the least recently used plans while the cache holds more than {@link SessionOptions#maxPlans()} plans or
     * {@link SessionOptions#maxPlanBytes()} bytes; {@code newest} stays. A plan in use by another thread is freed when
     * that run ends. Caller holds the plans lock.
     */
    private void evictBeyondBounds(Executable newest) {
        java.util.Iterator<Executable> lru = plans.values().iterator();
        while ((plans.size() > options.maxPlans() || cachedBytes > options.maxPlanBytes()) && lru.hasNext()) {
            Executable e = lru.next();
            if (e == newest) continue;
            lru.remove();
            cachedBytes -= e.bytes();
            e.evict();
        }
    }

    private static void checkFinite(Map<String, Tensor> inputs) {
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
            if (!e.getValue().dtype().isFloat()) continue;
            float[] v = e.getValue().floats();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new io.gapnet.NonFiniteException("input '" + e.getKey() + "' holds " + v[i] + " at element " + i
                            + "; fix the input data (the model was not run)");
                }
            }
        }
    }

    /** Compiles (or finds) the plan for these input shapes without running it; float inputs only. */
    public Plan plan(Map<String, int[]> shapes) {
        checkOpen();
        Map<String, Compiler.InputSig> sigs = floatSigs(shapes);
        synchronized (plans) {
            Executable cached = plans.get(Compiler.key(sigs, List.of()));
            if (cached != null) return cached.plan();
        }
        return Compiler.compile(graph, sigs, List.of(), backend.convPairs());
    }

    private static Map<String, Compiler.InputSig> floatSigs(Map<String, int[]> shapes) {
        Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
        shapes.forEach((k, v) -> sigs.put(k, new Compiler.InputSig(v, DType.FLOAT32, null)));
        return sigs;
    }

    /**
     * Uploads the constants a plan reads: the model's weights once for every plan, constants the plan computed itself
     * (from input shapes or int64 inputs) into {@code owned}, freed with the plan. Caller holds the read lock.
     */
    private DeviceBuffer[] upload(Plan plan, List<DeviceBuffer> owned) {
        DeviceBuffer[] bufs = new DeviceBuffer[plan.valueCount];
        synchronized (weights) {
            try (Queue q = backend.openQueue()) {
                for (Map.Entry<Integer, Tensor> e : plan.constants.entrySet()) {
                    Tensor t = e.getValue();
                    boolean weight = initializers.contains(t);
                    DeviceBuffer b = weight ? weights.get(t) : null;
                    if (b == null) {
                        float[] data = t.toFloats();
                        b = backend.allocate(Math.max(1, data.length), "constant value " + e.getKey());
                        q.upload(data, 0, b, 0, data.length);
                        b.markConstant();
                        if (weight) weights.put(t, b);
                        else owned.add(b);
                    }
                    bufs[e.getKey()] = b;
                }
                q.synchronize();
            } catch (RuntimeException ex) {
                for (DeviceBuffer b : owned) b.close();
                throw ex;
            }
        }
        return bufs;
    }

    /**
     * The number of classes (values per image of the first output) for a single float input of this shape, from the
     * compiled plan, without running the model.
     */
    public int classes(int[] inputShape) {
        int[] out = plan(Map.of(singleInputName(), inputShape)).outputs().get(0).shape();
        long n = 1;
        for (int d = 1; d < out.length; d++) n *= out[d];
        if (n > Integer.MAX_VALUE) throw new ShapeException("the first output has " + n + " values per image");
        return (int) n;
    }

    /** The single graph input's name; an error naming all inputs when there are several. */
    public String singleInputName() {
        checkOpen();
        List<ValueInfo> ins = graph.inputs();
        if (ins.size() != 1) {
            throw new ShapeException("the model has " + ins.size() + " inputs " + ins.stream().map(ValueInfo::name).toList()
                    + "; pass them by name with run(Map)");
        }
        return ins.get(0).name();
    }

    /**
     * The top {@code k} classes of each image of a batch, from the first output ([N, classes] or
     * [N, classes, 1, 1]); softmax is applied unless the model already ends in Softmax.
     */
    public List<List<Prediction>> topK(Tensor input, int k) {
        checkOpen();
        Tensor out = run(input);
        return topK(out, k, !endsInSoftmax());
    }

    /** Top-K of a [N, classes, ...] score tensor, optionally through softmax first. */
    public static List<List<Prediction>> topK(Tensor scores, int k, boolean softmax) {
        int n = scores.rank() == 0 ? 1 : scores.dim(0);
        int classes = scores.numel() / Math.max(1, n);
        float[] all = scores.toFloats();
        List<List<Prediction>> result = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] p = java.util.Arrays.copyOfRange(all, i * classes, (i + 1) * classes);
            if (softmax) {
                float max = Float.NEGATIVE_INFINITY;
                for (float v : p) max = Math.max(max, v);
                double sum = 0;
                for (float v : p) sum += Math.exp(v - max);
                for (int j = 0; j < p.length; j++) p[j] = (float) (Math.exp(p[j] - max) / sum);
            }
            Integer[] order = new Integer[classes];
            for (int j = 0; j < classes; j++) order[j] = j;
            java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            List<Prediction> top = new ArrayList<>();
            for (int j = 0; j < Math.min(k, classes); j++) top.add(new Prediction(order[j], p[order[j]]));
            result.add(top);
        }
        return result;
    }

    /**
     * Multi-label answer of one row of a [N, classes, ...] score tensor: a sigmoid per class (unless {@code sigmoid} is
     * false: the model applied it already), every class whose probability reaches {@code threshold}, most probable
     * first.
     */
    public static List<Prediction> aboveThreshold(Tensor scores, int row, float threshold, boolean sigmoid) {
        float[] s = scores.toFloats();
        int n = scores.rank() == 0 ? 1 : scores.dim(0);
        int classes = s.length / Math.max(1, n);
        List<Prediction> out = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            float v = s[row * classes + c];
            float p = sigmoid ? (float) (1 / (1 + Math.exp(-v))) : v;
            if (p >= threshold) out.add(new Prediction(c, p));
        }
        out.sort((a, b) -> Float.compare(b.probability(), a.probability()));
        return out;
    }

    /** True when the first output is produced by a Softmax node. */
    public boolean endsInSoftmax() {
        return endsIn("Softmax");
    }

    /** True when the first output is produced by a node of this op type (Softmax, Sigmoid...). */
    public boolean endsIn(String opType) {
        checkOpen();
        Node p = graph.producers().get(graph.outputs().get(0).name());
        return p != null && p.opType().equals(opType);
    }

    /**
     * The embedding of each image, as [N, D]: the global-average-pooled vector of the head, whichever the head
     * (GAP and a linear layer, GAP of one map per class, or GAP and a deeper classifier); a model without GAP
     * near its output is a clear error that names {@link #embed(Tensor, String, boolean)}.
     */
    public Tensor embed(Tensor input) {
        return embed(input, null, false);
    }

    /**
     * The value {@code layer} (null for {@link #embeddingValue()}) of each image, flattened to [N, D], and with
     * {@code normalize} scaled to unit L2 length per image (a zero vector stays zero), as image search wants it.
     */
    public Tensor embed(Tensor input, String layer, boolean normalize) {
        checkOpen();
        String value = layer != null ? valueNamed(layer) : embeddingValue();
        Tensor t = run(Map.of(singleInputName(), input), List.of(value), null).get(value);
        int n = t.dim(0), d = t.numel() / n;
        if (!normalize) return t.reshape(n, d);
        float[] v = t.toFloats();
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (int j = 0; j < d; j++) sq += (double) v[i * d + j] * v[i * d + j];
            double inv = sq > 0 ? 1 / Math.sqrt(sq) : 0;
            for (int j = 0; j < d; j++) v[i * d + j] = (float) (v[i * d + j] * inv);
        }
        return Tensor.of(v, n, d);
    }

    /**
     * The value {@code name} names: a value of the optimised graph, or a node's name for its first output; a clear error
     * otherwise.
     */
    public String valueNamed(String name) {
        checkOpen();
        if (graph.producers().containsKey(name) || graph.inputs().stream().anyMatch(v -> v.name().equals(name))) return name;
        for (io.gapnet.model.Node n : graph.nodes()) if (n.name().equals(name)) return n.output(0);
        throw new io.gapnet.ModelException("the model has no value or node named '" + name + "': name a node or its output"
                + " (gapnet info --layers lists the nodes); a Conv fused with its BatchNormalization and activation keeps only"
                + " the activation's output");
    }

    /** The name of the value {@link #embed(Tensor)} returns: the head's GAP output, or the GAP nearest the output. */
    public synchronized String embeddingValue() {
        checkOpen();
        if (embeddingValue == null) {
            try {
                embeddingValue = head().pooled();
            } catch (io.gapnet.ModelException e) {
                embeddingValue = GapHead.nearestPooling(graph);
                if (embeddingValue == null) throw e;
            }
        }
        return embeddingValue;
    }

    /** The GAP head of the model (see {@link GapHead}); a clear error when the model has none. */
    public GapHead head() {
        checkOpen();
        return GapHead.find(graph);
    }

    /** Number of compiled plans (one per input signature seen so far). */
    public int cachedPlans() {
        checkOpen();
        synchronized (plans) {
            return plans.size();
        }
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            synchronized (plans) {
                for (Executable e : plans.values()) e.close();
                plans.clear();
                cachedBytes = 0;
            }
            synchronized (weights) {
                for (DeviceBuffer b : weights.values()) b.close();
                weights.clear();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        synchronized (plans) {
            return "Session(" + graph.name() + " on " + backend.name() + ", " + plans.size() + " plans)";
        }
    }
}
