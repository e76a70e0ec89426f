package io.gapnet.backend.cpu.fast;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Runs numbered work items on the calling thread plus helpers from the common fork-join pool, each thread
 * taking the next unclaimed item until none are left (dynamic load balancing, one submitted task per
 * helper, none per item). The caller never waits for a helper that has not started: once the caller runs
 * out of items it closes the region, late helpers return at once, and it waits only for helpers still
 * inside an item. So a busy pool only means the caller does more of the work.
 */
public final class Parallel {
    private static final int CLOSED = 1 << 30;

    private Parallel() {}

    /** Threads a parallel region uses: the common pool's workers plus the caller. */
    public static int threads() {
        return Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), ForkJoinPool.getCommonPoolParallelism() + 1));
    }

    /** Calls {@code body} once for every item in [0, items), in parallel; rethrows the first failure. */
    public static void run(int items, IntConsumer body) {
        if (items <= 0) return;
        int helpers = Math.min(threads() - 1, items - 1);
        if (helpers == 0) {
            for (int i = 0; i < items; i++) body.accept(i);
            return;
        }
        Region region = new Region(items, body);
        for (int h = 0; h < helpers; h++) ForkJoinPool.commonPool().execute(region::help);
        region.work();
        region.close();
        Throwable failure = region.failure.get();
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error e) throw e;
    }

    private static final class Region {
        final int items;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        /** Helpers inside {@link #work()}, plus {@link #CLOSED} once the caller stops admitting them. */
        final AtomicInteger state = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Region(int items, IntConsumer body) {
            this.items = items;
            this.body = body;
        }

        void work() {
            for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) {
                try {
                    body.accept(i);
                } catch (RuntimeException | Error e) {
                    if (!failure.compareAndSet(null, e)) failure.get().addSuppressed(e);
                    next.set(items); // nobody starts another item
                }
            }
        }

        void help() {
            int s;
            do {
                s = state.get();
                if ((s & CLOSED) != 0) return;
            } while (!state.compareAndSet(s, s + 1));
            try {
                work();
            } finally {
                if (state.decrementAndGet() == CLOSED) {
                    synchronized (this) {
                        notifyAll();
                    }
                }
            }
        }

        void close() {
            if (state.getAndAdd(CLOSED) == 0) return;
            for (int spin = 0; spin < 1000 && state.get() != CLOSED; spin++) Thread.onSpinWait();
            synchronized (this) {
                boolean interrupted = false;
                while (state.get() != CLOSED) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) Thread.currentThread().interrupt();
            }
        }
    }
}
