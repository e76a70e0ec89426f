package io.gapnet.runtime.ops;

import io.gapnet.backend.PadMode;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Shape and data-movement ops: Flatten, Reshape, Squeeze, Unsqueeze (views, no copy), Transpose, Concat,
 * Pad, Gather, Slice (kernels on float data, host evaluation on int64 constants), and the shape-only ops
 * Shape, Constant, ConstantOfShape and Cast, which always produce constants.
 */
final class ShapeOps {
    private ShapeOps() {}

    static void register(Map<String, OpLowering> ops) {
        ops.put("Flatten", ShapeOps::flatten);
        ops.put("Reshape", ShapeOps::reshape);
        ops.put("Squeeze", ShapeOps::squeeze);
        ops.put("Unsqueeze", ShapeOps::unsqueeze);
        ops.put("Transpose", ShapeOps::transpose);
        ops.put("Concat", ShapeOps::concat);
        ops.put("Pad", ShapeOps::pad);
        ops.put("Gather", ShapeOps::gather);
        ops.put("Slice", ShapeOps::slice);
        ops.put("Shape", ShapeOps::shape);
        ops.put("Constant", b -> b.output(b.constant(ConstantOp.value(b.node()))));
        ops.put("ConstantOfShape", ShapeOps::constantOfShape);
        ops.put("Cast", ShapeOps::cast);
        ops.put("Split", ShapeOps::split);
        ops.put("Expand", ShapeOps::expand);
    }

    private static void flatten(PlanBuilder b) {
        Value x = b.in(0);
        int r = x.rank();
        long axis = b.node().attrs().getInt("axis", 1);
        if (axis < 0) axis += r;
        if (axis < 0 || axis > r) throw b.error("axis " + b.node().attrs().getInt("axis", 1) + " is out of range for rank " + r);
        int ax = (int) axis;
        b.output(b.alias(x, new int[] {Shapes.prod(x.shape(), 0, ax), Shapes.prod(x.shape(), ax, r)}));
    }

    private static void reshape(PlanBuilder b) {
        Value x = b.in(0);
        long[] spec = b.constInts(1, "shape");
        boolean allowZero = b.node().attrs().getInt("allowzero", 0) != 0;
        int[] out = new int[spec.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < spec.length; i++) {
            long d = spec[i];
            if (d == 0 && !allowZero) {
                if (i >= x.rank()) throw b.error("shape " + Arrays.toString(spec) + " copies dim " + i + " (0) but the input has rank " + x.rank());
                d = x.dim(i);
            }
            if (d == -1) {
                if (infer >= 0) throw b.error("shape " + Arrays.toString(spec) + " has more than one -1");
                infer = i;
                continue;
            }
            if (d < 0 || d > Integer.MAX_VALUE) throw b.error("shape " + Arrays.toString(spec) + " has invalid dimension " + d);
            out[i] = (int) d;
            known *= d;
        }
        if (infer >= 0) {
            if (known == 0 || x.numel() % known != 0) {
                throw b.error("cannot reshape " + Shapes.str(x.shape()) + " to " + Arrays.toString(spec) + ": "
                        + x.numel() + " elements do not divide evenly");
            }
            out[infer] = (int) (x.numel() / known);
        }
        if (Shapes.numel(out) != x.numel()) {
            throw b.error("cannot reshape " + Shapes.str(x.shape()) + " (" + x.numel() + " elements) to "
                    + Arrays.toString(spec) + " (" + Shapes.numel(out) + " elements)");
        }
        b.output(b.alias(x, out));
    }

    private static long[] axesOf(PlanBuilder b, int inputIndex) {
        if (b.opset() >= 13) return b.opt(inputIndex) == null ? null : b.constInts(inputIndex, "axes");
        return b.node().attrs().getInts("axes");
    }

    private static void squeeze(PlanBuilder b) {
        Value x = b.in(0);
        long[] axes = axesOf(b, 1);
        boolean[] drop = new boolean[x.rank()];
        if (axes == null) {
            for (int i = 0; i < x.rank(); i++) drop[i] = x.dim(i) == 1;
        } else {
            for (long a : axes) {
                int ax = Shapes.axis(a, x.rank(), b.node().describe());
                if (x.dim(ax) != 1) throw b.error("cannot squeeze axis " + a + " of shape " + Shapes.str(x.shape()) + ": its size is not 1");
                drop[ax] = true;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < x.rank(); i++) if (!drop[i]) out.add(x.dim(i));
        b.output(b.alias(x, out.stream().mapToInt(Integer::intValue).toArray()));
    }

    private static void unsqueeze(PlanBuilder b) {
        Value x = b.in(0);
        long[] axes = axesOf(b, 1);
        if (axes == null) throw b.error("axes are required");
        int r = x.rank() + axes.length;
        boolean[] added = new boolean[r];
        for (long a : axes) {
            int ax = Shapes.axis(a, r, b.node().describe());
            if (added[ax]) throw b.error("axis " + a + " is listed twice");
            added[ax] = true;
        }
        int[] out = new int[r];
        for (int i = 0, j = 0; i < r; i++) out[i] = added[i] ? 1 : x.dim(j++);
        b.output(b.alias(x, out));
    }

    private static void transpose(PlanBuilder b) {
        Value x = b.in(0);
        int r = x.rank();
        long[] p = b.node().attrs().getInts("perm");
        int[] perm = new int[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            int ax = p == null ? r - 1 - i : (p.length == r ? Shapes.axis(p[i], r, b.node().describe()) : -1);
            if (ax < 0 || seen[ax]) throw b.error("perm " + Arrays.toString(p) + " is not a permutation of " + r + " axes");
            seen[ax] = true;
            perm[i] = ax;
        }
        int[] xs = x.shape();
        int[] out = new int[r];
        for (int i = 0; i < r; i++) out[i] = xs[perm[i]];
        if (x.isInt()) {
            b.output(b.constant(HostEval.remap(x.constant(), IndexMaps.transpose(xs, perm), out)));
            return;
        }
        b.output(b.emit("Transpose", out, 0, (k, in, o) -> k.transpose(xs, perm, in[0], o), x));
    }

    private static void concat(PlanBuilder b) {
        int count = b.inputCount();
        Value[] xs = new Value[count];
        boolean anyInt = false;
        for (int i = 0; i < count; i++) {
            xs[i] = b.in(i);
            anyInt |= xs[i].isInt();
        }
        int r = xs[0].rank();
        if (!b.node().attrs().has("axis")) throw b.error("attribute 'axis' is required");
        int axis = Shapes.axis(b.node().attrs().getInt("axis", 0), r, b.node().describe());
        int[][] shapes = new int[count][];
        int[] out = xs[0].shape();
        out[axis] = 0;
        for (int i = 0; i < count; i++) {
            shapes[i] = xs[i].shape();
            boolean fits = shapes[i].length == r;
            for (int d = 0; fits && d < r; d++) fits = d == axis || shapes[i][d] == out[d];
            if (!fits) {
                throw b.error("input " + i + " has shape " + Shapes.str(shapes[i]) + ", which does not match "
                        + Shapes.str(xs[0].shape()) + " outside axis " + axis);
            }
            out[axis] += shapes[i][axis];
        }
        if (anyInt) {
            int[] which = new int[Shapes.hostNumel(out, 8, b.node().describe())];
            int[] map = IndexMaps.concat(shapes, axis, which);
            long[][] src = new long[count][];
            for (int i = 0; i < count; i++) src[i] = constant(b, xs[i]).toLongs();
            long[] r2 = new long[map.length];
            for (int o = 0; o < map.length; o++) r2[o] = src[which[o]][map[o]];
            b.output(b.constant(Tensor.ofLongs(r2, out)));
            return;
        }
        b.output(b.emit("Concat", out, 0, (k, in, o) -> k.concat(axis, shapes, in, out, o), xs));
    }

    private static Tensor constant(PlanBuilder b, Value v) {
        if (!v.isConst()) throw b.error("'" + v.name() + "' must be a constant here (int64 data is evaluated when the plan is compiled)");
        return v.constant();
    }

    private static void pad(PlanBuilder b) {
        Value x = b.floatIn(0);
        Attributes a = b.node().attrs();
        int r = x.rank();
        long[] pads;
        float value = 0f;
        Value runtimeValue = null;
        if (b.opset() < 11) {
            pads = a.getInts("pads");
            value = a.getFloat("value", 0f);
        } else {
            pads = b.constInts(1, "pads");
            Value cv = b.opt(2);
            if (cv != null && cv.isConst()) value = cv.constant().toFloats()[0];
            else if (cv != null) runtimeValue = cv;
        }
        if (pads == null) throw b.error("pads are required");
        long[] axes = b.opset() >= 18 && b.opt(3) != null ? b.constInts(3, "axes") : null;
        int[] begin = new int[r], end = new int[r];
        int n = axes == null ? r : axes.length;
        if (pads.length != 2 * n) throw b.error("pads has " + pads.length + " values but " + 2 * n + " are needed for rank " + r);
        for (int i = 0; i < n; i++) {
            int ax = axes == null ? i : Shapes.axis(axes[i], r, b.node().describe());
            if (pads[i] < 0 || pads[i + n] < 0) throw b.error("negative pads " + Arrays.toString(pads) + " (cropping) are not supported");
            if (pads[i] > 1 << 20 || pads[i + n] > 1 << 20) throw b.error("pads " + Arrays.toString(pads) + " are too large");
            begin[ax] = (int) pads[i];
            end[ax] = (int) pads[i + n];
        }
        String modeName = a.getString("mode", "constant");
        PadMode mode;
        switch (modeName) {
            case "constant": mode = PadMode.CONSTANT; break;
            case "reflect": mode = PadMode.REFLECT; break;
            case "edge": mode = PadMode.EDGE; break;
            default: throw b.error("mode '" + modeName + "' is not supported (constant, reflect, edge are)");
        }
        int[] xs = x.shape();
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            out[i] = xs[i] + begin[i] + end[i];
            if (mode == PadMode.REFLECT && (begin[i] >= xs[i] || end[i] >= xs[i]) && (begin[i] > 0 || end[i] > 0)) {
                throw b.error("reflect padding of " + Math.max(begin[i], end[i]) + " needs an axis longer than that, but axis " + i + " has " + xs[i]);
            }
            if (mode == PadMode.EDGE && xs[i] == 0 && out[i] > 0) throw b.error("edge padding of an empty axis");
        }
        if (runtimeValue != null && mode == PadMode.CONSTANT) {
            b.output(padWithRuntimeValue(b, x, begin, end, runtimeValue));
            return;
        }
        float fill = value;
        b.output(b.emit("Pad", out, 0, (k, in, o) -> k.pad(xs, begin, end, mode, fill, in[0], o), x));
    }

    /**
     * Constant padding whose value is only known at run time: along each padded axis, blocks filled with
     * the value (zeros + value, broadcast) are concatenated before and after the data.
     */
    private static Value padWithRuntimeValue(PlanBuilder b, Value x, int[] begin, int[] end, Value fill) {
        if (fill.numel() != 1) throw b.error("constant_value must hold one element but has shape " + Shapes.str(fill.shape()));
        Value cur = x;
        for (int axis = 0; axis < x.rank(); axis++) {
            if (begin[axis] == 0 && end[axis] == 0) continue;
            List<Value> parts = new ArrayList<>();
            for (int side = 0; side < 2; side++) {
                int len = side == 0 ? begin[axis] : end[axis];
                if (side == 1) parts.add(cur);
                if (len == 0) continue;
                int[] block = cur.shape();
                block[axis] = len;
                Value zeros = b.constant(Tensor.zeros(block));
                parts.add(ElementwiseOps.apply(b, io.gapnet.backend.BinaryOp.ADD, zeros, fill));
            }
            int[][] shapes = new int[parts.size()][];
            int[] out = cur.shape();
            out[axis] = 0;
            for (int i = 0; i < shapes.length; i++) {
                shapes[i] = parts.get(i).shape();
                out[axis] += shapes[i][axis];
            }
            int ax = axis;
            cur = b.emit("Pad", out, 0, (k, in, o) -> k.concat(ax, shapes, in, out, o), parts.toArray(new Value[0]));
        }
        return cur;
    }

    private static void gather(PlanBuilder b) {
        Value x = b.in(0);
        Value idxValue = b.in(1);
        long[] raw = b.constInts(1, "indices");
        int r = x.rank();
        if (r == 0) throw b.error("cannot gather from a scalar");
        int axis = Shapes.axis(b.node().attrs().getInt("axis", 0), r, b.node().describe());
        int len = x.dim(axis);
        int[] idx = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            long v = raw[i] < 0 ? raw[i] + len : raw[i];
            if (v < 0 || v >= len) throw b.error("index " + raw[i] + " is out of range for axis " + axis + " of size " + len);
            idx[i] = (int) v;
        }
        int[] xs = x.shape();
        int[] is = idxValue.shape();
        int[] out = new int[r - 1 + is.length];
        System.arraycopy(xs, 0, out, 0, axis);
        System.arraycopy(is, 0, out, axis, is.length);
        System.arraycopy(xs, axis + 1, out, axis + is.length, r - axis - 1);
        if (x.isInt()) {
            b.output(b.constant(HostEval.remap(x.constant(), IndexMaps.gather(xs, axis, idx), out)));
            return;
        }
        b.output(b.emit("Gather", out, 0, (k, in, o) -> k.gather(xs, axis, idx, is, in[0], o), x));
    }

    private static void slice(PlanBuilder b) {
        Value x = b.in(0);
        int r = x.rank();
        long[] starts, ends, axes, steps;
        if (b.opset() < 10) {
            Attributes a = b.node().attrs();
            starts = a.getInts("starts");
            ends = a.getInts("ends");
            axes = a.getInts("axes");
            steps = null;
        } else {
            starts = b.constInts(1, "starts");
            ends = b.constInts(2, "ends");
            axes = b.opt(3) == null ? null : b.constInts(3, "axes");
            steps = b.opt(4) == null ? null : b.constInts(4, "steps");
        }
        if (starts == null || ends == null || starts.length != ends.length) throw b.error("starts and ends must have the same length");
        int[] xs = x.shape();
        int[] st = new int[r], sp = new int[r], out = xs.clone();
        Arrays.fill(sp, 1);
        for (int i = 0; i < starts.length; i++) {
            int ax = axes == null ? i : Shapes.axis(axes[i], r, b.node().describe());
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw b.error("slice step 0 is not allowed");
            long dim = xs[ax];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0) {
                s = Math.max(0, Math.min(dim, s));
                e = Math.max(0, Math.min(dim, e));
            } else {
                s = Math.max(0, Math.min(dim - 1, s));
                e = Math.max(-1, Math.min(dim - 1, e));
            }
            long n = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
            st[ax] = (int) s;
            sp[ax] = (int) step;
            out[ax] = (int) Math.max(0, n);
        }
        if (x.isInt()) {
            b.output(b.constant(HostEval.remap(x.constant(), IndexMaps.slice(xs, st, sp, out), out)));
            return;
        }
        b.output(b.emit("Slice", out, 0, (k, in, o) -> k.slice(xs, st, sp, out, in[0], o), x));
    }

    private static void split(PlanBuilder b) {
        Value x = b.in(0);
        int r = x.rank();
        int axis = Shapes.axis(b.node().attrs().getInt("axis", 0), r, b.node().describe());
        int parts = b.node().outputs().size();
        long[] sizes = b.opset() >= 13 ? (b.opt(1) == null ? null : b.constInts(1, "split")) : b.node().attrs().getInts("split");
        int len = x.dim(axis);
        if (sizes == null) {
            long n = b.opset() >= 18 ? b.node().attrs().getInt("num_outputs", parts) : parts;
            sizes = new long[parts];
            long chunk = (len + n - 1) / n; // equal parts; the last one may be smaller
            for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(chunk, len - chunk * i));
        }
        if (sizes.length != parts) throw b.error("split has " + sizes.length + " sizes but the node has " + parts + " outputs");
        long total = 0;
        for (long s : sizes) total += s;
        if (total != len) throw b.error("split sizes " + Arrays.toString(sizes) + " do not add up to axis " + axis + " of size " + len);
        int[] xs = x.shape();
        int start = 0;
        for (int i = 0; i < parts; i++) {
            int[] st = new int[r], sp = new int[r], out = xs.clone();
            Arrays.fill(sp, 1);
            st[axis] = start;
            out[axis] = (int) sizes[i];
            start += (int) sizes[i];
            if (x.isInt()) {
                b.output(i, b.constant(HostEval.remap(x.constant(), IndexMaps.slice(xs, st, sp, out), out)));
            } else {
                b.output(i, b.emitNamed(b.node().output(i), "Split", out, 0, (k, in, o) -> k.slice(xs, st, sp, out, in[0], o), x));
            }
        }
    }

    private static void expand(PlanBuilder b) {
        Value x = b.in(0);
        int[] target = Shapes.toInts(b.constInts(1, "shape"), b.node().describe());
        int[] out = Shapes.broadcast(x.shape(), target, b.node().describe());
        if (x.isInt()) {
            Tensor zeros = Tensor.ofLongs(new long[Shapes.hostNumel(out, 8, b.node().describe())], out);
            b.output(b.constant(HostEval.binary(io.gapnet.backend.BinaryOp.ADD, x.constant(), zeros, b.node().describe())));
            return;
        }
        int[] xs = x.shape();
        int[] one = {1};
        Value zero = b.constant(Tensor.scalar(0f).reshape(1));
        b.output(b.emit("Expand", out, 0, (k, in, o) -> k.binary(io.gapnet.backend.BinaryOp.ADD, xs, in[0], one, in[1], out, o), x, zero));
    }

    private static void shape(PlanBuilder b) {
        int[] s = b.in(0).shape();
        Attributes a = b.node().attrs();
        int r = s.length;
        long start = a.getInt("start", 0), end = a.getInt("end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.max(0, Math.min(r, start));
        end = Math.max(start, Math.min(r, end));
        long[] v = new long[(int) (end - start)];
        for (int i = 0; i < v.length; i++) v[i] = s[(int) start + i];
        b.output(b.constant(Tensor.ofLongs(v, v.length)));
    }

    private static void constantOfShape(PlanBuilder b) {
        long[] dims = b.constInts(0, "shape");
        int[] shape = Shapes.toInts(dims, b.node().describe());
        Tensor v = b.node().attrs().getTensor("value");
        int n = Shapes.hostNumel(shape, v != null && v.dtype() == DType.INT64 ? 8 : 4, b.node().describe());
        if (v != null && v.numel() != 1) throw b.error("value must hold exactly one element");
        if (v != null && v.dtype() == DType.INT64) {
            long[] r = new long[n];
            Arrays.fill(r, v.longs()[0]);
            b.output(b.constant(Tensor.ofLongs(r, shape)));
        } else {
            float[] r = new float[n];
            Arrays.fill(r, v == null ? 0f : v.floats()[0]);
            b.output(b.constant(Tensor.of(r, shape)));
        }
    }

    private static void cast(PlanBuilder b) {
        Value x = b.in(0);
        int to = b.node().attrs().getInt32("to", 1, 0, 1 << 16);
        boolean toFloat = to == 1 || to == 10 || to == 11 || to == 16;
        if (toFloat) {
            // computation stays float32; casting between float types is a view
            b.output(x.isInt() ? b.constant(constant(b, x).asType(DType.FLOAT32)) : b.alias(x, x.shape()));
        } else if (x.isConst()) {
            b.output(b.constant(x.constant().asType(DType.INT64)));
        } else {
            throw b.error("casting float data computed at run time to an integer type is not supported");
        }
    }
}
