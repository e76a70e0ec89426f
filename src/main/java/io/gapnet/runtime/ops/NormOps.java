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
 * LayerNormalization, InstanceNormalization, GroupNormalization, LpNormalization and GlobalLpPool, lowered onto the
 * reduction, broadcasting and activation kernels every backend has: the mean, then the mean of the squared
 * deviations (two passes, as accurate as the reference's double sums allow in float), then one division by
 * {@code sqrt(var + eps)} and the affine part.
 */
final class NormOps {
    private NormOps() {}

    static void register(Map<String, OpLowering> ops) {
        ops.put("LayerNormalization", NormOps::layerNorm);
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

    static Value activation(PlanBuilder b, Activation act, Value x) {
        int n = x.numel();
        return b.emit(act.kind().name(), x.shape(), 0, (k, in, o) -> k.activation(act, n, in[0], o), x);
    }

    private static boolean[] from(int rank, int first) {
        boolean[] axes = new boolean[rank];
        for (int i = first; i < rank; i++) axes[i] = true;
        return axes;
    }

    /** {@code (x - mean) / sqrt(var + eps)} over the flagged axes; an empty extent is an error. */
    static Value standardize(PlanBuilder b, Value x, boolean[] axes, float eps) {
        long count = 1;
        for (int i = 0; i < axes.length; i++) if (axes[i]) count *= x.dim(i);
        if (count == 0) throw b.error("normalising over an empty extent (input " + Shapes.str(x.shape()) + ")");
        Value mean = reduceKeep(b, ReduceOp.MEAN, x, axes);
        Value d = ElementwiseOps.apply(b, BinaryOp.SUB, x, mean);
        Value var = reduceKeep(b, ReduceOp.MEAN, ElementwiseOps.apply(b, BinaryOp.MUL, d, d), axes);
        Value sd = activation(b, Activation.of(Activation.Kind.SQRT),
                ElementwiseOps.apply(b, BinaryOp.ADD, var, b.constant(Tensor.scalar(eps))));
        return ElementwiseOps.apply(b, BinaryOp.DIV, d, sd);
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
        for (Value p : bias == null ? new Value[] {scale} : new Value[] {scale, bias}) {
            if (Shapes.numel(p.shape()) != Shapes.numel(normalized) && p.numel() != 1) {
                throw b.error("Scale and B must have the normalised shape " + Shapes.str(normalized) + " but one has "
                        + Shapes.str(p.shape()));
            }
        }
        Value y = standardize(b, x, from(r, axis), epsilon(b));
        b.output(affine(b, y, scale, bias, "Scale and B do not broadcast against the normalised axes"));
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
        Value y = standardize(b, x, from(r, 2), epsilon(b));
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
        Value y = standardize(b, grouped, new boolean[] {false, false, true}, epsilon(b));
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
        if (Shapes.prod(x.shape(), 2, r) == 0) {
            throw b.error("pooling over an empty spatial extent (input " + Shapes.str(x.shape()) + ", H*W = 0): the input"
                    + " image is too small for this network; use a larger input");
        }
        long p = b.node().attrs().getInt("p", 2);
        boolean[] axes = from(r, 2);
        if (p == 1 || p == 2) {
            b.output(reduceKeep(b, norm(b, p), x, axes));
            return;
        }
        if (p < 1 || p > 64) throw b.error("p must be a positive int up to 64 but is " + p);
        Value powered = ElementwiseOps.apply(b, BinaryOp.POW, activation(b, Activation.of(Activation.Kind.ABS), x),
                b.constant(Tensor.scalar((float) p)));
        Value sum = reduceKeep(b, ReduceOp.SUM, powered, axes);
        b.output(ElementwiseOps.apply(b, BinaryOp.POW, sum, b.constant(Tensor.scalar(1f / p))));
    }
}
