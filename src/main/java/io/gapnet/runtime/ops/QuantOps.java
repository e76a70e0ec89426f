package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * QuantizeLinear and DequantizeLinear with ONNX's semantics, computed in float (the integers are exact there):
 * {@code q = saturate(round_half_even(x / scale) + zero_point)} and {@code x = (q - zero_point) * scale}, per tensor or
 * per axis. Constant inputs (quantized weights) fold on the host at compile time; the rest runs on the division,
 * rounding, addition and clipping kernels of every backend.
 */
public final class QuantOps {
    /**
     * The attribute the importer gives each QuantizeLinear: the ONNX element type of its zero point (UINT8 without
     * one, or opset 21's output_dtype), 0 when the zero point is not a constant.
     */
    public static final String ZERO_POINT_TYPE = "gapnet.zero_point_type";

    private QuantOps() {}

    static void register(Map<String, OpLowering> ops) {
        ops.put("QuantizeLinear", QuantOps::quantize);
        ops.put("DequantizeLinear", QuantOps::dequantize);
    }

    /** A float view of a constant or float value (quantized data and zero points arrive as int64 constants). */
    private static Value asFloat(PlanBuilder b, Value v) {
        return v.isInt() ? b.constant(v.constant().asType(DType.FLOAT32)) : v;
    }

    /** Scale or zero point {@code p} shaped to broadcast against x: a scalar, or 1-D along {@code axis}. */
    private static Value alongAxis(PlanBuilder b, Value p, Value x, String name) {
        if (p.numel() == 1) return b.alias(p, new int[0]);
        if (b.node().attrs().getInt("block_size", 0) != 0) throw b.error("blocked quantization (block_size) is not supported");
        if (p.rank() != 1) throw b.error(name + " must be a scalar or 1-D but has shape " + Shapes.str(p.shape()));
        int axis = Shapes.axis(b.node().attrs().getInt("axis", 1), x.rank(), b.node().describe());
        if (p.dim(0) != x.dim(axis)) {
            throw b.error(name + " has " + p.dim(0) + " values but axis " + axis + " of the input " + Shapes.str(x.shape())
                    + " has " + x.dim(axis));
        }
        int[] s = new int[x.rank() - axis];
        Arrays.fill(s, 1);
        s[0] = p.dim(0);
        return b.alias(p, s);
    }

    private static void quantize(PlanBuilder b) {
        Value x = b.floatIn(0);
        Value scale = alongAxis(b, b.floatIn(1), x, "y_scale");
        long type = b.node().attrs().getInt(ZERO_POINT_TYPE, 0);
        float lo, hi;
        switch ((int) type) {
            case 2: lo = 0; hi = 255; break; // UINT8
            case 3: lo = -128; hi = 127; break; // INT8
            case 4: lo = 0; hi = 65535; break; // UINT16
            case 5: lo = -32768; hi = 32767; break; // INT16
            default:
                throw b.error(type == 0 ? "the zero point must be a constant of the model (its element type sets the range)"
                        : "quantizing to ONNX element type " + type + " is not supported (int8, uint8, int16 and uint16 are)");
        }
        Value q = ElementwiseOps.apply(b, Activation.of(Activation.Kind.ROUND), ElementwiseOps.apply(b, BinaryOp.DIV, x, scale));
        if (b.opt(2) != null) q = ElementwiseOps.apply(b, BinaryOp.ADD, q, alongAxis(b, asFloat(b, b.in(2)), x, "y_zero_point"));
        b.output(ElementwiseOps.apply(b, Activation.clip(lo, hi), q));
    }

    private static void dequantize(PlanBuilder b) {
        Value x = asFloat(b, b.in(0));
        Value scale = alongAxis(b, b.floatIn(1), x, "x_scale");
        if (b.opt(2) != null) x = ElementwiseOps.apply(b, BinaryOp.SUB, x, alongAxis(b, asFloat(b, b.in(2)), x, "x_zero_point"));
        b.output(ElementwiseOps.apply(b, BinaryOp.MUL, x, scale));
    }
}
