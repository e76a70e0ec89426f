package io.gapnet.backend.cpu.fast;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs numbered work items on the calling thread plus the fast CPU path's helper threads. The items are cut into
 * one contiguous share per thread (the caller's first); each thread runs its own share in order, then helps with
 * what is left of the others' (load balancing, nothing allocated per item).
 * <p>
 * Why shares and not one counter for all: consecutive layers cut their work alike (ranges of output pixels or
 * tiles, in order), so with shares a thread mostly reads what it wrote itself one layer before. A cache line
 * written by the other core is slow to arrive (a 446 ns round trip between the two cores of the 2-core test
 * machine), and with each item going to whichever thread came first, ResNet-50 ran 4-5% slower at batch 1 and 8.
 * <p>
 * An inference is a chain of short parallel regions (one or more per layer, often under a millisecond), so
 * the helpers spin for a while after a region before they park: waking a parked thread costs tens of
 * microseconds to milliseconds on a busy or virtualised machine, which doubled ResNet-50's time on two
 * cores when the helpers came from the common fork-join pool. One region runs at a time; a caller that
 * finds the helpers busy (another thread's region, or a region started from inside a region) runs its
 * items itself. The caller never waits for a helper that has not joined: it closes the region when it runs
 * out of items and waits only for helpers still inside an item.
 * <p>
 * Threads: {@code -Dgapnet.cpu.threads=N} (default: all available processors).
 */
public final class Parallel {
    private static final int CLOSED = 1 << 30;
    /** How long an idle helper keeps looking for the next region before it parks. */
    private static final long SPIN_NANOS = Long.getLong("gapnet.cpu.spinMicros", 2000) * 1000;
    /** How long a caller that ran out of items spins for the helpers still inside one before it parks. */
    private static final long CLOSE_SPIN_NANOS = 200_000;
    private static final int THREADS = Math.max(1, Integer.getInteger("gapnet.cpu.threads",
            Runtime.getRuntime().availableProcessors()));

    /** Ints between two threads' counters in a region, so that no two share a cache line. */
    private static final int PAD = 16;

    private static final AtomicReference<Region> CURRENT = new AtomicReference<>();
    private static final Helper[] HELPERS = startHelpers();

    private Parallel() {}

    /** Threads a parallel region uses: the helpers plus the caller. */
    public static int threads() {
        return THREADS;
    }

    /** Calls {@code body} once for every item in [0, items), in parallel; rethrows the first failure. */
    public static void run(int items, IntConsumer body) {
        if (items <= 0) return;
        Region region = new Region(items, body);
        if (items == 1 || HELPERS.length == 0 || !CURRENT.compareAndSet(null, region)) {
            region.work(0);
        } else {
            try {
                for (Helper h : HELPERS) {
                    if (h.parked) LockSupport.unpark(h);
                }
                region.work(0);
                region.close();
            } finally {
                CURRENT.set(null);
            }
        }
        Throwable failure = region.failure.get();
        if (failure instanceof RuntimeException r) throw r;
        if (failure instanceof Error e) throw e;
    }

    /** The first item of thread {@code slot}'s share (0: the caller; i: helper i) of {@code items}. */
    static int shareStart(int slot, int items) {
        return (int) ((long) slot * items / THREADS);
    }

    private static Helper[] startHelpers() {
        Helper[] h = new Helper[THREADS - 1];
        for (int i = 0; i < h.length; i++) {
            h[i] = new Helper(i + 1);
            h[i].start();
        }
        return h;
    }

    /** A daemon thread that helps with whichever region is current. */
    private static final class Helper extends Thread {
        volatile boolean parked;
        /** Which share of a region's items is this helper's own. */
        final int slot;

        Helper(int n) {
            super("gapnet-cpu-" + n);
            slot = n;
            setDaemon(true);
        }

        @Override
        public void run() {
            Region last = null;
            while (true) {
                Region r = await(last);
                r.help(slot);
                last = r;
            }
        }

        /** The next region other than {@code last}: spin for {@link #SPIN_NANOS}, then park until woken. */
        private Region await(Region last) {
            long idleSince = System.nanoTime();
            while (true) {
                Region r = CURRENT.get();
                if (r != null && r != last) return r;
                if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                r = CURRENT.get(); // a region published before the flag was visible would not unpark us
                if (r == null || r == last) LockSupport.park(this);
                parked = false;
                idleSince = System.nanoTime();
            }
        }
    }

    private static final class Region {
        final int items;
        final IntConsumer body;
        /** Per share s, how many of its items were taken (at {@code PAD * s}); all of them after a failure. */
        final AtomicIntegerArray taken = new AtomicIntegerArray(PAD * THREADS);
        /** Helpers inside {@link #work}, plus {@link #CLOSED} once the caller stops admitting them. */
        final AtomicInteger state = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile Thread waiter;

        Region(int items, IntConsumer body) {
            this.items = items;
            this.body = body;
        }

        /** Runs the untaken items of share {@code slot}, then those of the other shares. */
        void work(int slot) {
            for (int k = 0; k < THREADS; k++) {
                int s = (slot + k) % THREADS, first = shareStart(s, items), size = shareStart(s + 1, items) - first;
                for (int t = taken.getAndIncrement(PAD * s); t < size; t = taken.getAndIncrement(PAD * s)) {
                    try {
                        body.accept(first + t);
                    } catch (RuntimeException | Error e) {
                        if (!failure.compareAndSet(null, e)) failure.get().addSuppressed(e);
                        for (int z = 0; z < THREADS; z++) taken.set(PAD * z, items); // nobody starts another item
                    }
                }
            }
        }

        void help(int slot) {
            int s;
            do {
                s = state.get();
                if ((s & CLOSED) != 0) return;
            } while (!state.compareAndSet(s, s + 1));
            try {
                work(slot);
            } finally {
                if (state.decrementAndGet() == CLOSED) {
                    Thread w = waiter;
                    if (w != null) LockSupport.unpark(w);
                }
            }
        }

        /** Stops admitting helpers and waits for those inside an item. */
        void close() {
            waiter = Thread.currentThread();
            if (state.getAndAdd(CLOSED) == 0) return;
            // spin first: the helpers usually finish within microseconds of the caller, and a parked caller
            // takes tens of microseconds to wake on a virtualised machine (about 5-10 us per region, ResNet-50
            // batch 1 has 79 regions)
            long since = System.nanoTime();
            while (state.get() != CLOSED) {
                Thread.onSpinWait();
                if (System.nanoTime() - since > CLOSE_SPIN_NANOS && state.get() != CLOSED) {
                    LockSupport.parkNanos(this, 20_000);
                }
            }
        }
    }
}
