package io.gapnet.onnx;

import static io.gapnet.onnx.OnnxModels.convRelu;
import static io.gapnet.onnx.OnnxModels.floats;
import static io.gapnet.onnx.OnnxModels.ints;
import static io.gapnet.onnx.OnnxModels.model;
import static io.gapnet.onnx.OnnxModels.node;
import static io.gapnet.onnx.OnnxModels.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.gapnet.Approx;
import io.gapnet.ModelException;
import io.gapnet.ShapeException;
import io.gapnet.UnsupportedOpException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.model.Graph;
import io.gapnet.onnx.proto.Onnx.GraphProto;
import io.gapnet.onnx.proto.Onnx.StringStringEntryProto;
import io.gapnet.onnx.proto.Onnx.TensorProto;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Half;
import io.gapnet.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    static final float[] X = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    private static Tensor runOnce(Graph g, Tensor x) {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(g, cpu)) {
            return s.run(x);
        }
    }

    @Test
    void loadsAndRunsAValidModel() {
        byte[] bytes = model(convRelu().build(), 13).toByteArray();
        Graph g = OnnxImporter.load(bytes, "conv_relu.onnx", null);
        assertEquals(2, g.nodes().size());
        // 2x2 sums of ones over [[1,2,3],[4,5,6],[7,8,9]]
        Approx.assertTensor(new int[] {1, 1, 2, 2}, new float[] {12, 16, 24, 28}, runOnce(g, Tensor.of(X, 1, 1, 3, 3)));
    }

    @Test
    void rawDataAndInitializerListedAsInput() {
        GraphProto g = convRelu().clearInitializer()
                .addInitializer(OnnxModels.rawFloats("w", new float[] {1, 1, 1, 1}, 1, 1, 2, 2))
                .addInput(value("w", 1, 1, 1, 2, 2)).build();
        Graph graph = OnnxImporter.load(model(g, 13).toByteArray(), "raw.onnx", null);
        assertEquals(1, graph.inputs().size(), "an initializer listed as an input is a weight, not an input");
        Approx.assertTensor(new int[] {1, 1, 2, 2}, new float[] {12, 16, 24, 28}, runOnce(graph, Tensor.of(X, 1, 1, 3, 3)));
    }

    @Test
    void truncatedFileIsAClearError() {
        byte[] bytes = model(convRelu().build(), 13).toByteArray();
        byte[] cut = Arrays.copyOf(bytes, bytes.length / 2);
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(cut, "cut.onnx", null));
        assertTrue(e.getMessage().startsWith("cut.onnx: "), e.getMessage());
    }

    @Test
    void randomBytesAreAClearError() {
        Random r = new Random(1);
        for (int i = 0; i < 200; i++) {
            byte[] junk = new byte[1 + r.nextInt(400)];
            r.nextBytes(junk);
            ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(junk, "junk.onnx", null));
            assertTrue(e.getMessage().contains("junk.onnx"), e.getMessage());
        }
    }

    @Test
    void missingFileIsAClearError(@TempDir Path dir) {
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(dir.resolve("nope.onnx")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void everyUnsupportedOpIsListedAtOnce() {
        GraphProto g = convRelu()
                .addNode(node("lstm1", "LSTM", new String[] {"y"}, new String[] {"z1"}))
                .addNode(node("nms", "NonMaxSuppression", new String[] {"y"}, new String[] {"z2"}))
                .addNode(node("lstm2", "LSTM", new String[] {"y"}, new String[] {"z3"})).build();
        UnsupportedOpException e = assertThrows(UnsupportedOpException.class,
                () -> OnnxImporter.load(model(g, 13).toByteArray(), "m.onnx", null));
        assertEquals(2, e.nodesByOp().size());
        assertEquals(java.util.List.of("lstm1", "lstm2"), e.nodesByOp().get("LSTM"));
        assertTrue(e.getMessage().contains("LSTM (2 nodes: lstm1, lstm2)"), e.getMessage());
        assertTrue(e.getMessage().contains("NonMaxSuppression (1 node: nms)"), e.getMessage());
    }

    @Test
    void missingInitializerNamesTheNode() {
        GraphProto g = convRelu().clearInitializer().build();
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(model(g, 13).toByteArray(), "m.onnx", null));
        assertTrue(e.getMessage().contains("Conv node 'conv' reads 'w'"), e.getMessage());
        assertTrue(e.getMessage().contains("missing initializer"), e.getMessage());
    }

    @Test
    void mismatchedShapesNameNodeAndValues() {
        GraphProto g = convRelu().clearNode()
                .addNode(node("layer1.0.conv1", "Conv", new String[] {"x", "w"}, new String[] {"c"}, ints("kernel_shape", 3, 3)))
                .addNode(node("relu", "Relu", new String[] {"c"}, new String[] {"y"})).build();
        Graph graph = OnnxImporter.load(model(g, 13).toByteArray(), "m.onnx", null);
        ShapeException e = assertThrows(ShapeException.class, () -> runOnce(graph, Tensor.of(X, 1, 1, 3, 3)));
        assertEquals("Conv node 'layer1.0.conv1': kernel_shape [3, 3] does not match weight shape [1, 1, 2, 2]", e.getMessage());
    }

    @Test
    void initializerWithTooFewValues() {
        GraphProto g = convRelu().clearInitializer().addInitializer(floats("w", new float[] {1, 1, 1}, 1, 1, 2, 2)).build();
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(model(g, 13).toByteArray(), "m.onnx", null));
        assertTrue(e.getMessage().contains("initializer 'w': holds 3 values but its shape needs 4"), e.getMessage());
    }

    @Test
    void absurdClaimedSizeIsRefusedBeforeAllocating() {
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1L << 20).addDims(1L << 20).build();
        GraphProto g = convRelu().clearInitializer().addInitializer(huge).build();
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(model(g, 13).toByteArray(), "m.onnx", null));
        assertTrue(e.getMessage().contains("claims [1048576, 1048576] elements, more than the limit"), e.getMessage());
    }

    @Test
    void unsupportedOpsetAndIrVersion() {
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(model(convRelu().build(), 5).toByteArray(), "m.onnx", null));
        assertTrue(e.getMessage().contains("opset 5 is not supported"), e.getMessage());
        byte[] ir2 = model(convRelu().build(), 13).toBuilder().setIrVersion(2).build().toByteArray();
        e = assertThrows(ModelException.class, () -> OnnxImporter.load(ir2, "m.onnx", null));
        assertTrue(e.getMessage().contains("IR version 2"), e.getMessage());
    }

    @Test
    void float16WeightsInputsAndOutputs() {
        // weights stored as float16 bit patterns in int32_data; input and output declared float16
        TensorProto.Builder w = TensorProto.newBuilder().setName("w").setDataType(10).addDims(1).addDims(1).addDims(2).addDims(2);
        for (float v : new float[] {0.5f, 0.25f, 1, 2}) w.addInt32Data(Half.fromFloat(v) & 0xffff);
        GraphProto g = convRelu().clearInput().clearOutput().clearInitializer().addInitializer(w)
                .addInput(value("x", 10, -1, 1, 3, 3)).addOutput(value("y", 10, -1, 1, 2, 2)).build();
        Graph graph = OnnxImporter.load(model(g, 13).toByteArray(), "half.onnx", null);
        Tensor y = runOnce(graph, Tensor.ofHalf(X, 1, 1, 3, 3));
        assertEquals(DType.FLOAT16, y.dtype());
        // y00 = 0.5*1 + 0.25*2 + 1*4 + 2*5 = 15
        Approx.assertTensor(new int[] {1, 1, 2, 2}, new float[] {15, 18.75f, 26.25f, 30}, y);
    }

    @Test
    void externalDataBesideTheModel(@TempDir Path dir) throws Exception {
        ByteBuffer bb = ByteBuffer.allocate(8 + 16).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(0); // 8 bytes of something else first, to exercise the offset
        for (float v : new float[] {1, 1, 1, 1}) bb.putFloat(v);
        Files.write(dir.resolve("weights.bin"), bb.array());
        TensorProto w = external("weights.bin", 8);
        Files.write(dir.resolve("m.onnx"), model(convRelu().clearInitializer().addInitializer(w).build(), 13).toByteArray());
        Graph g = OnnxImporter.load(dir.resolve("m.onnx"));
        Approx.assertTensor(new int[] {1, 1, 2, 2}, new float[] {12, 16, 24, 28}, runOnce(g, Tensor.of(X, 1, 1, 3, 3)));
    }

    @Test
    void externalDataOutsideTheModelFolderIsRefused(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        for (String path : new String[] {"../secret.bin", dir.resolve("secret.bin").toString()}) {
            Files.write(dir.resolve("model/m.onnx"), model(convRelu().clearInitializer().addInitializer(external(path, 0)).build(), 13).toByteArray());
            ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(dir.resolve("model/m.onnx")));
            assertTrue(e.getMessage().contains("leaves the model's folder"), e.getMessage());
        }
    }

    @Test
    void externalDataThroughASymbolicLinkOutOfTheFolderIsRefused(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        Files.createSymbolicLink(model.resolve("weights.bin"), dir.resolve("secret.bin"));
        Files.createDirectories(dir.resolve("elsewhere"));
        Files.write(dir.resolve("elsewhere/w.bin"), new byte[16]);
        Files.createSymbolicLink(model.resolve("sub"), dir.resolve("elsewhere"));
        for (String path : new String[] {"weights.bin", "sub/w.bin"}) {
            Files.write(model.resolve("m.onnx"), model(convRelu().clearInitializer().addInitializer(external(path, 0)).build(), 13).toByteArray());
            ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(model.resolve("m.onnx")));
            assertTrue(e.getMessage().contains("is a symbolic link to") && e.getMessage().contains("outside the model's folder"),
                    e.getMessage());
        }
        // a link that stays inside the folder is fine
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : new float[] {1, 1, 1, 1}) bb.putFloat(v);
        Files.write(model.resolve("real.bin"), bb.array());
        Files.createSymbolicLink(model.resolve("inside.bin"), model.resolve("real.bin"));
        Files.write(model.resolve("m.onnx"), model(convRelu().clearInitializer().addInitializer(external("inside.bin", 0)).build(), 13).toByteArray());
        Approx.assertTensor(new int[] {1, 1, 2, 2}, new float[] {12, 16, 24, 28}, runOnce(OnnxImporter.load(model.resolve("m.onnx")),
                Tensor.of(X, 1, 1, 3, 3)));
    }

    @Test
    void externalDataAtAnOffsetThatOverflowsIsRefused(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), new byte[16]);
        Files.write(dir.resolve("m.onnx"), model(convRelu().clearInitializer().addInitializer(external("w.bin", Long.MAX_VALUE - 4)).build(),
                13).toByteArray());
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(dir.resolve("m.onnx")));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void externalDataShorterThanClaimed(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("w.bin"), new byte[10]);
        Files.write(dir.resolve("m.onnx"), model(convRelu().clearInitializer().addInitializer(external("w.bin", 0)).build(), 13).toByteArray());
        ModelException e = assertThrows(ModelException.class, () -> OnnxImporter.load(dir.resolve("m.onnx")));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    private static TensorProto external(String location, long offset) {
        return TensorProto.newBuilder().setName("w").setDataType(1).addDims(1).addDims(1).addDims(2).addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
    }

    @Test
    void int64InitializerAsRawData() {
        ByteBuffer bb = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1).putLong(7);
        TensorProto t = TensorProto.newBuilder().setDataType(7).addDims(2).setRawData(ByteString.copyFrom(bb.array())).build();
        assertArrayEquals(new long[] {-1, 7}, TensorDecoder.decode(t, "t").longs());
    }
}
