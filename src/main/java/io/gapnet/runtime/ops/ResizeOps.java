package io.gapnet.runtime.ops;

import io.gapnet.backend.BinaryOp;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * Resize (opsets 10 to 19) and Upsample (7 to 9) in the modes classifiers use: nearest (all four rounding modes) and
 * linear (bi- and n-linear), with the half_pixel, pytorch_half_pixel, asymmetric and align_corners coordinate
 * transformations. Each resized axis is done on its own, which is exact for both modes: nearest is a Gather along
 * the axis with indices computed here, linear is two Gathers (the neighbours below and above) blended by constant
 * weights. So every backend runs it with kernels it already has.
 */
final class ResizeOps {
    private ResizeOps() {}

    static void register(Map<String, OpLowering> ops) {
        ops.put("Resize", ResizeOps::resize);
        ops.put("Upsample", ResizeOps::upsample);
    }

    private static void upsample(PlanBuilder b) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        float[] scales;
        if (b.opset() >= 9) {
            scales = b.in(1).constant() == null ? null : b.in(1).constant().toFloats();
            if (scales == null) throw b.error("scales must be a constant of the model");
        } else {
            scales = a.getFloats("scales");
            if (scales == null) throw b.error("attribute 'scales' is missing");
        }
        String mode = a.getString("mode", "nearest");
        b.output(run(b, x, scales, null, mode.equals("bilinear") ? "linear" : mode, "asymmetric", "floor"));
    }

    private static void resize(PlanBuilder b) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        if (a.getInt("antialias", 0) != 0) throw b.error("antialias=1 is not supported");
        if (a.has("axes")) throw b.error("the axes attribute (opset 18) is not supported; resize every axis");
        if (!a.getString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
            throw b.error("keep_aspect_ratio_policy other than stretch is not supported");
        }
        float[] scales = null;
        long[] sizes = null;
        int scalesInput = b.opset() >= 11 ? 2 : 1;
        if (b.opt(scalesInput) != null && b.in(scalesInput).numel() > 0) {
            if (!b.in(scalesInput).isConst()) throw b.error("scales must be a constant of the model");
            scales = b.in(scalesInput).constant().toFloats();
        }
        if (b.opset() >= 11 && b.opt(3) != null && b.in(3).numel() > 0) sizes = b.constInts(3, "sizes");
        if ((scales == null) == (sizes == null)) throw b.error("exactly one of scales and sizes must be given");
        String transform = b.opset() >= 11 ? a.getString("coordinate_transformation_mode", "half_pixel") : "asymmetric";
        String nearest = b.opset() >= 11 ? a.getString("nearest_mode", "round_prefer_floor") : "round_prefer_floor";
        b.output(run(b, x, scales, sizes, a.getString("mode", "nearest"), transform, nearest));
    }

    private static Value run(PlanBuilder b, Value x, float[] scales, long[] sizes, String mode, String transform, String nearest) {
        int r = x.rank();
        if ((scales != null ? scales.length : sizes.length) != r) {
            throw b.error((scales != null ? "scales" : "sizes") + " must have one value per input axis (" + r + ")");
        }
        if (!mode.equals("nearest") && !mode.equals("linear")) throw b.error("mode '" + mode + "' is not supported (nearest and linear are)");
        if (!java.util.List.of("half_pixel", "pytorch_half_pixel", "asymmetric", "align_corners").contains(transform)) {
            throw b.error("coordinate_transformation_mode '" + transform + "' is not supported (half_pixel, pytorch_half_pixel,"
                    + " asymmetric and align_corners are)");
        }
        Value y = x;
        for (int axis = 0; axis < r; axis++) {
            int in = x.dim(axis);
            long outL = sizes != null ? sizes[axis] : (long) Math.floor(in * (double) scales[axis]);
            double scale = sizes != null ? (double) sizes[axis] / in : scales[axis];
            if (!(scale > 0) || outL < 1 || outL > io.gapnet.Limits.current().maxTensorElements()) {
                throw b.error("axis " + axis + " of " + Shapes.str(x.shape()) + " would resize to " + outL + " (scale " + scale
                        + "); scales and sizes must be positive");
            }
            int out = (int) outL;
            if (out == in && scale == 1) continue;
            if (axis < 2 && mode.equals("linear")) throw b.error("linear resizing of the batch or channel axis is not supported");
            y = mode.equals("nearest") ? nearest(b, y, axis, in, out, scale, transform, nearest) : linear(b, y, axis, in, out, scale, transform);
        }
        return y == x ? b.alias(x, x.shape()) : y;
    }

    /** The input coordinate of output position o, as ONNX's coordinate_transformation_mode defines it. */
    static double source(int o, int in, int out, double scale, String transform) {
        switch (transform) {
            case "half_pixel": return (o + 0.5) / scale - 0.5;
            case "pytorch_half_pixel": return out > 1 ? (o + 0.5) / scale - 0.5 : 0;
            case "asymmetric": return o / scale;
            case "align_corners": return out == 1 ? 0 : o * (in - 1.0) / (out - 1.0);
            default: throw new IllegalArgumentException(transform);
        }
    }

    private static Value gather(PlanBuilder b, Value x, int axis, int[] idx) {
        int[] xs = x.shape(), out = x.shape();
        out[axis] = idx.length;
        int[] is = {idx.length};
        return b.emit("Resize", out, 0, (k, in, o) -> k.gather(xs, axis, idx, is, in[0], o), x);
    }

    private static Value nearest(PlanBuilder b, Value x, int axis, int in, int out, double scale, String transform, String mode) {
        int[] idx = new int[out];
        for (int o = 0; o < out; o++) {
            double s = source(o, in, out, scale, transform);
            double f = Math.floor(s);
            long i;
            switch (mode) {
                case "round_prefer_floor": i = s - f == 0.5 ? (long) f : Math.round(s); break;
                case "round_prefer_ceil": i = s - f == 0.5 ? (long) f + 1 : Math.round(s); break;
                case "floor": i = (long) f; break;
                case "ceil": i = (long) Math.ceil(s); break;
                default: throw b.error("nearest_mode '" + mode + "' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");
            }
            idx[o] = (int) Math.max(0, Math.min(in - 1, i));
        }
        return gather(b, x, axis, idx);
    }

    private static Value linear(PlanBuilder b, Value x, int axis, int in, int out, double scale, String transform) {
        int[] lo = new int[out], hi = new int[out];
        float[] wLo = new float[out], wHi = new float[out];
        for (int o = 0; o < out; o++) {
            double s = Math.max(0, Math.min(in - 1, source(o, in, out, scale, transform)));
            int i0 = (int) Math.floor(s);
            lo[o] = i0;
            hi[o] = Math.min(i0 + 1, in - 1);
            wHi[o] = (float) (s - i0);
            wLo[o] = 1 - wHi[o];
        }
        int[] wShape = new int[x.rank() - axis];
        Arrays.fill(wShape, 1);
        wShape[0] = out;
        Value below = ElementwiseOps.apply(b, BinaryOp.MUL, gather(b, x, axis, lo), b.constant(Tensor.of(wLo, wShape)));
        Value above = ElementwiseOps.apply(b, BinaryOp.MUL, gather(b, x, axis, hi), b.constant(Tensor.of(wHi, wShape)));
        return ElementwiseOps.apply(b, BinaryOp.ADD, below, above);
    }
}
