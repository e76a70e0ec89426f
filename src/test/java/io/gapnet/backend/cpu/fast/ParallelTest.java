package io.gapnet.backend.cpu.fast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyItemRunsExactlyOnce() {
        for (int items : new int[] {0, 1, 2, 3, 1000}) {
            AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, items));
            Parallel.run(items, seen::incrementAndGet);
            for (int i = 0; i < items; i++) assertEquals(1, seen.get(i), "item " + i + " of " + items);
        }
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
