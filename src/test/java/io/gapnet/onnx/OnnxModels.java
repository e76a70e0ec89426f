package io.gapnet.onnx;

import com.google.protobuf.ByteString;
import io.gapnet.onnx.proto.Onnx.AttributeProto;
import io.gapnet.onnx.proto.Onnx.GraphProto;
import io.gapnet.onnx.proto.Onnx.ModelProto;
import io.gapnet.onnx.proto.Onnx.NodeProto;
import io.gapnet.onnx.proto.Onnx.OperatorSetIdProto;
import io.gapnet.onnx.proto.Onnx.TensorProto;
import io.gapnet.onnx.proto.Onnx.TensorShapeProto;
import io.gapnet.onnx.proto.Onnx.TypeProto;
import io.gapnet.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds small ONNX protos for importer tests. */
final class OnnxModels {
    private OnnxModels() {}

    static ValueInfoProto value(String name, int elemType, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("N") : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(s))).build();
    }

    static TensorProto floats(String name, float[] v, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1);
        for (long d : dims) t.addDims(d);
        for (float f : v) t.addFloatData(f);
        return t.build();
    }

    static TensorProto rawFloats(String name, float[] v, long... dims) {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) bb.putFloat(f);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(bb.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    static NodeProto node(String name, String op, String[] in, String[] out, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setName(name).setOpType(op);
        for (String i : in) n.addInput(i);
        for (String o : out) n.addOutput(o);
        for (AttributeProto a : attrs) n.addAttribute(a);
        return n.build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static ModelProto model(GraphProto g, int opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("gapnet-test").setGraph(g)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
    }

    /** x [N,1,3,3] -> Conv (weights w [1,1,2,2] of ones) -> Relu -> y. */
    static GraphProto.Builder convRelu() {
        return GraphProto.newBuilder().setName("conv_relu")
                .addInput(value("x", 1, -1, 1, 3, 3))
                .addOutput(value("y", 1, -1, 1, 2, 2))
                .addInitializer(floats("w", new float[] {1, 1, 1, 1}, 1, 1, 2, 2))
                .addNode(node("conv", "Conv", new String[] {"x", "w"}, new String[] {"c"}, ints("kernel_shape", 2, 2)))
                .addNode(node("relu", "Relu", new String[] {"c"}, new String[] {"y"}));
    }
}
