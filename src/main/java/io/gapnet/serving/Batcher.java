package io.gapnet.serving;

import io.gapnet.ClosedException;
import io.gapnet.ShapeException;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Dynamic batching for a shared {@link Session}: requests from many threads are coalesced into one batched
 * inference, up to {@code maxBatch} images or until {@code maxDelay} has passed since the first request of
 * the batch; each caller gets its own rows of the outputs. Only requests of the same image shape share a
 * batch. Up to {@code parallelism} batches run at once (the Session runs them on separate execution contexts);
 * while all of them are busy, requests wait in the queue, so the next batch forms from everything that arrived
 * meanwhile (under load, batches fill up to {@code maxBatch}). Every request is answered: with its rows, or with
 * the failure of its batch, an {@link Error} included.
 *
 * <pre>{@code
 * try (Batcher batcher = new Batcher(session, List.of(), 16, Duration.ofMillis(5), 2)) {
 *     Map<String, Tensor> out = batcher.submit(image).join();   // image: [1, 3, 224, 224]
 * }
 * }</pre>
 */
public final class Batcher implements AutoCloseable {
    private record Request(Tensor input, CompletableFuture<Map<String, Tensor>> result) {}

    private final java.util.function.Function<Tensor, Map<String, Tensor>> runner;
    private final List<String> extraOutputs;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final ExecutorService workers;
    /** Free workers: the dispatcher takes one before it forms a batch, the batch gives it back when done. */
    private final java.util.concurrent.Semaphore free;
    private final Thread dispatcher;
    private final AtomicLongArray batchSizes;
    private volatile boolean closed;
    private volatile BatchListener listener = (images, nanos) -> {};

    /** Told of every batch that ran: its number of images and its inference time. */
    @FunctionalInterface
    public interface BatchListener {
        /** A batch of {@code images} images ran in {@code nanos} nanoseconds. */
        void batchDone(int images, long nanos);
    }

    /**
     * @param extraOutputs intermediate values to return besides the graph outputs (such as the embedding)
     * @param maxBatch most images in one batch
     * @param maxDelay longest a request waits for others to join its batch
     * @param parallelism most batches running at once
     */
    public Batcher(Session session, List<String> extraOutputs, int maxBatch, Duration maxDelay, int parallelism) {
        this(batch -> session.run(Map.of(session.singleInputName(), batch), extraOutputs, null), extraOutputs, maxBatch, maxDelay,
                parallelism);
    }

    /** A Batcher whose batches {@code runner} runs (tests give it one that blocks or fails). */
    Batcher(java.util.function.Function<Tensor, Map<String, Tensor>> runner, List<String> extraOutputs, int maxBatch,
            Duration maxDelay, int parallelism) {
        if (maxBatch < 1 || parallelism < 1) {
            throw new io.gapnet.GapnetException("maxBatch and parallelism must be at least 1 (got " + maxBatch + " and " + parallelism + ")");
        }
        this.runner = runner;
        this.extraOutputs = List.copyOf(extraOutputs);
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelay.toNanos();
        this.batchSizes = new AtomicLongArray(maxBatch + 1);
        this.free = new java.util.concurrent.Semaphore(parallelism);
        this.workers = Executors.newFixedThreadPool(parallelism, r -> {
            Thread t = new Thread(r, "gapnet-batch");
            t.setDaemon(true);
            return t;
        });
        this.dispatcher = new Thread(this::dispatch, "gapnet-batcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    /** Queues one request: a tensor whose first dimension is the batch (usually 1). */
    public CompletableFuture<Map<String, Tensor>> submit(Tensor input) {
        if (closed) throw new ClosedException("Batcher");
        if (input.rank() == 0 || input.dim(0) < 1 || input.dim(0) > maxBatch) {
            throw new ShapeException("a batched request needs a leading batch dimension of 1 to " + maxBatch
                    + " but has shape " + Arrays.toString(input.shape()));
        }
        CompletableFuture<Map<String, Tensor>> f = new CompletableFuture<>();
        queue.add(new Request(input, f));
        return f;
    }

    /** Sets the listener told of every batch (for metrics). */
    public void listener(BatchListener l) {
        this.listener = java.util.Objects.requireNonNull(l, "listener");
    }

    /** Requests waiting for a batch to take them. */
    public int queued() {
        return queue.size();
    }

    /** How many batches of each size (index 1 to maxBatch) have run. */
    public long[] batchSizeCounts() {
        long[] r = new long[batchSizes.length()];
        for (int i = 0; i < r.length; i++) r[i] = batchSizes.get(i);
        return r;
    }

    private void dispatch() {
        List<Request> pending = new ArrayList<>();
        while (!closed || !queue.isEmpty() || !pending.isEmpty()) {
            List<Request> batch = new ArrayList<>();
            boolean permit = false;
            try {
                // a batch forms only when a worker can take it: until then requests pile up in the queue
                if (!free.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                permit = true;
                if (pending.isEmpty()) {
                    Request first = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        free.release();
                        permit = false;
                        continue;
                    }
                    pending.add(first);
                }
                int[] shape = pending.get(0).input().shape();
                long deadline = System.nanoTime() + maxDelayNanos;
                List<Request> others = new ArrayList<>();
                int images = 0;
                for (Request r : pending) {
                    if (sameImage(shape, r.input().shape()) && images + r.input().dim(0) <= maxBatch) {
                        batch.add(r);
                        images += r.input().dim(0);
                    } else {
                        others.add(r);
                    }
                }
                while (images < maxBatch) {
                    long wait = deadline - System.nanoTime();
                    Request r = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                    if (r == null) break;
                    if (sameImage(shape, r.input().shape()) && images + r.input().dim(0) <= maxBatch) {
                        batch.add(r);
                        images += r.input().dim(0);
                    } else {
                        others.add(r);
                    }
                }
                pending = others;
                int total = images;
                workers.execute(() -> {
                    try {
                        run(batch, total);
                    } finally {
                        free.release();
                    }
                });
                permit = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(batch, e);
                break;
            } catch (Throwable t) { // an Error (out of memory, say) here must not strand a single caller
                if (permit) free.release();
                fail(batch, t);
                fail(pending, t);
                pending = new ArrayList<>();
            }
        }
        // stopped (closed and drained, or interrupted): whatever is left gets an answer too
        fail(pending, new ClosedException("Batcher"));
        for (Request r; (r = queue.poll()) != null; ) r.result().completeExceptionally(new ClosedException("Batcher"));
    }

    private static void fail(List<Request> requests, Throwable cause) {
        for (Request r : requests) r.result().completeExceptionally(cause);
    }

    private static boolean sameImage(int[] a, int[] b) {
        return a.length == b.length && Arrays.equals(Arrays.copyOfRange(a, 1, a.length), Arrays.copyOfRange(b, 1, b.length));
    }

    private void run(List<Request> batch, int total) {
        try {
            Tensor first = batch.get(0).input();
            int per = first.numel() / first.dim(0);
            float[] data = new float[total * per];
            int at = 0;
            for (Request r : batch) {
                System.arraycopy(r.input().floats(), 0, data, at, r.input().numel());
                at += r.input().numel();
            }
            int[] shape = first.shape();
            shape[0] = total;
            long t0 = System.nanoTime();
            Map<String, Tensor> out = runner.apply(Tensor.of(data, shape));
            batchSizes.incrementAndGet(total);
            listener.batchDone(total, System.nanoTime() - t0);
            int row = 0;
            for (Request r : batch) {
                int n = r.input().dim(0);
                Map<String, Tensor> mine = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : out.entrySet()) mine.put(e.getKey(), rows(e.getValue(), row, n, total));
                r.result().complete(mine);
                row += n;
            }
        } catch (Throwable e) { // Errors too: every caller of the batch gets an answer
            for (Request r : batch) r.result().completeExceptionally(e);
        }
    }

    /** Rows [from, from + n) of a batch-major tensor (or the whole tensor when it is not per image). */
    static Tensor rows(Tensor t, int from, int n, int total) {
        if (t.rank() == 0 || t.dim(0) != total) return t;
        int per = t.numel() / total;
        int[] shape = t.shape();
        shape[0] = n;
        if (t.dtype() == io.gapnet.tensor.DType.INT64) {
            return Tensor.ofLongs(Arrays.copyOfRange(t.longs(), from * per, (from + n) * per), shape);
        }
        return Tensor.of(Arrays.copyOfRange(t.floats(), from * per, (from + n) * per), shape).asType(t.dtype());
    }

    /** Stops accepting requests, runs those already queued, and waits for them. */
    @Override
    public void close() {
        closed = true;
        try {
            dispatcher.join();
            workers.shutdown();
            workers.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
