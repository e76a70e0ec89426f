package io.gapnet.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.gapnet.GapnetException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.runtime.GraphOptimizer;
import io.gapnet.runtime.RandomInputs;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What OnnxWriter writes, the importer reads back to the same graph, tensors and results. */
class OnnxWriterTest {
    @Test
    void tensorsRoundTrip(@TempDir Path dir) {
        Tensor f = Tensor.of(new float[] {1.5f, -2, Float.NaN, 3e-8f, Float.NEGATIVE_INFINITY, 0}, 2, 3);
        OnnxWriter.writeTensor(f, "x", dir.resolve("f.pb"));
        Tensor back = OnnxImporter.readTensor(dir.resolve("f.pb"));
        assertArrayEquals(new int[] {2, 3}, back.shape());
        assertArrayEquals(f.floats(), back.floats());
        assertEquals("x", OnnxImporter.readTensorName(dir.resolve("f.pb")));
        Tensor l = Tensor.ofLongs(new long[] {1, -1, Long.MAX_VALUE}, 3);
        OnnxWriter.writeTensor(l, "shape", dir.resolve("l.pb"));
        Tensor lb = OnnxImporter.readTensor(dir.resolve("l.pb"));
        assertEquals(DType.INT64, lb.dtype());
        assertArrayEquals(l.longs(), lb.longs());
    }

    @Test
    void aModelRoundTripsToTheSameResults(@TempDir Path dir) {
        Graph g = ResNets.build("resnet18", 10, 4);
        OnnxWriter.writeModel(g, dir.resolve("model.onnx"));
        Graph back = OnnxImporter.load(dir.resolve("model.onnx"));
        assertEquals(g.nodes().size(), back.nodes().size());
        assertEquals(g.initializers().keySet(), back.initializers().keySet());
        Map<String, Tensor> in = RandomInputs.of(g, 3, 1, 32, 32);
        try (CpuBackend cpu = new CpuBackend(); Session a = Session.open(g, cpu); Session b = Session.open(back, cpu)) {
            assertArrayEquals(a.run(in).values().iterator().next().floats(), b.run(in).values().iterator().next().floats());
        }
    }

    @Test
    void gapnetsOwnOpsAreRefusedWithTheWayOut() {
        Graph fused = GraphOptimizer.optimize(ResNets.build("resnet18", 10, 4));
        GapnetException e = assertThrows(GapnetException.class, () -> OnnxWriter.model(fused));
        assertEquals(true, e.getMessage().contains("has no ONNX form"), e.getMessage());
    }
}
