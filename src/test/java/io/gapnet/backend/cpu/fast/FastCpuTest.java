package io.gapnet.backend.cpu.fast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.Approx;
import io.gapnet.GapnetException;
import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.backend.cpu.CpuBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast CPU backend's weight handling: packed forms kept only for constant buffers, never stale. */
class FastCpuTest {
    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Runs d on both CPU backends with the given weights and returns {fast, reference} outputs. */
    private static float[][] conv(CpuBackend fast, DeviceBuffer w, ConvDesc d, float[] x, float[] weights) {
        float[][] out = new float[2][];
        try (CpuBackend ref = new CpuBackend()) {
            CpuBackend[] backends = {fast, ref};
            for (int b = 0; b < 2; b++) {
                CpuBackend be = backends[b];
                try (Queue q = be.openQueue(); DeviceBuffer xb = be.allocate(x.length, "x");
                     DeviceBuffer yb = be.allocate(d.outputSize(), "y");
                     DeviceBuffer refW = b == 1 ? be.allocate(weights.length, "w") : null) {
                    q.upload(x, 0, xb, 0, x.length);
                    if (refW != null) q.upload(weights, 0, refW, 0, weights.length);
                    q.kernels().conv2d(d, xb, b == 0 ? w : refW, null, null, yb);
                    out[b] = new float[(int) d.outputSize()];
                    q.download(yb, 0, out[b], 0, out[b].length);
                }
            }
        }
        return out;
    }

    @Test
    void smallOutputsAreComputedTransposedAndTheSameWeightsServeBothForms() {
        FastEngine engine = FastEngine.best();
        // ResNet-50's last 3x3 layer, narrowed: batch 1 (49 pixels: 54 rows against 64 columns) and batch 8
        ConvDesc b1 = new ConvDesc(1, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        ConvDesc b8 = new ConvDesc(8, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        if (engine != null && VectorGemm.NR >= 16) {
            assertTrue(engine.transposes(b1), "batch 1 on a 7x7 map is computed transposed");
            assertTrue(!engine.transposes(b8), "batch 8 on a 7x7 map (392 pixels) is not");
        }
        float[] weights = random((int) b1.weightSize(), 5);
        try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
             DeviceBuffer w = fast.allocate(weights.length, "w")) {
            q.upload(weights, 0, w, 0, weights.length);
            w.markConstant();
            for (ConvDesc d : new ConvDesc[] {b1, b8, b1, b8}) {
                float[][] out = conv(fast, w, d, random((int) d.inputSize(), d.n()), weights);
                Approx.assertClose(out[1], out[0], 1e-4, 1e-4);
            }
        }
    }

    @Test
    void aPointwiseConvolutionOfOneImageReadsItsInputInPlaceAndNeverStoresThePaddingRows() {
        FastEngine engine = FastEngine.best();
        org.junit.jupiter.api.Assumptions.assumeTrue(engine != null && VectorGemm.NR >= 16, "no Vector API engine with 16-float panels");
        // 49 pixels: the last row panel's rows 49..53 read the 5 floats past the input, here NaN; 196 pixels with
        // 512 channels: transposed only because its input is read in place
        ConvDesc small = new ConvDesc(1, 300, 7, 7, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.RELU);
        ConvDesc wide = new ConvDesc(1, 512, 14, 14, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.NONE);
        for (ConvDesc d : new ConvDesc[] {small, wide}) {
            assertTrue(engine.transposes(d), "computed transposed: " + d);
            int p = d.outH() * d.outW(), size = (int) d.inputSize();
            float[] exact = random(size, 11), slack = java.util.Arrays.copyOf(exact, size + 8);
            java.util.Arrays.fill(slack, size, slack.length, Float.NaN);
            assertTrue(PackedA.inPlace(exact, p, d.c(), p) == null, "an exact input, past whose end the last panel reads, is gathered");
            assertTrue(PackedA.inPlace(slack, p, d.c(), p) != null, "an input with room after it is read in place: " + d);
            float[] weights = random((int) d.weightSize(), 12);
            try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
                 DeviceBuffer w = fast.allocate(weights.length, "w")) {
                q.upload(weights, 0, w, 0, weights.length);
                w.markConstant();
                for (float[] x : new float[][] {slack, exact}) {
                    float[][] out = conv(fast, w, d, x, weights);
                    Approx.assertClose(out[1], out[0], 2e-3, 1e-4);
                }
            }
        }
    }

    @Test
    void theConformanceSuitesConvolutionPairsTakeThePathTheyAreThereFor() {
        FastEngine engine = FastEngine.best();
        org.junit.jupiter.api.Assumptions.assumeTrue(engine != null && VectorGemm.NR >= 16, "no Vector API engine with 16-float panels");
        for (var s : io.gapnet.conformance.KernelCases.convPairShapes()) {
            assertEquals(s.oneProduct(), engine.pairs(s.main(), s.shortcut()), "one product or not: " + s);
        }
    }

    @Test
    void theConformanceSuitesTransposedShapesAreComputedTransposed() {
        FastEngine engine = FastEngine.best();
        org.junit.jupiter.api.Assumptions.assumeTrue(engine != null && VectorGemm.NR >= 16, "no Vector API engine with 16-float panels");
        for (ConvDesc d : io.gapnet.conformance.KernelCases.transposedShapes()) {
            assertTrue(!FastConv.winograd(d, engine) && engine.transposes(d), "not computed transposed: " + d);
        }
    }

    @Test
    void constantWeightsArePackedOnceAndServeEveryShapeOfTheSameConvolution() {
        ConvDesc d1 = new ConvDesc(1, 16, 20, 20, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        ConvDesc d2 = new ConvDesc(3, 16, 9, 31, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        // same weight count, read as 2 groups: the kept packed form must not be reused for it
        ConvDesc grouped = new ConvDesc(1, 32, 20, 20, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, Activation.NONE);
        float[] weights = random((int) d1.weightSize(), 1);
        try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
             DeviceBuffer w = fast.allocate(weights.length, "w")) {
            q.upload(weights, 0, w, 0, weights.length);
            w.markConstant();
            for (ConvDesc d : new ConvDesc[] {d1, d2, d1, grouped, d1}) {
                float[][] out = conv(fast, w, d, random((int) d.inputSize(), d.n()), weights);
                Approx.assertClose(out[1], out[0], 1e-4, 1e-4);
            }
            GapnetException e = assertThrows(GapnetException.class, () -> q.upload(weights, 0, w, 0, weights.length));
            assertTrue(e.getMessage().contains("marked constant"), e.getMessage());
        }
    }

    @Test
    void weightsThatChangeBetweenCallsAreRepackedEveryTime() {
        ConvDesc d = new ConvDesc(2, 16, 14, 14, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.NONE);
        float[] x = random((int) d.inputSize(), 3);
        try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
             DeviceBuffer w = fast.allocate(d.weightSize(), "w")) {
            float[] first = random((int) d.weightSize(), 4), second = random((int) d.weightSize(), 5);
            q.upload(first, 0, w, 0, first.length);
            float[][] a = conv(fast, w, d, x, first);
            q.upload(second, 0, w, 0, second.length);
            float[][] b = conv(fast, w, d, x, second);
            Approx.assertClose(a[1], a[0], 1e-4, 1e-4);
            Approx.assertClose(b[1], b[0], 1e-4, 1e-4);
        }
    }

    @Test
    void preparingMakesTheWeightFormTheConvolutionThenReads() {
        FastEngine engine = FastEngine.best();
        ConvDesc pointwise = new ConvDesc(8, 16, 14, 14, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.RELU);
        ConvDesc wide3x3 = new ConvDesc(8, 64, 28, 28, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        ConvDesc small = new ConvDesc(1, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        ConvDesc oneImage14x14 = new ConvDesc(1, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, Activation.RELU);
        for (ConvDesc d : new ConvDesc[] {pointwise, wide3x3, small, oneImage14x14}) {
            int lanes = FastConv.winogradLanes(engine).width();
            Class<?> expected = FastConv.winograd(d, engine)
                    ? Winograd.tilesAsRows(d, lanes) ? Winograd.WeightPanels.class : Winograd.Weights.class
                    : engine != null && engine.transposes(d) ? TransposedWeights.class
                    : engine != null ? PackedA.class : null;
            float[] weights = random((int) d.weightSize(), 7);
            try (CpuBackend fast = CpuBackend.fast(); Queue q = fast.openQueue();
                 DeviceBuffer w = fast.allocate(weights.length, "w")) {
                q.upload(weights, 0, w, 0, weights.length);
                CpuBuffer cw = (CpuBuffer) w;
                q.kernels().prepareConv2d(d, w);
                assertEquals(java.util.Set.of(), cw.derivedForms(), "nothing is kept for weights that may change: " + d);
                w.markConstant();
                q.kernels().prepareConv2d(d, w);
                assertEquals(expected == null ? java.util.Set.of() : java.util.Set.of(expected), cw.derivedForms(), d.toString());
                float[][] out = conv(fast, w, d, random((int) d.inputSize(), 3), weights);
                // outputs up to about 50 from 576-term sums; Winograd's error is weighed by the conformance suite
                Approx.assertClose(out[1], out[0], 2e-3, 1e-4);
                assertEquals(expected == null ? java.util.Set.of() : java.util.Set.of(expected), cw.derivedForms(),
                        "the run read the prepared form and made no other: " + d);
            }
        }
    }
    /** Runs global average pooling over n x c planes of {@code spatial} values on one CPU backend. */
    private static float[] gap(CpuBackend be, int n, int c, int spatial, float[] x) {
        try (Queue q = be.openQueue(); DeviceBuffer xb = be.allocate(Math.max(1, x.length), "x");
             DeviceBuffer yb = be.allocate((long) n * c, "y")) {
            if (x.length > 0) q.upload(x, 0, xb, 0, x.length);
            q.kernels().gap(n, c, spatial, xb, yb);
            float[] y = new float[n * c];
            q.download(yb, 0, y, 0, y.length);
            return y;
        }
    }

    @Test
    void globalAveragePoolingGivesTheReferencesBitsForEveryPlaneCount() {
        // plane counts around the fast path's four at a time, spatial extents from one value to a 7x7 and a 56x56 map
        int[][] shapes = {{1, 1, 1}, {1, 3, 49}, {2, 5, 49}, {1, 7, 2}, {3, 9, 3136}, {8, 2048, 49}};
        try (CpuBackend fast = CpuBackend.fast(); CpuBackend ref = new CpuBackend()) {
            for (int[] sh : shapes) {
                float[] x = random(sh[0] * sh[1] * sh[2], sh[1]);
                for (int i = 0; i < x.length; i += 97) x[i] *= 1e6f; // wide magnitudes: rounding order shows
                if (x.length > 40) {
                    x[5] = Float.NaN;
                    x[x.length - 3] = Float.POSITIVE_INFINITY;
                }
                float[] want = gap(ref, sh[0], sh[1], sh[2], x), got = gap(fast, sh[0], sh[1], sh[2], x);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                            "plane " + i + " of " + java.util.Arrays.toString(sh) + ": " + got[i] + " vs the reference's " + want[i]);
                }
            }
            GapnetException e = assertThrows(GapnetException.class, () -> gap(fast, 1, 4, 0, new float[0]));
            assertTrue(e.getMessage().contains("empty spatial extent"), e.getMessage());
        }
    }
}
