package io.gapnet.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** IEEE binary16 bit patterns from the standard's definition. */
class HalfTest {
    @Test
    void knownBitPatterns() {
        assertEquals(0x3C00, Half.fromFloat(1f) & 0xffff);
        assertEquals(0xC000, Half.fromFloat(-2f) & 0xffff);
        assertEquals(0x7BFF, Half.fromFloat(65504f) & 0xffff); // largest finite half
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xffff); // smallest subnormal
        assertEquals(0x0400, Half.fromFloat(0x1p-14f) & 0xffff); // smallest normal
        assertEquals(0x7C00, Half.fromFloat(1e6f) & 0xffff); // overflow to infinity
        assertEquals(0x3555, Half.fromFloat(1f / 3) & 0xffff);
        assertEquals(1f, Half.toFloat((short) 0x3C00));
        assertEquals(65504f, Half.toFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Half.toFloat((short) 0x0001));
        assertTrue(Float.isNaN(Half.toFloat((short) 0x7E00)));
    }

    @Test
    void roundsToNearestEven() {
        // between 1 and 1 + 2^-10, the midpoint 1 + 2^-11 rounds to even (1); just above rounds up
        assertEquals(1f, Half.round(1f + 0x1p-11f));
        assertEquals(1f + 0x1p-10f, Half.round(1f + 0x1p-11f + 0x1p-20f));
        assertEquals(1f + 0x1p-9f, Half.round(1f + 0x1p-10f + 0x1p-11f)); // odd mantissa rounds up at the midpoint
    }

    @Test
    void everyHalfRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Half.toFloat((short) bits);
            if (Float.isNaN(f)) continue;
            assertEquals(bits, Half.fromFloat(f) & 0xffff, "bits " + Integer.toHexString(bits));
        }
    }
}
