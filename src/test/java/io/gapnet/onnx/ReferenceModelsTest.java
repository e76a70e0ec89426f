package io.gapnet.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.runtime.GraphOptimizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * CNN families the other tests never saw (ConvNeXt-style LayerNorm and GELU, SE blocks with Mish, GroupNorm and a
 * GeM head, the reductions), exported by PyTorch 1.13 at opsets 11 to 17 with PyTorch's outputs, and two QDQ models
 * written with onnx.helper whose outputs torch computed with ONNX's quantization formulas (scripts/make_test_models.py),
 * on every available backend within the whole-network tolerance 1e-3 + 1e-3 |want|.
 */
class ReferenceModelsTest {
    static final Path ROOT = Path.of("src/test/resources/reference-models");

    @TestFactory
    Stream<DynamicTest> everyModelOnEveryBackend() {
        List<Path> folders = OnnxTestRunner.findTestFolders(ROOT);
        assertTrue(folders.size() >= 11, "found " + folders);
        List<DynamicTest> tests = new ArrayList<>();
        for (String backend : Backends.available()) {
            for (Path folder : folders) {
                tests.add(DynamicTest.dynamicTest(backend + ": " + folder.getFileName(), () -> {
                    try (Backend b = Backends.open(backend)) {
                        List<OnnxTestRunner.Result> results = OnnxTestRunner.run(folder, b, 1e-3, 1e-3);
                        assertFalse(results.isEmpty(), "no test_data_set_* in " + folder);
                        for (OnnxTestRunner.Result r : results) assertTrue(r.passed(), r.test() + ": " + r.message());
                    }
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void theExportedGeluAndLayerNormAreFused() throws Exception {
        Graph g = GraphOptimizer.optimize(OnnxImporter.load(ROOT.resolve("convnext-mini-opset13/model.onnx")));
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("Erf")).count(), "every erf GELU is fused");
        // ConvNeXtBlock(16, "tanh"): PyTorch writes the tanh GELU out in nine nodes at this opset
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("Tanh")).count(), g.nodes().toString());
        assertEquals(List.of("none", "tanh", "none"), g.nodes().stream().filter(n -> n.opType().equals("Gelu"))
                .map(n -> n.attrs().getString("approximate", "none")).toList(), "two exact GELUs and the tanh one");
        // stem, three blocks, downsampling and head: six LayerNorms, each exported as nine nodes
        assertEquals(6, g.nodes().stream().filter(n -> n.opType().equals("LayerNormalization")).count(), g.nodes().toString());
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("Sqrt")).count());
        assertEquals(1, g.nodes().stream().filter(n -> n.opType().equals("ReduceMean")).count(), "only the head's GAP is left");
    }

    @Test
    void theExportedMishAndHardSwishAreFused() throws Exception {
        Graph g = GraphOptimizer.optimize(OnnxImporter.load(ROOT.resolve("se-gem-opset11/model.onnx")));
        assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("Softplus") || n.opType().equals("HardSigmoid")).count(),
                g.nodes().toString());
    }

    @Test
    void theExportedGemIsFusedIntoOneNode() throws Exception {
        for (String m : List.of("se-gem-opset11", "se-gem-opset15")) {
            Graph g = GraphOptimizer.optimize(OnnxImporter.load(ROOT.resolve(m + "/model.onnx")));
            List<io.gapnet.model.Node> gem = g.nodes().stream().filter(n -> n.opType().equals("GeM")).toList();
            assertEquals(1, gem.size(), m + ": " + g.nodes());
            assertEquals(3f, gem.get(0).attrs().getFloat("p", 0), m);
            assertEquals(1e-6f, gem.get(0).attrs().getFloat("eps", 0), m);
            assertEquals(0, g.nodes().stream().filter(n -> n.opType().equals("Pow") || n.opType().equals("Clip")
                    && n.output(0).equals("/Clip_output_0")).count(), m + ": " + g.nodes());
        }
    }

    static io.gapnet.tensor.Tensor pb(Path file) throws Exception {
        return TensorDecoder.decode(io.gapnet.onnx.proto.Onnx.TensorProto.parseFrom(java.nio.file.Files.readAllBytes(file)), file.toString());
    }

    @Test
    void theEmbeddingOfAGemHeadNormalisedIsPyTorchsNormalisedGemVector() throws Exception {
        // SEGeMNet's second output is F.normalize(mean(clamp(x)^3)^(1/3)), as PyTorch computed it
        Path dir = ROOT.resolve("se-gem-opset15");
        for (String set : List.of("test_data_set_0", "test_data_set_1")) {
            io.gapnet.tensor.Tensor x = pb(dir.resolve(set).resolve("input_0.pb")), want = pb(dir.resolve(set).resolve("output_1.pb"));
            try (Backend b = Backends.open("cpu");
                 io.gapnet.runtime.Session s = io.gapnet.runtime.Session.open(OnnxImporter.load(dir.resolve("model.onnx")), b)) {
                io.gapnet.tensor.Tensor got = s.embed(x, null, true);
                assertEquals(List.of(want.dim(0), 32), List.of(got.dim(0), got.dim(1)));
                OnnxTestRunner.Compare c = OnnxTestRunner.compare(want, got, 1e-5, 1e-4);
                assertTrue(c.firstBad() < 0, set + ": " + c);
            }
        }
        // GAP -> LayerNorm -> Linear (ConvNeXt): the GAP vector is the embedding
        Path convnext = ROOT.resolve("convnext-mini-opset17");
        try (Backend b = Backends.open("cpu");
             io.gapnet.runtime.Session s = io.gapnet.runtime.Session.open(OnnxImporter.load(convnext.resolve("model.onnx")), b)) {
            io.gapnet.tensor.Tensor x = pb(convnext.resolve("test_data_set_1/input_0.pb"));
            assertEquals(List.of(2, 32), List.of(s.embed(x).dim(0), s.embed(x).dim(1)));
            io.gapnet.tensor.Tensor unit = s.embed(x, null, true);
            for (int i = 0; i < 2; i++) {
                double sq = 0;
                for (int j = 0; j < 32; j++) sq += unit.floats()[i * 32 + j] * unit.floats()[i * 32 + j];
                assertEquals(1, sq, 1e-5);
            }
        }
    }

    @Test
    void quantizeLinearSaturatesToItsZeroPointsTypeAndRoundsHalfToEven() throws Exception {
        Path dir = ROOT.resolve("qdq-roundtrip");
        try (Backend b = Backends.open("cpu");
             io.gapnet.runtime.Session s = io.gapnet.runtime.Session.open(OnnxImporter.load(dir.resolve("model.onnx")), b)) {
            // x / 0.5 = [0, 3, 5, -6, 600, -600, 0.5, 1.5]; rounded half to even: 0.5 -> 0, 1.5 -> 2
            io.gapnet.tensor.Tensor x = io.gapnet.tensor.Tensor.of(new float[] {0, 1.5f, 2.5f, -3, 300, -300, 0.25f, 0.75f}, 1, 8);
            java.util.Map<String, io.gapnet.tensor.Tensor> out = s.run(java.util.Map.of("input", x));
            // int8, zero point 1: q = [1, 4, 6, -5, 127, -128, 1, 3], back (q - 1) * 0.5
            io.gapnet.Approx.assertTensor(new int[] {1, 8}, new float[] {0, 1.5f, 2.5f, -3, 63, -64.5f, 0, 1}, out.get("int8"));
            // uint8, zero point 128: q = [128, 131, 133, 122, 255, 0, 128, 130], back (q - 128) * 0.5
            io.gapnet.Approx.assertTensor(new int[] {1, 8}, new float[] {0, 1.5f, 2.5f, -3, 63.5f, -64, 0, 1}, out.get("uint8"));
        }
    }
}
