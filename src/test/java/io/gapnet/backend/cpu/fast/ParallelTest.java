package io.gapnet.backend.cpu.fast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyItemRunsExactlyOnce() {
        for (int items : new int[] {0, 1, 2, 3, 5, 7, 33, 1000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, items));
            Parallel.run(items, seen::incrementAndGet);
            for (int i = 0; i < items; i++) assertEquals(1, seen.get(i), "item " + i + " of " + items);
        }
    }

    @Test
    void theSharesAreContiguousNearlyEqualAndCoverEveryItem() {
        int threads = Parallel.threads();
        for (int items : new int[] {0, 1, 2, 3, 7, 1000, Integer.MAX_VALUE}) {
            assertEquals(0, Parallel.shareStart(0, items));
            assertEquals(items, Parallel.shareStart(threads, items));
            for (int s = 0; s < threads; s++) {
                long size = (long) Parallel.shareStart(s + 1, items) - Parallel.shareStart(s, items);
                assertTrue(size == (long) items / threads || size == (long) items / threads + 1, "share " + s + " of " + items + ": " + size);
            }
        }
    }

    @Test
    void aThreadThatFinishesItsShareTakesOverTheRestOfABlockedOne() throws Exception {
        assumeTrue(Parallel.threads() > 1, "one thread: no shares to take over");
        int items = 100;
        AtomicIntegerArray seen = new AtomicIntegerArray(items);
        java.util.concurrent.CountDownLatch others = new java.util.concurrent.CountDownLatch(items - 1);
        boolean[] allRanWhileBlocked = new boolean[1];
        Parallel.run(items, i -> {
            seen.incrementAndGet(i);
            if (i != 0) {
                others.countDown();
                return;
            }
            // item 0 opens the caller's share; the rest of that share can only run on another thread meanwhile
            try {
                allRanWhileBlocked[0] = others.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(allRanWhileBlocked[0], "items 1-99 waited for item 0");
        for (int i = 0; i < items; i++) assertEquals(1, seen.get(i), "item " + i);
    }

    @Test
    void regionsNestAndRunFromPoolThreads() {
        AtomicIntegerArray seen = new AtomicIntegerArray(64);
        java.util.stream.IntStream.range(0, 8).parallel().forEach(outer ->
                Parallel.run(8, inner -> seen.incrementAndGet(outer * 8 + inner)));
        for (int i = 0; i < 64; i++) assertEquals(1, seen.get(i));
    }

    @Test
    void aFailureReachesTheCallerAndTheNextRegionStillWorks() {
        IllegalStateException boom = new IllegalStateException("item 17 failed");
        IllegalStateException got = assertThrows(IllegalStateException.class, () -> Parallel.run(100, i -> {
            if (i == 17) throw boom;
        }));
        assertSame(boom, got);
        AtomicIntegerArray seen = new AtomicIntegerArray(10);
        Parallel.run(10, seen::incrementAndGet);
        for (int i = 0; i < 10; i++) assertEquals(1, seen.get(i));
    }
}
