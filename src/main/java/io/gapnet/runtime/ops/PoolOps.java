package io.gapnet.runtime.ops;

import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.ReduceOp;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import java.util.Arrays;
import java.util.Map;

/**
 * MaxPool, AveragePool (2-D), GlobalAveragePool, GlobalMaxPool, the ONNX reductions (ReduceSum, ReduceMean...) and
 * gapnet's GeM, the generalised-mean pooling the optimiser recognises.
 */
final class PoolOps {
    private PoolOps() {}

    static void register(Map<String, OpLowering> ops, Map<String, OpLowering> gapnet) {
        gapnet.put("GeM", b -> b.output(gem(b)));
        ops.put("MaxPool", b -> b.output(pool(b, true)));
        ops.put("AveragePool", b -> b.output(pool(b, false)));
        ops.put("GlobalAveragePool", b -> b.output(global(b, true)));
        ops.put("GlobalMaxPool", b -> b.output(global(b, false)));
        for (ReduceOp op : ReduceOp.values()) if (!op.isArg()) ops.put(op.onnxName(), b -> b.output(reduce(b, op)));
        ops.put("ArgMax", b -> b.output(arg(b, true)));
        ops.put("ArgMin", b -> b.output(arg(b, false)));
    }

    private static Value pool(PlanBuilder b, boolean max) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        if (x.rank() != 4) throw b.error("only 2-D pooling (4-D NCHW input) is supported; the input has shape " + Shapes.str(x.shape()));
        long[] ks = a.getInts("kernel_shape");
        if (ks == null || ks.length != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 1 << 20 || ks[1] > 1 << 20) {
            throw b.error("kernel_shape must be two positive ints but is " + (ks == null ? "missing" : Arrays.toString(ks)));
        }
        int kh = (int) ks[0], kw = (int) ks[1];
        Window win = Window.of(b, x.dim(2), x.dim(3), kh, kw);
        boolean ceil = a.getInt("ceil_mode", 0) != 0;
        int oh = Window.outSize(x.dim(2), kh, win.strideH(), win.dilationH(), win.padTop(), win.padBottom(), ceil);
        int ow = Window.outSize(x.dim(3), kw, win.strideW(), win.dilationW(), win.padLeft(), win.padRight(), ceil);
        if (oh <= 0 || ow <= 0) {
            throw b.error("pooling over an empty extent: input " + x.dim(2) + "x" + x.dim(3) + " is smaller than the "
                    + kh + "x" + kw + " window; use a larger input image");
        }
        PoolDesc d = new PoolDesc(x.dim(0), x.dim(1), x.dim(2), x.dim(3), kh, kw, win.strideH(), win.strideW(),
                win.dilationH(), win.dilationW(), win.padTop(), win.padLeft(), win.padBottom(), win.padRight(), oh, ow,
                a.getInt("count_include_pad", 0) != 0);
        if (max || !d.countIncludePad()) {
            // a window over padding alone would be a max of nothing (-inf) or a mean of nothing (0 / 0)
            int row = onlyPadding(oh, kh, win.strideH(), win.dilationH(), win.padTop(), x.dim(2));
            int col = onlyPadding(ow, kw, win.strideW(), win.dilationW(), win.padLeft(), x.dim(3));
            if (row >= 0 || col >= 0) {
                throw b.error("pooling over an empty extent: with pads " + Arrays.toString(new int[] {win.padTop(), win.padLeft(),
                        win.padBottom(), win.padRight()}) + " the " + kh + "x" + kw + " window at output " + (row >= 0 ? "row " + row
                        : "column " + col) + " covers only padding; pads must be smaller than the window");
            }
        }
        int[] out = {d.n(), d.c(), oh, ow};
        if (max) return b.emit("MaxPool", out, 0, (k, in, o) -> k.maxPool(d, in[0], o), x);
        return b.emit("AveragePool", out, 0, (k, in, o) -> k.avgPool(d, in[0], o), x);
    }

    /** The first output position along one axis whose window has no tap inside the input, or -1. */
    private static int onlyPadding(int outs, int k, int stride, int dilation, int padBegin, int in) {
        for (int o = 0; o < outs; o++) {
            boolean any = false;
            for (int t = 0; t < k && !any; t++) {
                long i = (long) o * stride - padBegin + (long) t * dilation;
                any = i >= 0 && i < in;
            }
            if (!any) return o;
        }
        return -1;
    }

    private static Value global(PlanBuilder b, boolean avg) {
        Value x = b.floatIn(0);
        if (x.rank() < 3) throw b.error("input must be [N, C, spatial...] but has shape " + Shapes.str(x.shape()));
        int[] out = x.shape();
        for (int i = 2; i < out.length; i++) out[i] = 1;
        return globalReduce(b, x, out, avg);
    }

    /**
     * gapnet's GeM: {@code mean(max(x, eps)^p)^q} over the spatial positions of [N, C, spatial...]; attributes p, q, eps
     * (absent: no clamp), keepdims (default 1) and, when the model reduced axes 2 and 3 by number, rank 4.
     */
    private static Value gem(PlanBuilder b) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        long rank = a.getInt("rank", 0);
        if (x.rank() < 3 || (rank != 0 && x.rank() != rank)) {
            throw b.error("GeM pooling needs [N, C, spatial...] input" + (rank != 0 ? " of rank " + rank : "") + " but has shape "
                    + Shapes.str(x.shape()));
        }
        int n = x.dim(0), c = x.dim(1), spatial = requireSpatial(b, x);
        float p = a.getFloat("p", 1f), q = a.getFloat("q", 1f), eps = a.getFloat("eps", Float.NEGATIVE_INFINITY);
        int[] out = x.shape();
        for (int i = 2; i < out.length; i++) out[i] = 1;
        if (a.getInt("keepdims", 1) == 0) out = new int[] {n, c};
        return b.emit("GeM", out, 0, (k, in, o) -> k.gem(n, c, spatial, p, q, eps, in[0], o), x);
    }

    /** H*W (the product of the spatial dims) of [N, C, spatial...]: an empty extent is an error, never a NaN. */
    static int requireSpatial(PlanBuilder b, Value x) {
        int spatial = Shapes.prod(x.shape(), 2, x.rank());
        if (spatial == 0) {
            throw b.error("pooling over an empty spatial extent (input " + Shapes.str(x.shape()) + ", H*W = 0): the"
                    + " input image is too small for this network; use a larger input");
        }
        return spatial;
    }

    /** Pooling of [N, C, spatial...] over all spatial positions; an empty extent is an error, never a NaN. */
    private static Value globalReduce(PlanBuilder b, Value x, int[] out, boolean avg) {
        int n = x.dim(0), c = x.dim(1), spatial = requireSpatial(b, x);
        if (avg) return b.emit("GlobalAveragePool", out, 0, (k, in, o) -> k.gap(n, c, spatial, in[0], o), x);
        return b.emit("GlobalMaxPool", out, 0, (k, in, o) -> k.gmp(n, c, spatial, in[0], o), x);
    }

    /**
     * A reduction over the axes of the attribute {@code axes} (before opset 13 for ReduceSum, 18 for the others) or
     * of the constant input {@code axes} (from then on); none given reduces every axis, unless
     * {@code noop_with_empty_axes} makes it the identity. Over all spatial axes of [N, C, ...] the mean and the max
     * are GAP and GMP.
     */
    private static Value reduce(PlanBuilder b, ReduceOp op) {
        Attributes a = b.node().attrs();
        Value x = b.in(0);
        if (x.isInt() && !(op == ReduceOp.SUM || op == ReduceOp.PROD || op == ReduceOp.MAX || op == ReduceOp.MIN)) {
            throw b.error(op.onnxName() + " of int64 data is not supported (ReduceSum, ReduceProd, ReduceMax and ReduceMin are)");
        }
        boolean axesInput = b.opset() >= (op == ReduceOp.SUM ? 13 : 18);
        // an axes attribute where the opset wants the input is taken as such (some exporters write it)
        long[] axes = axesInput && b.opt(1) != null ? b.constInts(1, "axes") : a.getInts("axes");
        boolean keep = a.getInt("keepdims", 1) != 0;
        int r = x.rank();
        boolean[] reduce = new boolean[r];
        if (axes == null || axes.length == 0) {
            if (axesInput && a.getInt("noop_with_empty_axes", 0) != 0) return b.alias(x, x.shape());
            Arrays.fill(reduce, true);
        } else {
            for (long ax : axes) {
                int i = Shapes.axis(ax, r, b.node().describe());
                if (reduce[i]) throw b.error("axis " + ax + " is listed twice in axes " + Arrays.toString(axes));
                reduce[i] = true;
            }
        }
        int[] kept = new int[r];
        int keptRank = 0;
        long count = 1;
        for (int i = 0; i < r; i++) {
            if (reduce[i]) count *= x.dim(i);
            else kept[keptRank++] = x.dim(i);
        }
        int[] out = keep ? x.shape() : Arrays.copyOf(kept, keptRank);
        if (keep) for (int i = 0; i < r; i++) if (reduce[i]) out[i] = 1;
        boolean spatialOnly = r >= 3 && !reduce[0] && !reduce[1];
        for (int i = 2; i < r; i++) spatialOnly &= reduce[i];
        int[] xs = x.shape();
        if (x.isInt()) return b.constant(reduceLongs(op, x.constant(), reduce, out)); // shape arithmetic, on the host
        if (spatialOnly && (op == ReduceOp.MEAN || (op == ReduceOp.MAX && count > 0))) return globalReduce(b, x, out, op == ReduceOp.MEAN);
        if (count == 0 && op == ReduceOp.MEAN) {
            throw b.error("mean over an empty extent (input " + Shapes.str(x.shape()) + "): the input is too small for"
                    + " this network; use a larger input");
        }
        return b.emit(op.onnxName(), out, 0, (k, in, o) -> k.reduce(op, xs, reduce, in[0], o), x);
    }

    /**
     * ArgMax / ArgMin along {@code axis}: the index as a float on the device (exact below 2^24), int64 when it is a
     * graph output.
     */
    private static Value arg(PlanBuilder b, boolean max) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0);
        int r = x.rank();
        if (r == 0) throw b.error("the input is a scalar: there is no axis to search");
        int axis = Shapes.axis(a.getInt("axis", 0), r, b.node().describe());
        if (x.dim(axis) == 0) throw b.error("axis " + axis + " of " + Shapes.str(x.shape()) + " is empty: no index to return");
        boolean last = a.getInt("select_last_index", 0) != 0;
        ReduceOp op = max ? (last ? ReduceOp.ARG_MAX_LAST : ReduceOp.ARG_MAX) : (last ? ReduceOp.ARG_MIN_LAST : ReduceOp.ARG_MIN);
        boolean[] reduce = new boolean[r];
        reduce[axis] = true;
        int[] xs = x.shape(), out;
        if (a.getInt("keepdims", 1) != 0) {
            out = x.shape();
            out[axis] = 1;
        } else {
            out = new int[r - 1];
            for (int i = 0, j = 0; i < r; i++) if (i != axis) out[j++] = x.dim(i);
        }
        return b.emit(op.onnxName(), out, 0, (k, in, o) -> k.reduce(op, xs, reduce, in[0], o), x);
    }

    /** Sum, product, max or min of int64 constants (shapes: ReduceProd of a Shape's tail is a flattened size). */
    private static io.gapnet.tensor.Tensor reduceLongs(ReduceOp op, io.gapnet.tensor.Tensor x, boolean[] reduce, int[] out) {
        long[] y = new long[Shapes.numel(out)];
        Arrays.fill(y, op == ReduceOp.PROD ? 1 : op == ReduceOp.MAX ? Long.MIN_VALUE : op == ReduceOp.MIN ? Long.MAX_VALUE : 0);
        long[] v = x.toLongs();
        int[] into = io.gapnet.tensor.IndexMaps.reduce(x.shape(), reduce);
        for (int i = 0; i < v.length; i++) {
            int o = into[i];
            long e = v[i];
            y[o] = op == ReduceOp.SUM ? y[o] + e : op == ReduceOp.PROD ? y[o] * e : op == ReduceOp.MAX ? Math.max(y[o], e) : Math.min(y[o], e);
        }
        return io.gapnet.tensor.Tensor.ofLongs(y, out);
    }
}
