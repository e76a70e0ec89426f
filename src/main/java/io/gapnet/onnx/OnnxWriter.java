package io.gapnet.onnx;

import com.google.protobuf.ByteString;
import io.gapnet.GapnetException;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.onnx.proto.Onnx.AttributeProto;
import io.gapnet.onnx.proto.Onnx.GraphProto;
import io.gapnet.onnx.proto.Onnx.ModelProto;
import io.gapnet.onnx.proto.Onnx.NodeProto;
import io.gapnet.onnx.proto.Onnx.OperatorSetIdProto;
import io.gapnet.onnx.proto.Onnx.TensorProto;
import io.gapnet.onnx.proto.Onnx.TensorShapeProto;
import io.gapnet.onnx.proto.Onnx.TypeProto;
import io.gapnet.onnx.proto.Onnx.ValueInfoProto;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes gapnet graphs and tensors in the ONNX formats the importer reads: a {@link Graph} of default-domain
 * nodes as a {@code ModelProto} (IR version 8, the graph's opset), a {@link Tensor} as a {@code TensorProto} with
 * little-endian {@code raw_data}. {@code gapnet parity --save} uses it to write a failing layer as an ONNX test
 * folder that {@code gapnet test-onnx} replays.
 */
public final class OnnxWriter {
    private OnnxWriter() {}

    /** The TensorProto of {@code t} named {@code name} (float32, float16 stored as float32, or int64). */
    public static TensorProto tensor(Tensor t, String name) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name);
        for (int d : t.shape()) b.addDims(d);
        ByteBuffer raw;
        if (t.dtype() == DType.INT64) {
            long[] v = t.longs();
            raw = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            raw.asLongBuffer().put(v);
            b.setDataType(DType.INT64.onnxCode);
        } else {
            float[] v = t.toFloats();
            raw = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            raw.asFloatBuffer().put(v);
            b.setDataType(DType.FLOAT32.onnxCode);
        }
        return b.setRawData(ByteString.copyFrom(raw.array())).build();
    }

    public static void writeTensor(Tensor t, String name, Path file) {
        write(file, tensor(t, name).toByteArray());
    }

    /** The ModelProto of a graph whose nodes are all in the default ONNX domain. */
    public static ModelProto model(Graph g) {
        GraphProto.Builder gb = GraphProto.newBuilder().setName(g.name());
        for (Node n : g.nodes()) {
            if (!n.domain().isEmpty()) {
                throw new GapnetException(n.describe() + ": op " + n.opType() + " of domain '" + n.domain()
                        + "' has no ONNX form; write the model's own nodes instead");
            }
            NodeProto.Builder nb = NodeProto.newBuilder().setName(n.name()).setOpType(n.opType())
                    .addAllInput(n.inputs()).addAllOutput(n.outputs());
            for (Map.Entry<String, Object> a : n.attrs().asMap().entrySet()) nb.addAttribute(attribute(n, a.getKey(), a.getValue()));
            gb.addNode(nb);
        }
        g.initializers().forEach((name, t) -> gb.addInitializer(tensor(t, name)));
        for (ValueInfo v : g.inputs()) gb.addInput(valueInfo(v));
        for (ValueInfo v : g.outputs()) gb.addOutput(valueInfo(v));
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("gapnet")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(g.opset())).setGraph(gb).build();
    }

    public static void writeModel(Graph g, Path file) {
        write(file, model(g).toByteArray());
    }

    private static AttributeProto attribute(Node n, String name, Object v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
        if (v instanceof Long l) {
            a.setType(AttributeProto.AttributeType.INT).setI(l);
        } else if (v instanceof Float f) {
            a.setType(AttributeProto.AttributeType.FLOAT).setF(f);
        } else if (v instanceof String s) {
            a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else if (v instanceof long[] ints) {
            a.setType(AttributeProto.AttributeType.INTS);
            for (long i : ints) a.addInts(i);
        } else if (v instanceof float[] floats) {
            a.setType(AttributeProto.AttributeType.FLOATS);
            for (float f : floats) a.addFloats(f);
        } else if (v instanceof String[] strings) {
            a.setType(AttributeProto.AttributeType.STRINGS);
            for (String s : strings) a.addStrings(ByteString.copyFromUtf8(s));
        } else if (v instanceof Tensor t) {
            a.setType(AttributeProto.AttributeType.TENSOR).setT(tensor(t, name));
        } else {
            throw new GapnetException(n.describe() + ": attribute '" + name + "' of type " + v.getClass().getSimpleName()
                    + " cannot be written as ONNX");
        }
        return a.build();
    }

    private static ValueInfoProto valueInfo(ValueInfo v) {
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder()
                .setElemType(v.dtype() == DType.INT64 ? DType.INT64.onnxCode : DType.FLOAT32.onnxCode);
        if (v.hasShape()) {
            TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
            for (int i = 0; i < v.dims().length; i++) {
                long d = v.dims()[i];
                String param = v.dimNames() != null && i < v.dimNames().length && v.dimNames()[i] != null ? v.dimNames()[i]
                        : "d" + i;
                s.addDim(d >= 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(d)
                        : TensorShapeProto.Dimension.newBuilder().setDimParam(param));
            }
            t.setShape(s);
        }
        return ValueInfoProto.newBuilder().setName(v.name()).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }

    private static void write(Path file, byte[] bytes) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new GapnetException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
