package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.backend.ReduceOp;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/**
 * LayerNormalization, InstanceNormalization, GroupNormalization, LpNormalization and GlobalLpPool. The three
 * normalisations are the layerNorm kernel over rows of the trailing axes (LayerNormalization with its scale and bias
 * fused; instance and group normalisation as [N*C, spatial] and [N*G, C/G*spatial] rows, then their per-channel
 * affine part); the Lp ops are reductions and broadcasting.
 */
final class NormOps {
    private NormOps() {}

    static void register(Map<String, OpLowering> ops, Map<String, OpLowering> gapnet) {
        ops.put("LayerNormalization", NormOps::layerNorm);
        gapnet.put("LayerNormalization", NormOps::layerNorm); // the decomposed form before opset 17, fused by the optimiser
        ops.put("InstanceNormalization", NormOps::instanceNorm);
        ops.put("GroupNormalization", NormOps::groupNorm);
        ops.put("LpNormalization", NormOps::lpNorm);
        ops.put("GlobalLpPool", NormOps::globalLpPool);
    }

    /** {@code op} over the flagged axes, keeping them as 1s. */
    static Value reduceKeep(PlanBuilder b, ReduceOp op, Value x, boolean[] axes) {
        int[] xs = x.shape(), out = x.shape();
        for (int i = 0; i < out.length; i++) if (axes[i]) out[i] = 1;
        return b.emit(op.onnxName(), out, 0, (k, in, o) -> k.reduce(op, xs, axes, in[0], o), x);
    }

    private static boolean[] from(int rank, int first) {
        boolean[] axes = new boolean[rank];
        for (int i = first; i < rank; i++) axes[i] = true;
        return axes;
    }

    /**
     * {@code (x - mean) / sqrt(var + eps) * scale + bias} over the axes from {@code first} on, one row per position of
     * the axes before; scale and bias (null for none) have one value per row element. An empty extent is an error.
     */
    static Value standardize(PlanBuilder b, Value x, int first, float eps, Value scale, Value bias) {
        int rows = Shapes.prod(x.shape(), 0, first), len = Shapes.prod(x.shape(), first, x.rank());
        if (len == 0) throw b.error("normalising over an empty extent (input " + Shapes.str(x.shape()) + ")");
        Value s = scale == null ? null : b.alias(scale, new int[] {len}), t = bias == null ? null : b.alias(bias, new int[] {len});
        return b.emit("LayerNormalization", x.shape(), 0, (k, in, o) -> k.layerNorm(rows, len, eps, in[0], in[1], in[2], o), x, s, t);
    }

    private static float epsilon(PlanBuilder b) {
        float eps = b.node().attrs().getFloat("epsilon", 1e-5f);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw b.error("epsilon must be a finite non-negative float but is " + eps);
        return eps;
    }

    /** y * scale + bias, where scale and bias (bias may be absent) broadcast against y. */
    private static Value affine(PlanBuilder b, Value y, Value scale, Value bias, String what) {
        try {
            y = ElementwiseOps.apply(b, BinaryOp.MUL, y, scale);
            return bias == null ? y : ElementwiseOps.apply(b, BinaryOp.ADD, y, bias);
        } catch (io.gapnet.ShapeException e) {
            throw b.error(what + ": " + e.getMessage());
        }
    }

    private static void layerNorm(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        if (r == 0) throw b.error("the input is a scalar; LayerNormalization needs at least one axis");
        int axis = Shapes.axis(b.node().attrs().getInt("axis", -1), r, b.node().describe());
        Value scale = b.floatIn(1), bias = b.opt(2) == null ? null : b.floatIn(2);
        int[] normalized = Arrays.copyOfRange(x.shape(), axis, r);
        boolean fused = true;
        for (Value p : bias == null ? new Value[] {scale} : new Value[] {scale, bias}) {
            if (p.numel() != Shapes.numel(normalized) && p.numel() != 1) {
                throw b.error("Scale and B must have the normalised shape " + Shapes.str(normalized) + " but one has "
                        + Shapes.str(p.shape()));
            }
            fused &= p.numel() == Shapes.numel(normalized);
        }
        if (fused) { // the usual case: scale and bias applied inside the kernel
            b.output(standardize(b, x, axis, epsilon(b), scale, bias));
            return;
        }
        b.output(affine(b, standardize(b, x, axis, epsilon(b), null, null), scale, bias, "Scale and B"));
    }

    /** [C] seen as [C, 1, ...] so that it broadcasts over [N, C, spatial...]. */
    private static Value perChannel(PlanBuilder b, Value p, int channels, int rank, String name) {
        if (p.numel() != channels) {
            throw b.error(name + " must have " + channels + " values (one per channel) but has shape " + Shapes.str(p.shape()));
        }
        int[] s = new int[rank - 1];
        Arrays.fill(s, 1);
        s[0] = channels;
        return b.alias(p, s);
    }

    private static void instanceNorm(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        if (r < 3) throw b.error("input must be [N, C, spatial...] but has shape " + Shapes.str(x.shape()));
        int c = x.dim(1);
        Value y = standardize(b, x, 2, epsilon(b), null, null);
        b.output(affine(b, y, perChannel(b, b.floatIn(1), c, r, "scale"), perChannel(b, b.floatIn(2), c, r, "B"), "scale and B"));
    }

    /**
     * Groups of C / num_groups channels normalised together. Scale and bias have one value per channel (opset 21) or,
     * in opset 18, one per group.
     */
    private static void groupNorm(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        if (r < 3) throw b.error("input must be [N, C, spatial...] but has shape " + Shapes.str(x.shape()));
        long groups = b.node().attrs().getInt("num_groups", 0);
        int n = x.dim(0), c = x.dim(1);
        if (groups < 1 || c % groups != 0) {
            throw b.error("num_groups must be a positive divisor of the " + c + " channels but is " + groups);
        }
        int g = (int) groups, per = Shapes.prod(x.shape(), 1, r) / g;
        Value grouped = b.alias(x, new int[] {n, g, per});
        Value y = standardize(b, grouped, 2, epsilon(b), null, null);
        Value scale = b.floatIn(1), bias = b.floatIn(2);
        if (b.opset() < 21 && scale.numel() == g && g != c) { // opset 18: per group, applied before the reshape back
            int[] s = {g, 1};
            y = affine(b, y, b.alias(scale, s), b.alias(bias, s), "scale and bias");
            b.output(b.alias(y, x.shape()));
            return;
        }
        y = b.alias(y, x.shape());
        b.output(affine(b, y, perChannel(b, scale, c, r, "scale"), perChannel(b, bias, c, r, "bias"), "scale and bias"));
    }

    private static ReduceOp norm(PlanBuilder b, long p) {
        if (p == 1) return ReduceOp.L1;
        if (p == 2) return ReduceOp.L2;
        throw b.error("p must be 1 or 2 but is " + p);
    }

    private static void lpNorm(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        int axis = Shapes.axis(b.node().attrs().getInt("axis", -1), r, b.node().describe());
        boolean[] axes = new boolean[r];
        axes[axis] = true;
        Value norm = reduceKeep(b, norm(b, b.node().attrs().getInt("p", 2)), x, axes);
        b.output(ElementwiseOps.apply(b, BinaryOp.DIV, x, norm)); // a zero vector is 0 / 0, as ONNX defines it
    }

    private static void globalLpPool(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        if (r < 3) throw b.error("input must be [N, C, spatial...] but has shape " + Shapes.str(x.shape()));
        PoolOps.requireSpatial(b, x);
        long p = b.node().attrs().getInt("p", 2);
        boolean[] axes = from(r, 2);
        if (p == 1 || p == 2) {
            b.output(reduceKeep(b, norm(b, p), x, axes));
            return;
        }
        if (p < 1 || p > 64) throw b.error("p must be a positive int up to 64 but is " + p);
        Value powered = ElementwiseOps.apply(b, BinaryOp.POW, ElementwiseOps.apply(b, Activation.of(Activation.Kind.ABS), x),
                b.constant(Tensor.scalar((float) p)));
        Value sum = reduceKeep(b, ReduceOp.SUM, powered, axes);
        b.output(ElementwiseOps.apply(b, BinaryOp.POW, sum, b.constant(Tensor.scalar(1f / p))));
    }
}
