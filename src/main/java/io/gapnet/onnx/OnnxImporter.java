package io.gapnet.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import io.gapnet.GapnetException;
import io.gapnet.ModelException;
import io.gapnet.UnsupportedOpException;
import io.gapnet.model.Attributes;
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
import io.gapnet.onnx.proto.Onnx.ValueInfoProto;
import io.gapnet.runtime.ops.OpSet;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads an ONNX model (IR 3 to 13, default-domain opsets 6 to 25) into a {@link Graph}. Every problem
 * becomes a {@link ModelException} that names the file, node, op or attribute; a model with unsupported
 * operators fails with one {@link UnsupportedOpException} listing all of them.
 */
public final class OnnxImporter {
    public static final int MIN_IR = 3, MAX_IR = 13, MIN_OPSET = 6, MAX_OPSET = 25;

    private OnnxImporter() {}

    public static Graph load(Path file) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(file)) throw new ModelException("model file " + file + " does not exist or is not a file");
            long size = Files.size(file);
            long max = Math.min(io.gapnet.Limits.current().maxModelBytes(), Integer.MAX_VALUE - 16);
            if (size > max) {
                throw new ModelException("model file " + file + " has " + size + " bytes, more than the limit of " + max
                        + " (gapnet.limits.maxModelBytes; files over 2 GiB need external data)");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelException("cannot read model file " + file + ": " + e.getMessage(), e);
        }
        return load(bytes, file.getFileName().toString(), file.toAbsolutePath().getParent());
    }

    /**
     * @param source name used in messages
     * @param modelDir folder for external data, or null if the model has none
     */
    public static Graph load(byte[] bytes, String source, Path modelDir) {
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelException(source + ": not a valid ONNX model (" + e.getMessage() + "); is the file"
                    + " truncated, or not an .onnx file?", e);
        }
        try {
            return convert(proto, source, modelDir);
        } catch (GapnetException e) {
            throw e;
        } catch (RuntimeException e) {
            // a safety net: anything unforeseen in a hostile file still surfaces as a model error
            throw new ModelException(source + ": malformed ONNX model (" + e + ")", e);
        }
    }

    private static Graph convert(ModelProto proto, String source, Path modelDir) {
        if (!proto.hasGraph() || proto.getGraph().getNodeCount() == 0 && proto.getGraph().getOutputCount() == 0) {
            throw new ModelException(source + ": the file parses but holds no graph; it is not an ONNX model");
        }
        long ir = proto.getIrVersion();
        if (ir < MIN_IR || ir > MAX_IR) {
            throw new ModelException(source + ": ONNX IR version " + ir + " is not supported (gapnet reads " + MIN_IR
                    + " to " + MAX_IR + "); re-export the model with a supported version");
        }
        int opset = -1;
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) opset = (int) o.getVersion();
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new ModelException(source + ": default-domain opset " + (opset < 0 ? "(none declared)" : opset)
                    + " is not supported (gapnet reads opsets " + MIN_OPSET + " to " + MAX_OPSET + "); re-export with"
                    + " a supported opset, for example torch.onnx.export(..., opset_version=17)");
        }
        GraphProto g = proto.getGraph();
        long maxNodes = io.gapnet.Limits.current().maxNodes();
        if (g.getNodeCount() > maxNodes) {
            throw new ModelException(source + ": " + g.getNodeCount() + " nodes, more than the limit of " + maxNodes
                    + " (gapnet.limits.maxNodes)");
        }
        String graphName = g.getName().isEmpty() ? source : g.getName();

        Map<String, Tensor> inits = new LinkedHashMap<>();
        // the ONNX element type of each constant: gapnet keeps integers as int64, but QuantizeLinear saturates to
        // its zero point's type
        Map<String, Integer> elementTypes = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            if (t.getName().isEmpty()) throw new ModelException(source + ": an initializer has no name");
            inits.put(t.getName(), TensorDecoder.decode(t, "initializer '" + t.getName() + "'", modelDir));
            elementTypes.put(t.getName(), t.getDataType());
        }
        for (NodeProto np : g.getNodeList()) {
            for (AttributeProto a : np.getAttributeList()) {
                if (np.getOpType().equals("Constant") && a.hasT() && np.getOutputCount() > 0) {
                    elementTypes.put(np.getOutput(0), a.getT().getDataType());
                }
            }
        }
        List<ValueInfo> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (!inits.containsKey(v.getName())) inputs.add(valueInfo(v, "graph input"));
        }
        List<ValueInfo> outputs = new ArrayList<>();
        for (ValueInfoProto v : g.getOutputList()) outputs.add(valueInfo(v, "graph output"));

        List<Node> nodes = new ArrayList<>();
        Map<String, List<String>> unsupported = new TreeMap<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (NodeProto np : g.getNodeList()) {
            String name = np.getName().isEmpty() ? np.getOpType() + "_" + index : np.getName();
            if (!names.add(name)) name = name + "_" + index;
            index++;
            String domain = np.getDomain().equals("ai.onnx") ? "" : np.getDomain();
            if (!OpSet.isSupported(np.getOpType(), domain)) {
                String key = domain.isEmpty() ? np.getOpType() : domain + "." + np.getOpType();
                unsupported.computeIfAbsent(key, k -> new ArrayList<>()).add(name);
                continue;
            }
            Attributes attrs = attributes(np, name, modelDir);
            if (np.getOpType().equals("QuantizeLinear") && domain.isEmpty()) {
                String zp = np.getInputCount() > 2 ? np.getInput(2) : "";
                long type = zp.isEmpty() ? attrs.getInt("output_dtype", TensorDecoder.UINT8) : elementTypes.getOrDefault(zp, 0);
                attrs = attrs.with(io.gapnet.runtime.ops.QuantOps.ZERO_POINT_TYPE, type);
            }
            Node node = new Node(name, np.getOpType(), domain, np.getInputList(), np.getOutputList(), attrs);
            nodes.add(node);
        }
        if (!unsupported.isEmpty()) throw new UnsupportedOpException(unsupported);
        return new Graph(graphName, nodes, inits, inputs, outputs, opset);
    }

    private static ValueInfo valueInfo(ValueInfoProto v, String what) {
        String desc = what + " '" + v.getName() + "'";
        if (v.getName().isEmpty()) throw new ModelException("a " + what + " has no name");
        if (!v.hasType() || !v.getType().hasTensorType()) {
            throw new ModelException(desc + " is not a tensor (sequences, maps and optionals are not supported)");
        }
        var tt = v.getType().getTensorType();
        DType dtype = TensorDecoder.dtypeOf(tt.getElemType(), desc);
        if (!tt.hasShape()) return new ValueInfo(v.getName(), dtype, null, null);
        TensorShapeProto shape = tt.getShape();
        long[] dims = new long[shape.getDimCount()];
        String[] dimNames = new String[dims.length];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension d = shape.getDim(i);
            dims[i] = d.hasDimValue() && d.getDimValue() >= 0 ? d.getDimValue() : -1;
            dimNames[i] = d.hasDimParam() ? d.getDimParam() : null;
        }
        return new ValueInfo(v.getName(), dtype, dims, dimNames);
    }

    private static Attributes attributes(NodeProto np, String nodeName, Path modelDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (AttributeProto a : np.getAttributeList()) {
            String where = np.getOpType() + " node '" + nodeName + "': attribute '" + a.getName() + "'";
            AttributeProto.AttributeType type = a.hasType() ? a.getType() : inferType(a);
            switch (type) {
                case FLOAT: m.put(a.getName(), a.getF()); break;
                case INT: m.put(a.getName(), a.getI()); break;
                case STRING: m.put(a.getName(), a.getS().toStringUtf8()); break;
                case TENSOR: m.put(a.getName(), TensorDecoder.decode(a.getT(), where, modelDir)); break;
                case FLOATS: {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                    m.put(a.getName(), f);
                    break;
                }
                case INTS: {
                    long[] l = new long[a.getIntsCount()];
                    for (int i = 0; i < l.length; i++) l[i] = a.getInts(i);
                    m.put(a.getName(), l);
                    break;
                }
                case STRINGS: {
                    String[] s = new String[a.getStringsCount()];
                    for (int i = 0; i < s.length; i++) s[i] = a.getStrings(i).toStringUtf8();
                    m.put(a.getName(), s);
                    break;
                }
                default:
                    throw new ModelException(where + " has type " + type + ", which gapnet does not support"
                            + " (subgraphs and sparse tensors are not supported)");
            }
        }
        return new Attributes(m);
    }

    /** Old exporters may omit the attribute type; infer it from the field that is set. */
    private static AttributeProto.AttributeType inferType(AttributeProto a) {
        if (a.hasT()) return AttributeProto.AttributeType.TENSOR;
        if (a.hasG()) return AttributeProto.AttributeType.GRAPH;
        if (a.getIntsCount() > 0) return AttributeProto.AttributeType.INTS;
        if (a.getFloatsCount() > 0) return AttributeProto.AttributeType.FLOATS;
        if (a.getStringsCount() > 0) return AttributeProto.AttributeType.STRINGS;
        if (a.hasS()) return AttributeProto.AttributeType.STRING;
        if (a.hasF()) return AttributeProto.AttributeType.FLOAT;
        if (a.hasI()) return AttributeProto.AttributeType.INT;
        return AttributeProto.AttributeType.UNDEFINED;
    }

    /** Reads one serialized TensorProto (an ONNX test-data .pb file). */
    public static Tensor readTensor(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return TensorDecoder.decode(TensorProto.parseFrom(bytes), file.getFileName().toString());
        } catch (InvalidProtocolBufferException e) {
            throw new ModelException(file + ": not a serialized ONNX TensorProto (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The name stored in a serialized TensorProto file, or "" if it has none. */
    public static String readTensorName(Path file) {
        try {
            return TensorProto.parseFrom(Files.readAllBytes(file)).getName();
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
