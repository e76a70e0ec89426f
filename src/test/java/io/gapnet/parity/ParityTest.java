package io.gapnet.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.Backend;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.onnx.OnnxTestRunner;
import io.gapnet.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-layer comparison: its numbers against hand calculation, and a backend with a fault planted in one layer (a
 * wrong bias in one convolution, a NaN out of global average pooling): parity must name exactly that layer as where
 * divergence starts, say that the layer itself diverges, and save a reproduction that fails on that backend and
 * passes on the reference.
 */
class ParityTest {
    static final Tolerance TOL = Tolerance.DEFAULT;

    static LayerResult compare(float[] want, float[] got, Tolerance tol) {
        return LayerResult.of(0, "n", "Op", List.of("n"), "v", false, true, Tensor.of(want, want.length), Tensor.of(got, got.length), tol);
    }

    @Test
    void numbersMatchHandCalculation() {
        // want 1,2,3,4: rms = sqrt(30 / 4) = 2.7386; element 3 is off by 0.5
        LayerResult r = compare(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3, 4.5f}, TOL);
        assertEquals(0.5, r.maxAbs(), 1e-12);
        assertEquals(0.125, r.maxRel(), 1e-12);
        assertEquals(0.25 / 30, r.nmse(), 1e-12);
        double cos = (1 + 4 + 9 + 18) / Math.sqrt(30 * (1 + 4 + 9 + 20.25));
        assertEquals(1 - cos, r.cosineDistance(), 1e-12);
        double allowed = 1e-4 * Math.sqrt(7.5) + 1e-3 * 4;
        assertEquals(0.5 / allowed, r.worst(), 1e-9);
        assertEquals(1, r.outOfTolerance());
        assertEquals(0.25, r.outOfToleranceFraction(), 1e-12);
        assertFalse(r.within());
        // the same error under NMSE: 0.25/30 = 8.3e-3 <= rtol^2 only for rtol >= 0.0913
        assertFalse(compare(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3, 4.5f}, new Tolerance(0, 0.09, Tolerance.Metric.NMSE)).within());
        assertTrue(compare(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3, 4.5f}, new Tolerance(0, 0.092, Tolerance.Metric.NMSE)).within());
        // 1 - cos = 4.06e-3 <= rtol^2 / 2 from rtol 0.0902
        assertTrue(compare(new float[] {1, 2, 3, 4}, new float[] {1, 2, 3, 4.5f}, new Tolerance(0, 0.091, Tolerance.Metric.COSINE)).within());
    }

    @Test
    void theAbsoluteToleranceScalesWithTheLayersMagnitude() {
        // values around 1000 (rms 999.5): an error of 0.05 on the element near zero is float32 rounding of the layer
        float[] want = {1000, -1000, 1e-3f, 999}, got = {1000, -1000, 0.05f, 999};
        assertTrue(compare(want, got, TOL).within(), "allowed 1e-4 * 999.5 = 0.09995 there");
        // the same error in a layer of small values is not rounding
        assertFalse(compare(new float[] {0.5f, -0.5f, 1e-3f, 0.4f}, new float[] {0.5f, -0.5f, 0.05f, 0.4f}, TOL).within());
    }

    @Test
    void nonFiniteValuesOnOneSideAreBeyondToleranceUnderEveryMetric() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY;
        for (Tolerance.Metric m : Tolerance.Metric.values()) {
            Tolerance tol = new Tolerance(1, 1, m);
            LayerResult r = compare(new float[] {1, 2, 3}, new float[] {1, nan, 3}, tol);
            assertFalse(r.within(), m.name());
            assertEquals(1, r.nonFiniteOneSide());
            assertTrue(compare(new float[] {1, nan, inf}, new float[] {1, nan, inf}, tol).within(), "the same non-finite values");
            LayerResult signs = compare(new float[] {inf}, new float[] {-inf}, tol);
            assertFalse(signs.within(), "+inf against -inf");
            assertEquals(0, signs.nonFiniteOneSide());
        }
    }

    @Test
    void toleranceArgumentsAreChecked() {
        assertThrows(io.gapnet.GapnetException.class, () -> new Tolerance(-1, 0, Tolerance.Metric.MAX));
        assertThrows(io.gapnet.GapnetException.class, () -> Tolerance.Metric.parse("l2"));
        assertEquals(Tolerance.Metric.NMSE, Tolerance.Metric.parse("NMSE"));
    }

    static Graph resnet18() {
        return ResNets.build("resnet18", 10, 3);
    }

    static Map<String, Tensor> input(Graph g) {
        return Parity.randomInputs(g, 7, 2, 64, 64);
    }

    /** 128-in, 128-out 3x3 stride-1 convolutions: layer2.0.conv2 is the first of them in ResNet-18. */
    static final FaultyBackend.Fault WRONG_BIAS = new FaultyBackend.Fault() {
        @Override
        public int output(String kernel, Object[] args) {
            if (!kernel.equals("conv2d")) return -1;
            ConvDesc d = (ConvDesc) args[0];
            return d.c() == 128 && d.oc() == 128 && d.kh() == 3 && d.strideH() == 1 ? 5 : -1;
        }

        @Override
        public void corrupt(Object[] args, float[] y) {
            ConvDesc d = (ConvDesc) args[0];
            int plane = d.outH() * d.outW();
            for (int n = 0; n < d.n(); n++) {
                for (int i = 0; i < plane; i++) y[(n * d.oc() + 5) * plane + i] += 0.25f; // channel 5's bias off by 0.25
            }
        }
    };

    @Test
    void aWrongBiasInOneLayerIsNamedWhereDivergenceStarts(@TempDir Path dir) {
        Graph g = resnet18();
        try (Backend faulty = new FaultyBackend(WRONG_BIAS); Backend ref = new CpuBackend()) {
            Parity.Comparison c = Parity.comparison(g, input(g), faulty, ref, TOL);
            ParityReport r = c.report();
            LayerResult first = r.firstDivergent().orElseThrow();
            assertEquals("layer2.0.conv2", first.node(), r.table());
            assertEquals(List.of("layer2.0.conv2", "layer2.0.bn2", "layer2.0.add", "layer2.0.relu"), first.origins());
            for (LayerResult l : r.layers().subList(0, first.index())) assertTrue(l.within(), "before the fault: " + l);
            assertEquals(0.25, first.maxAbs(), 0.01, "the planted error, before anything amplifies it");
            assertNotNull(r.isolated());
            assertFalse(r.isolated().within(), "alone, the layer still diverges");
            assertFalse(r.outputsWithin());
            assertTrue(r.verdict().contains("divergence starts at #" + first.index() + " 'layer2.0.conv2'"), r.verdict());
            assertTrue(r.verdict().contains("the layer itself computes differently"), r.verdict());
            assertTrue(r.table().lines().filter(s -> s.matches("\\d+ .*")).count() == r.layers().size(), "one line per value");

            // the reproduction fails on the faulty backend and passes on the reference
            assertEquals(dir, c.save(dir));
            assertTrue(Files.isRegularFile(dir.resolve("model.onnx")));
            assertTrue(Files.isRegularFile(dir.resolve("faulty-values/output_0.pb")));
            List<OnnxTestRunner.Result> onFaulty = OnnxTestRunner.run(dir, faulty, 1e-4, 1e-3);
            List<OnnxTestRunner.Result> onRef = OnnxTestRunner.run(dir, ref, 1e-4, 1e-3);
            assertEquals(1, onFaulty.size());
            assertFalse(onFaulty.get(0).passed(), "replayed on the faulty backend");
            assertTrue(onRef.get(0).passed(), onRef.get(0).message());
            assertEquals(0, onRef.get(0).maxAbsError(), "the reference recomputes its own value exactly");
        }
    }

    @Test
    void aNanFromOnePoolIsNamedAndCounted(@TempDir Path dir) {
        FaultyBackend.Fault nan = new FaultyBackend.Fault() {
            @Override
            public int output(String kernel, Object[] args) {
                return kernel.equals("gap") ? 4 : -1;
            }

            @Override
            public void corrupt(Object[] args, float[] y) {
                y[3] = Float.NaN;
            }
        };
        Graph g = resnet18();
        try (Backend faulty = new FaultyBackend(nan); Backend ref = new CpuBackend()) {
            ParityReport r = Parity.compare(g, input(g), faulty, ref, TOL);
            LayerResult first = r.firstDivergent().orElseThrow();
            assertEquals("avgpool", first.node());
            assertEquals(1, first.nonFiniteOneSide());
            assertFalse(r.outputsWithin());
            assertTrue(r.verdict().contains("1 non-finite on one side only"), r.verdict());
        }
    }

    @Test
    void assertMatchesNamesTheFirstDivergentLayer() {
        Graph g = ResNets.build("resnet18", 10, 3);
        try (Backend faulty = new FaultyBackend(WRONG_BIAS); Backend ref = new CpuBackend()) {
            AssertionError e = assertThrows(AssertionError.class, () -> Parity.assertMatches(g, faulty, ref, TOL));
            assertTrue(e.getMessage().contains("'layer2.0.conv2'"), e.getMessage());
        }
        Parity.assertMatches(g, "cpu", "cpu-ref");
    }

    @Test
    void thePlotIsAPngWithTheDivergenceMarked(@TempDir Path dir) throws Exception {
        Graph g = resnet18();
        try (Backend faulty = new FaultyBackend(WRONG_BIAS); Backend ref = new CpuBackend()) {
            ParityReport r = Parity.compare(g, input(g), faulty, ref, TOL);
            Path png = dir.resolve("parity.png");
            ParityPlot.write(r, png);
            BufferedImage img = ImageIO.read(png.toFile());
            assertNotNull(img, "a PNG ImageIO reads");
            assertTrue(img.getWidth() >= 800 && img.getHeight() >= 600, img.getWidth() + "x" + img.getHeight());
            int red = 0;
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    int rgb = img.getRGB(x, y);
                    if ((rgb >> 16 & 0xff) > 180 && (rgb >> 8 & 0xff) < 60 && (rgb & 0xff) < 60) red++;
                }
            }
            assertTrue(red > 200, "the tolerance line, the divergence mark and the layers beyond it are red: " + red + " pixels");
        }
    }
}
