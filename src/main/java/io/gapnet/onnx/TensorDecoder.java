package io.gapnet.onnx;

import com.google.protobuf.ByteString;
import io.gapnet.ModelException;
import io.gapnet.onnx.proto.Onnx.StringStringEntryProto;
import io.gapnet.onnx.proto.Onnx.TensorProto;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Half;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns ONNX TensorProtos into {@link Tensor}s: float32, float16, bfloat16 and double become float
 * tensors (float16 keeps its type); integer and bool types become int64 tensors. Reads raw_data (little
 * endian) or the typed fields, and external data files next to the model. Claimed sizes are checked
 * against the bytes present before anything is allocated.
 */
public final class TensorDecoder {
    /** ONNX TensorProto.DataType codes. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8,
            BOOL = 9, FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13, BFLOAT16 = 16;

    private TensorDecoder() {}

    /** Decodes a tensor with no external data (for example a standalone .pb test file). */
    public static Tensor decode(TensorProto t, String what) {
        return decode(t, what, null);
    }

    /**
     * @param modelDir folder that external data paths are relative to, or null to refuse external data
     */
    public static Tensor decode(TensorProto t, String what, Path modelDir) {
        if (t.getDimsCount() > 32) throw new ModelException(what + ": rank " + t.getDimsCount() + " is absurd");
        int[] shape = new int[t.getDimsCount()];
        long max = Math.min(io.gapnet.Limits.current().maxTensorElements(), Integer.MAX_VALUE - 16);
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new ModelException(what + ": dimension " + d + " is out of range");
            shape[i] = (int) d;
            count *= d;
            if (count > max) {
                throw new ModelException(what + ": claims " + t.getDimsList() + " elements, more than the limit of " + max
                        + " (gapnet.limits.maxTensorElements)");
            }
        }
        int n = (int) count;
        int type = t.getDataType();
        int size = elementSize(type, what);
        ByteString raw = null;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            raw = readExternal(t, what, modelDir, (long) n * size);
        } else if (t.hasRawData()) {
            raw = t.getRawData();
        }
        if (raw != null && raw.size() != (long) n * size) {
            throw new ModelException(what + ": raw data has " + raw.size() + " bytes but shape " + t.getDimsList()
                    + " of type " + typeName(type) + " needs " + (long) n * size + "; the file is corrupt or truncated");
        }
        if (raw == null) {
            // the values must be present in the file before an array of the claimed size is made
            int have = typedCount(t, type);
            if (have != n) {
                throw new ModelException(what + ": holds " + have + " values but its shape needs " + n
                        + "; the file is corrupt or was written by a broken exporter");
            }
        }
        ByteBuffer bb = raw == null ? null : raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FLOAT: {
                float[] v = new float[n];
                if (bb != null) bb.asFloatBuffer().get(v);
                else for (int i = 0; i < n; i++) v[i] = t.getFloatData(i);
                return Tensor.of(v, shape);
            }
            case DOUBLE: {
                float[] v = new float[n];
                if (bb != null) for (int i = 0; i < n; i++) v[i] = (float) bb.getDouble(i * 8);
                else for (int i = 0; i < n; i++) v[i] = (float) t.getDoubleData(i);
                return Tensor.of(v, shape);
            }
            case FLOAT16:
            case BFLOAT16: {
                float[] v = new float[n];
                boolean half = type == FLOAT16;
                if (bb != null) {
                    for (int i = 0; i < n; i++) v[i] = bits16(bb.getShort(i * 2), half);
                } else {
                    for (int i = 0; i < n; i++) v[i] = bits16((short) t.getInt32Data(i), half);
                }
                return half ? Tensor.ofHalf(v, shape) : Tensor.of(v, shape);
            }
            case INT64: {
                long[] v = new long[n];
                if (bb != null) bb.asLongBuffer().get(v);
                else for (int i = 0; i < n; i++) v[i] = t.getInt64Data(i);
                return Tensor.ofLongs(v, shape);
            }
            case UINT32:
            case UINT64: {
                long[] v = new long[n];
                if (bb != null) {
                    for (int i = 0; i < n; i++) v[i] = type == UINT32 ? bb.getInt(i * 4) & 0xffffffffL : bb.getLong(i * 8);
                } else {
                    for (int i = 0; i < n; i++) v[i] = t.getUint64Data(i);
                }
                return Tensor.ofLongs(v, shape);
            }
            default: { // the int32_data family: INT32, INT16, INT8, UINT16, UINT8, BOOL
                long[] v = new long[n];
                if (bb != null) {
                    for (int i = 0; i < n; i++) {
                        switch (type) {
                            case INT32: v[i] = bb.getInt(i * 4); break;
                            case INT16: v[i] = bb.getShort(i * 2); break;
                            case UINT16: v[i] = bb.getShort(i * 2) & 0xffff; break;
                            case INT8: v[i] = bb.get(i); break;
                            default: v[i] = bb.get(i) & 0xff; break; // UINT8, BOOL
                        }
                    }
                } else {
                    for (int i = 0; i < n; i++) v[i] = t.getInt32Data(i);
                }
                return Tensor.ofLongs(v, shape);
            }
        }
    }

    private static int typedCount(TensorProto t, int type) {
        switch (type) {
            case FLOAT: return t.getFloatDataCount();
            case DOUBLE: return t.getDoubleDataCount();
            case INT64: return t.getInt64DataCount();
            case UINT32: case UINT64: return t.getUint64DataCount();
            default: return t.getInt32DataCount();
        }
    }

    private static float bits16(short bits, boolean half) {
        return half ? Half.toFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    static int elementSize(int type, String what) {
        switch (type) {
            case FLOAT: case INT32: case UINT32: return 4;
            case DOUBLE: case INT64: case UINT64: return 8;
            case FLOAT16: case BFLOAT16: case INT16: case UINT16: return 2;
            case INT8: case UINT8: case BOOL: return 1;
            default:
                throw new ModelException(what + ": element type " + typeName(type) + " is not supported (gapnet reads"
                        + " float, float16, bfloat16, double, integer and bool tensors)");
        }
    }

    /** The gapnet element type a declared ONNX type maps to. */
    static DType dtypeOf(int type, String what) {
        elementSize(type, what);
        switch (type) {
            case FLOAT: case DOUBLE: case BFLOAT16: return DType.FLOAT32;
            case FLOAT16: return DType.FLOAT16;
            default: return DType.INT64;
        }
    }

    static String typeName(int type) {
        String[] names = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
            "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
        return type >= 0 && type < names.length ? names[type] : "type code " + type;
    }

    private static ByteString readExternal(TensorProto t, String what, Path modelDir, long expected) {
        if (modelDir == null) {
            throw new ModelException(what + ": refers to external data, which is only read for models loaded from a file");
        }
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location": location = e.getValue(); break;
                    case "offset": offset = Long.parseLong(e.getValue()); break;
                    case "length": length = Long.parseLong(e.getValue()); break;
                    default: break;
                }
            } catch (NumberFormatException ex) {
                throw new ModelException(what + ": external data " + e.getKey() + " '" + e.getValue() + "' is not a number");
            }
        }
        if (location == null || location.isEmpty()) throw new ModelException(what + ": external data has no location");
        Path rel = Path.of(location);
        Path base = modelDir.toAbsolutePath().normalize();
        Path file = base.resolve(rel).normalize();
        if (rel.isAbsolute() || !file.startsWith(base)) {
            throw new ModelException(what + ": external data path '" + location + "' leaves the model's folder; only"
                    + " files beside the model (or below it) are read");
        }
        if (length < 0) length = expected;
        if (length > Integer.MAX_VALUE - 16) {
            throw new ModelException(what + ": external data of " + length + " bytes is larger than one tensor may be (2 GiB)");
        }
        if (length != expected || offset < 0) {
            throw new ModelException(what + ": external data length " + length + " at offset " + offset
                    + " does not match the " + expected + " bytes its shape needs");
        }
        try {
            if (!Files.isRegularFile(file)) throw new ModelException(what + ": external data file " + file + " is missing");
            // the check above is on the names; a symbolic link (the file, or a folder on its way) may still lead out
            Path realBase = base.toRealPath(), real = file.toRealPath();
            if (!real.startsWith(realBase)) {
                throw new ModelException(what + ": external data path '" + location + "' is a symbolic link to " + real
                        + ", outside the model's folder " + realBase + "; only files beside the model (or below it) are read");
            }
            long size = Files.size(real);
            if (offset > size || length > size - offset) {
                throw new ModelException(what + ": external data needs bytes " + offset + ".." + (offset + length)
                        + " of " + file.getFileName() + ", which has only " + size + " bytes (truncated?)");
            }
            byte[] buf = new byte[(int) length];
            try (RandomAccessFile f = new RandomAccessFile(real.toFile(), "r")) {
                f.seek(offset);
                f.readFully(buf);
            }
            return ByteString.copyFrom(buf);
        } catch (IOException e) {
            throw new ModelException(what + ": cannot read external data file " + file + ": " + e.getMessage(), e);
        }
    }
}
