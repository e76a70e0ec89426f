package io.gapnet.backend.cpu.fast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.Approx;
import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.conformance.Conformance;
import io.gapnet.conformance.KernelCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Winograd F(4x4, 3x3) against the reference convolution, on both micro-kernels (the Vector API one and the
 * scalar fallback's), at every edge of the tiling: maps that are not a multiple of 4, asymmetric and absent
 * padding, tiles that run past the last image, channel counts that are not a multiple of the register tile or of
 * the reduction block, groups, and every part of the epilogue.
 */
class WinogradTest {
    private static final Activation RELU = Activation.RELU;

    private static ConvDesc conv(int n, int c, int h, int w, int oc, int pt, int pl, int pb, int pr, int g, Activation act) {
        return new ConvDesc(n, c, h, w, oc, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, g, act);
    }

    /** The conformance suite's Winograd shapes: each must take the Winograd path (asserted), each at an edge of the tiling. */
    static List<ConvDesc> shapes() {
        return KernelCases.winogradShapes();
    }

    private static float[] random(long n, long seed) {
        return random(n, seed, 1);
    }

    private static float[] random(long n, long seed, double scale) {
        Random r = new Random(seed);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * scale);
        return v;
    }

    /** Weights as a trained network has them (1/sqrt(fan-in)), so the outputs have about unit size. */
    private static float[] weights(ConvDesc d, long seed) {
        return random(d.weightSize(), seed, 1 / Math.sqrt(d.cPerGroup() * 9.0));
    }

    /** The reference's y for d. */
    private static float[] reference(ConvDesc d, float[] x, float[] w, float[] bias, float[] res) {
        try (CpuBackend ref = new CpuBackend(); Queue q = ref.openQueue();
             DeviceBuffer xb = ref.allocate(x.length, "x"); DeviceBuffer wb = ref.allocate(w.length, "w");
             DeviceBuffer bb = ref.allocate(d.oc(), "b"); DeviceBuffer rb = ref.allocate(d.outputSize(), "r");
             DeviceBuffer yb = ref.allocate(d.outputSize(), "y")) {
            q.upload(x, 0, xb, 0, x.length);
            q.upload(w, 0, wb, 0, w.length);
            if (bias != null) q.upload(bias, 0, bb, 0, bias.length);
            if (res != null) q.upload(res, 0, rb, 0, res.length);
            q.kernels().conv2d(d, xb, wb, bias == null ? null : bb, res == null ? null : rb, yb);
            float[] y = new float[(int) d.outputSize()];
            q.download(yb, 0, y, 0, y.length);
            return y;
        }
    }

    private static void check(ConvDesc d, Winograd.Lanes lanes, boolean bias, boolean residual, long seed) {
        check(d, lanes, bias, residual, seed, false);
    }

    /** As {@link #check}, by {@link Winograd#runTilesAsRows} when {@code asRows} (whatever the tile count). */
    private static void check(ConvDesc d, Winograd.Lanes lanes, boolean bias, boolean residual, long seed, boolean asRows) {
        // the edge shapes run whether or not the cost model would pick Winograd at this vector width (16 lanes of
        // AVX-512 pad the tiles to more than 8 of AVX2 do); the cost model's choices are tested on their own
        assertTrue(Winograd.eligible(d, lanes.width()), d + " should be able to take the Winograd path");
        float[] x = random(d.inputSize(), seed), w = weights(d, seed + 1);
        float[] b = bias ? random(d.oc(), seed + 2) : null, res = residual ? random(d.outputSize(), seed + 3) : null;
        float[] y = new float[(int) d.outputSize()];
        java.util.Arrays.fill(y, Float.NaN); // every output must be written
        assertTrue(asRows ? Winograd.runTilesAsRows(d, x, Winograd.WeightPanels.of(d, w, lanes.width()), b, res, y, lanes)
                : Winograd.run(d, x, Winograd.Weights.of(d, w), b, res, y, lanes));
        float[] want = reference(d, x, w, b, res);
        Approx.assertClose(want, y, Conformance.ATOL, Conformance.RTOL);
    }

    @TestFactory
    Stream<DynamicTest> matchesTheReferenceOnBothMicroKernels() {
        List<DynamicTest> tests = new ArrayList<>();
        FastEngine engine = FastEngine.best();
        long seed = 10;
        for (ConvDesc d : shapes()) {
            long s = seed += 10;
            tests.add(DynamicTest.dynamicTest("scalar " + d, () -> check(d, Winograd.SCALAR, true, true, s)));
            tests.add(DynamicTest.dynamicTest("scalar, no bias or residual " + d,
                    () -> check(d, Winograd.SCALAR, false, false, s + 5)));
            tests.add(DynamicTest.dynamicTest("scalar, tiles as rows " + d, () -> check(d, Winograd.SCALAR, true, true, s, true)));
            if (engine != null) {
                tests.add(DynamicTest.dynamicTest("vector " + d, () -> check(d, engine.winograd(), true, true, s)));
                tests.add(DynamicTest.dynamicTest("vector, bias only " + d,
                        () -> check(d, engine.winograd(), true, false, s + 7)));
                tests.add(DynamicTest.dynamicTest("vector, tiles as rows " + d,
                        () -> check(d, engine.winograd(), true, true, s, true)));
                tests.add(DynamicTest.dynamicTest("vector, tiles as rows, no bias or residual " + d,
                        () -> check(d, engine.winograd(), false, false, s + 9, true)));
            }
        }
        return tests.stream();
    }

    @Test
    void eachPanelWidthSizesTheThreadsScratchForItself() {
        org.junit.jupiter.api.Assumptions.assumeTrue(FastEngine.best() != null, "no Vector API engine");
        // the vector lanes first leave per-thread tables sized for one 32-tile panel; the scalar lanes (the fallback
        // backend, same threads) then take two 16-tile panels an item (25 panels for up to 16 items with two threads):
        // every table must grow, not only the first
        ConvDesc wide = conv(1, 8, 28, 28, 8, 1, 1, 1, 1, 1, RELU), narrow = conv(2, 8, 56, 56, 8, 1, 1, 1, 1, 1, RELU);
        for (int round = 0; round < 3; round++) {
            check(wide, FastEngine.best().winograd(), true, false, 70 + round);
            check(narrow, Winograd.SCALAR, false, true, 80 + round);
        }
    }

    @Test
    void theConformanceSuitesSmallShapesTakeTilesAsRows() {
        FastEngine engine = FastEngine.best();
        org.junit.jupiter.api.Assumptions.assumeTrue(engine != null && engine.winograd().width() == 32, "no 32-tile panels");
        List<ConvDesc> all = shapes();
        for (ConvDesc d : all.subList(all.size() - KernelCases.WINOGRAD_ROW_SHAPES, all.size())) {
            assertTrue(FastConv.winograd(d, engine) && Winograd.tilesAsRows(d, 32), "not by Winograd with tiles as rows: " + d);
        }
    }

    @Test
    void tilesAsRowsNeverStoreThePaddingRowsThatAnEarlierCallLeftInTheSharedBuffer() {
        FastEngine engine = FastEngine.best();
        Winograd.Lanes lanes = engine == null ? Winograd.SCALAR : engine.winograd();
        // 9 tiles (a 12x12 map) fill lanes 0-8 or more of each 16-lane row with NaN; 4 tiles (8x8) then read rows 0-5 of
        // the same rows, 4 and 5 still NaN: their products are NaN, and none of them may reach the output
        ConvDesc nan = conv(1, 16, 12, 12, 16, 1, 1, 1, 1, 1, Activation.NONE), next = conv(1, 16, 8, 8, 16, 1, 1, 1, 1, 1, RELU);
        float[] x = new float[(int) nan.inputSize()], w = weights(nan, 5);
        java.util.Arrays.fill(x, Float.NaN);
        float[] y = new float[(int) nan.outputSize()];
        assertFalse(Winograd.runTilesAsRows(nan, x, Winograd.WeightPanels.of(nan, w, lanes.width()), null, null, y, lanes));
        check(next, lanes, true, true, 6, true);
    }

    @Test
    void theTransformsAreExactOnSmallIntegers() {
        // one tile, one channel, kernel of ones: each output is the sum of its 3x3 window, by hand
        ConvDesc d = conv(1, 8, 4, 4, 8, 1, 1, 1, 1, 1, Activation.NONE);
        float[] x = new float[(int) d.inputSize()], w = new float[(int) d.weightSize()];
        for (int i = 0; i < 16; i++) x[i] = i + 1; // channel 0: 1..16 row by row; other channels zero
        for (int k = 0; k < 9; k++) w[k] = 1f;     // output channel 0 reads channel 0 with a kernel of ones
        float[] y = new float[(int) d.outputSize()];
        assertTrue(Winograd.run(d, x, Winograd.Weights.of(d, w), null, null, y, Winograd.SCALAR));
        // top-left: 1+2+5+6 = 14; centre (1,1): 1+2+3+5+6+7+9+10+11 = 54; bottom-right: 11+12+15+16 = 54
        assertEquals(14f, y[0], 1e-4f);
        assertEquals(54f, y[5], 1e-4f);
        assertEquals(54f, y[15], 1e-4f);
        assertEquals(0f, y[16], 0f); // output channel 1: zero weights
    }

    @Test
    void aNonFiniteInputIsReportedSoTheDirectPathDecides() {
        ConvDesc d = conv(1, 16, 8, 8, 16, 1, 1, 1, 1, 1, Activation.NONE);
        float[] x = random(d.inputSize(), 1), w = random(d.weightSize(), 2);
        Winograd.Weights u = Winograd.Weights.of(d, w);
        assertTrue(u.finite);
        float[] y = new float[(int) d.outputSize()];
        x[3] = Float.POSITIVE_INFINITY;
        assertFalse(Winograd.run(d, x, u, null, null, y, Winograd.SCALAR));
        x[3] = Float.NaN;
        assertFalse(Winograd.run(d, x, u, null, null, y, Winograd.SCALAR));
        w[5] = Float.NaN;
        assertFalse(Winograd.Weights.of(d, w).finite);
    }

    @Test
    void throughTheBackendNaNAndInfinityLandWhereTheReferencePutsThem() {
        ConvDesc d = conv(3, 16, 12, 12, 24, 1, 1, 1, 1, 1, RELU);
        assertTrue(Winograd.suits(d, FastEngine.best() == null ? Winograd.SCALAR_NR : FastEngine.best().winograd().width()));
        float[] x = random(d.inputSize(), 3), w = weights(d, 4);
        x[20] = Float.NaN;
        x[200] = Float.POSITIVE_INFINITY;
        float[] want = reference(d, x, w, null, null);
        try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
             DeviceBuffer xb = fast.allocate(x.length, "x"); DeviceBuffer wb = fast.allocate(w.length, "w");
             DeviceBuffer yb = fast.allocate(d.outputSize(), "y")) {
            q.upload(x, 0, xb, 0, x.length);
            q.upload(w, 0, wb, 0, w.length);
            wb.markConstant();
            float[] y = new float[(int) d.outputSize()];
            for (int run = 0; run < 2; run++) { // the second run reuses the kept transformed weights
                q.kernels().conv2d(d, xb, wb, null, null, yb);
                q.download(yb, 0, y, 0, y.length);
                Approx.assertClose(want, y, Conformance.ATOL, Conformance.RTOL);
            }
        }
    }

    @Test
    void onlyShapesWhereItSavesWorkTakeIt() {
        int nr = 16;
        assertFalse(Winograd.suits(new ConvDesc(1, 16, 16, 16, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, RELU), nr), "stride 2");
        assertFalse(Winograd.suits(new ConvDesc(1, 16, 16, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, RELU), nr), "dilation 2");
        assertFalse(Winograd.suits(new ConvDesc(1, 16, 16, 16, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, RELU), nr), "5x5");
        assertFalse(Winograd.suits(conv(1, 32, 16, 16, 32, 1, 1, 1, 1, 32, RELU), nr), "depthwise");
        // ResNet's 7x7 and 14x14 layers at batch 1: one 16-tile panel, too few tiles to pay for reading the transformed
        // weights, four times the kernel's size
        assertFalse(Winograd.suits(conv(1, 512, 7, 7, 512, 1, 1, 1, 1, 1, RELU), nr), "7x7 at batch 1");
        assertFalse(Winograd.suits(conv(1, 256, 14, 14, 256, 1, 1, 1, 1, 1, RELU), nr), "14x14 at batch 1");
        assertTrue(Winograd.suits(conv(8, 256, 14, 14, 256, 1, 1, 1, 1, 1, RELU), nr), "14x14 at batch 8");
        assertTrue(Winograd.suits(conv(1, 128, 28, 28, 128, 1, 1, 1, 1, 1, RELU), nr), "28x28 at batch 1");
        assertTrue(Winograd.suits(conv(8, 512, 7, 7, 512, 1, 1, 1, 1, 1, RELU), nr), "7x7 at batch 8");
        assertTrue(Winograd.suits(conv(1, 64, 56, 56, 64, 1, 1, 1, 1, 1, RELU), nr), "56x56");
        // with 32-tile panels (AVX-512) the 16 tiles of a 14x14 map at batch 1 are the rows of a transposed product: it
        // pays for 256 channels; the 4 tiles of a 7x7 map still do not pay for reading the transformed weights
        int wide = 32;
        assertTrue(Winograd.tilesAsRows(conv(1, 256, 14, 14, 256, 1, 1, 1, 1, 1, RELU), wide));
        assertTrue(Winograd.suits(conv(1, 256, 14, 14, 256, 1, 1, 1, 1, 1, RELU), wide), "14x14 at batch 1, 32 lanes");
        assertFalse(Winograd.suits(conv(1, 512, 7, 7, 512, 1, 1, 1, 1, 1, RELU), wide), "7x7 at batch 1, 32 lanes");
        assertTrue(Winograd.suits(conv(4, 512, 7, 7, 512, 1, 1, 1, 1, 1, RELU), wide), "7x7 at batch 4, 32 lanes");
        assertFalse(Winograd.tilesAsRows(conv(1, 128, 28, 28, 128, 1, 1, 1, 1, 1, RELU), wide), "49 tiles: two panels");
        // the transformed input that the threads share stays within 4 MB (each calling thread keeps its buffer)
        assertTrue(Winograd.tilesAsRows(conv(1, 1536, 14, 14, 64, 1, 1, 1, 1, 1, RELU), wide), "1536 channels: 3.5 MB");
        assertFalse(Winograd.tilesAsRows(conv(1, 2048, 14, 14, 64, 1, 1, 1, 1, 1, RELU), wide), "2048 channels: 4.7 MB");
    }
}
