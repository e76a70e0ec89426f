package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.Map;

/**
 * Activations, broadcasting arithmetic (Add, Sub, Mul, Div, Pow, Max, Min, Sum, Mean), comparisons and logic (Equal,
 * Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor, Not, Where; booleans as 0/1), BatchNormalization, Softmax,
 * Identity, Dropout.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    static void register(Map<String, OpLowering> ops, Map<String, OpLowering> gapnet) {
        for (String op : Activations.OPS) ops.put(op, ElementwiseOps::activation);
        for (String op : Activations.GAPNET_OPS) gapnet.put(op, ElementwiseOps::activation); // fused by the optimiser
        ops.put("PRelu", b -> b.output(apply(b, BinaryOp.PRELU, b.floatIn(0), b.floatIn(1))));
        ops.put("LRN", ElementwiseOps::lrn);
        ops.put("Add", b -> b.output(binary(b, BinaryOp.ADD)));
        ops.put("Sub", b -> b.output(binary(b, BinaryOp.SUB)));
        ops.put("Mul", b -> b.output(binary(b, BinaryOp.MUL)));
        ops.put("Div", b -> b.output(binary(b, BinaryOp.DIV)));
        ops.put("Pow", b -> b.output(binary(b, BinaryOp.POW)));
        ops.put("Equal", b -> b.output(binary(b, BinaryOp.EQUAL)));
        ops.put("Less", b -> b.output(binary(b, BinaryOp.LESS)));
        ops.put("Greater", b -> b.output(binary(b, BinaryOp.GREATER)));
        ops.put("LessOrEqual", b -> b.output(binary(b, BinaryOp.LESS_OR_EQUAL)));
        ops.put("GreaterOrEqual", b -> b.output(binary(b, BinaryOp.GREATER_OR_EQUAL)));
        ops.put("And", b -> b.output(binary(b, BinaryOp.AND)));
        ops.put("Or", b -> b.output(binary(b, BinaryOp.OR)));
        ops.put("Xor", b -> b.output(binary(b, BinaryOp.XOR)));
        ops.put("Not", b -> b.output(not(b, b.in(0))));
        ops.put("Where", ElementwiseOps::where);
        ops.put("Sum", b -> b.output(variadic(b, BinaryOp.ADD)));
        ops.put("Max", b -> b.output(variadic(b, BinaryOp.MAX)));
        ops.put("Min", b -> b.output(variadic(b, BinaryOp.MIN)));
        ops.put("Mean", ElementwiseOps::mean);
        ops.put("BatchNormalization", ElementwiseOps::batchNorm);
        ops.put("Softmax", ElementwiseOps::softmax);
        ops.put("Identity", b -> b.output(b.alias(b.in(0), b.in(0).shape())));
        ops.put("Dropout", ElementwiseOps::dropout);
    }

    private static void activation(PlanBuilder b) {
        Value x = b.floatIn(0);
        Activation act = Activations.of(b.node(), name -> constantOrNull(b, name), b.opset());
        if (act == null) { // Clip with bounds computed at run time: max(x, min) then min(., max)
            Value y = x;
            if (b.opt(1) != null) y = apply(b, BinaryOp.MAX, y, b.floatIn(1));
            if (b.opt(2) != null) y = apply(b, BinaryOp.MIN, y, b.floatIn(2));
            b.output(y);
            return;
        }
        b.output(apply(b, b.node().opType(), act, x));
    }

    /** {@code act} of every element of x, as a step named {@code name}. */
    static Value apply(PlanBuilder b, String name, Activation act, Value x) {
        int n = x.numel();
        return b.emit(name, x.shape(), 0, (k, in, o) -> k.activation(act, n, in[0], o), x);
    }

    /** {@code act} of every element of x, as a step named after the activation. */
    static Value apply(PlanBuilder b, Activation act, Value x) {
        return apply(b, act.kind().name(), act, x);
    }

    private static Tensor constantOrNull(PlanBuilder b, String name) {
        for (int i = 0; i < b.inputCount(); i++) {
            if (b.node().input(i).equals(name)) {
                Value v = b.in(i);
                return v.isConst() ? v.constant() : null;
            }
        }
        return null;
    }

    static Value binary(PlanBuilder b, BinaryOp op) {
        Value x = b.in(0), y = b.in(1);
        Attributes a = b.node().attrs();
        int[] ys = y.shape();
        if (b.opset() < 7 && a.getInt("broadcast", 0) != 0 && ys.length < x.rank()) {
            // legacy broadcasting: y's dims line up with x's starting at 'axis' (default: the trailing dims)
            int axis = a.getInt32("axis", x.rank() - ys.length, -x.rank(), x.rank());
            if (axis < 0) axis += x.rank();
            if (axis < 0 || axis + ys.length > x.rank()) throw b.error("legacy broadcast axis " + axis + " does not fit");
            int[] aligned = new int[x.rank()];
            java.util.Arrays.fill(aligned, 1);
            System.arraycopy(ys, 0, aligned, axis, ys.length);
            y = b.alias(y, aligned);
        }
        return apply(b, op, x, y);
    }

    static Value apply(PlanBuilder b, BinaryOp op, Value x, Value y) {
        if (x.isConst() && y.isConst() && x.isInt() && y.isInt()) {
            return b.constant(HostEval.binary(op, x.constant(), y.constant(), b.node().describe()));
        }
        int[] xs = x.shape(), ys = y.shape();
        int[] out = Shapes.broadcast(xs, ys, b.node().describe());
        if (x.isInt() && x.isConst()) x = b.constant(x.constant().asType(io.gapnet.tensor.DType.FLOAT32));
        if (y.isInt() && y.isConst()) y = b.constant(y.constant().asType(io.gapnet.tensor.DType.FLOAT32));
        String name = op.name().charAt(0) + op.name().substring(1).toLowerCase();
        return b.emit(name, out, 0, (k, in, o) -> k.binary(op, xs, in[0], ys, in[1], out, o), x, y);
    }

    /** 1 where x is 0, else 0 (booleans are 0/1); int64 stays int64 so that shape computations fold on the host. */
    private static Value not(PlanBuilder b, Value x) {
        return apply(b, BinaryOp.EQUAL, x, b.constant(x.isInt() ? Tensor.ofLongs(new long[] {0}) : Tensor.scalar(0f)));
    }

    /** Where(c, x, y) = MASK(x, c) + MASK(y, not c): NaN or infinity on the side not taken stays out of the sum. */
    private static void where(PlanBuilder b) {
        Value c = b.in(0);
        b.output(apply(b, BinaryOp.ADD, apply(b, BinaryOp.MASK, b.in(1), c), apply(b, BinaryOp.MASK, b.in(2), not(b, c))));
    }

    private static Value variadic(PlanBuilder b, BinaryOp op) {
        Value acc = b.in(0);
        for (int i = 1; i < b.inputCount(); i++) acc = apply(b, op, acc, b.in(i));
        return b.inputCount() == 1 ? b.alias(acc, acc.shape()) : acc;
    }

    private static void mean(PlanBuilder b) {
        Value sum = variadic(b, BinaryOp.ADD);
        if (b.inputCount() == 1) {
            b.output(sum);
            return;
        }
        b.output(apply(b, BinaryOp.MUL, sum, b.constant(Tensor.scalar(1f / b.inputCount()))));
    }

    private static void batchNorm(PlanBuilder b) {
        Attributes a = b.node().attrs();
        if (a.getInt("training_mode", 0) != 0) throw b.error("training_mode=1 is not supported; export the model in eval mode");
        if (b.opset() < 9 && a.getInt("spatial", 1) == 0) throw b.error("spatial=0 (per-activation statistics) is not supported");
        Value x = b.floatIn(0);
        if (x.rank() < 2) throw b.error("input must be [N, C, ...] but has shape " + Shapes.str(x.shape()));
        int n = x.dim(0), c = x.dim(1), spatial = Shapes.prod(x.shape(), 2, x.rank());
        Value[] params = new Value[4];
        String[] names = {"scale", "B", "mean", "var"};
        for (int i = 0; i < 4; i++) {
            params[i] = b.floatIn(i + 1);
            if (params[i].numel() != c) {
                throw b.error(names[i] + " must have " + c + " values (one per channel) but has shape " + Shapes.str(params[i].shape()));
            }
        }
        float eps = a.getFloat("epsilon", 1e-5f);
        b.output(b.emit("BatchNormalization", x.shape(), 0,
                (k, in, o) -> k.batchNorm(n, c, spatial, eps, in[0], in[1], in[2], in[3], in[4], o),
                x, params[0], params[1], params[2], params[3]));
    }

    private static void lrn(PlanBuilder b) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        if (x.rank() < 3) throw b.error("input must be [N, C, spatial...] but has shape " + Shapes.str(x.shape()));
        long size = a.getInt("size", 0);
        if (size < 1 || size > 1 << 16) throw b.error("attribute 'size' must be a positive int but is " + size);
        int n = x.dim(0), c = x.dim(1), spatial = Shapes.prod(x.shape(), 2, x.rank());
        float alpha = a.getFloat("alpha", 1e-4f), beta = a.getFloat("beta", 0.75f), bias = a.getFloat("bias", 1f);
        int sz = (int) size;
        b.output(b.emit("LRN", x.shape(), 0, (k, in, o) -> k.lrn(n, c, spatial, sz, alpha, beta, bias, in[0], o), x));
    }

    private static void softmax(PlanBuilder b) {
        Value x = b.floatIn(0);
        int r = x.rank();
        int[] s = x.shape();
        int outer, len, inner;
        if (b.opset() >= 13) {
            int axis = Shapes.axis(b.node().attrs().getInt("axis", -1), r, b.node().describe());
            outer = Shapes.prod(s, 0, axis);
            len = s[axis];
            inner = Shapes.prod(s, axis + 1, r);
        } else { // before opset 13 the input is coerced to 2-D at axis and normalised over the second dim
            int axis = r == 0 ? 0 : Shapes.axis(b.node().attrs().getInt("axis", 1), r, b.node().describe());
            outer = Shapes.prod(s, 0, axis);
            len = Shapes.prod(s, axis, r);
            inner = 1;
        }
        b.output(b.emit("Softmax", s, 0, (k, in, o) -> k.softmax(outer, len, inner, in[0], o), x));
    }

    private static void dropout(PlanBuilder b) {
        if (b.opset() >= 12 && b.opt(2) != null) {
            long[] training = b.constInts(2, "training_mode");
            if (training.length > 0 && training[0] != 0) throw b.error("training_mode=true is not supported at inference");
        }
        b.output(b.alias(b.in(0), b.in(0).shape()));
    }
}
