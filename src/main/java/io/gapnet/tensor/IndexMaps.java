package io.gapnet.tensor;

import io.gapnet.backend.PadMode;

/**
 * Data-movement ops written once as index maps: for every output element, the flat index of the input
 * element it copies (or -1 for a padding constant). The CPU reference kernels apply these maps to float
 * data, and the host shape evaluator applies the same maps to int64 data, so both follow one definition.
 */
public final class IndexMaps {
    private IndexMaps() {}

    /** Output axis i is input axis perm[i]. */
    public static int[] transpose(int[] shape, int[] perm) {
        int rank = shape.length;
        int[] inStrides = Shapes.strides(shape);
        int[] outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
        int[] map = new int[Shapes.hostNumel(outShape, 4, "index map")];
        int[] idx = new int[rank];
        for (int o = 0; o < map.length; o++) {
            int src = 0;
            for (int i = 0; i < rank; i++) src += idx[i] * inStrides[perm[i]];
            map[o] = src;
            increment(idx, outShape);
        }
        return map;
    }

    /** y = x[start_i + j_i * step_i] for every axis i. */
    public static int[] slice(int[] shape, int[] starts, int[] steps, int[] outShape) {
        int rank = shape.length;
        int[] inStrides = Shapes.strides(shape);
        int[] map = new int[Shapes.hostNumel(outShape, 4, "index map")];
        int[] idx = new int[rank];
        for (int o = 0; o < map.length; o++) {
            int src = 0;
            for (int i = 0; i < rank; i++) src += (starts[i] + idx[i] * steps[i]) * inStrides[i];
            map[o] = src;
            increment(idx, outShape);
        }
        return map;
    }

    /** Gather along axis with non-negative indices; output shape is shape[:axis] + indicesShape + shape[axis+1:]. */
    public static int[] gather(int[] shape, int axis, int[] indices) {
        int outer = Shapes.prod(shape, 0, axis);
        int axisLen = shape[axis];
        int inner = Shapes.prod(shape, axis + 1, shape.length);
        int[] map = new int[Shapes.hostNumel(new int[] {outer, indices.length, inner}, 4, "gather index map")];
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (int index : indices) {
                for (int b = 0; b < inner; b++) {
                    map[o++] = (a * axisLen + index) * inner + b;
                }
            }
        }
        return map;
    }

    /** Pad each axis by begin[i] before and end[i] after; constant positions map to -1. */
    public static int[] pad(int[] shape, int[] begin, int[] end, PadMode mode) {
        int rank = shape.length;
        int[] outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = shape[i] + begin[i] + end[i];
        int[] inStrides = Shapes.strides(shape);
        int[] map = new int[Shapes.hostNumel(outShape, 4, "index map")];
        int[] idx = new int[rank];
        for (int o = 0; o < map.length; o++) {
            int src = 0;
            for (int i = 0; i < rank && src >= 0; i++) {
                int j = idx[i] - begin[i];
                int n = shape[i];
                if (j < 0 || j >= n) {
                    if (mode == PadMode.CONSTANT) {
                        src = -1;
                        break;
                    } else if (mode == PadMode.EDGE) {
                        j = j < 0 ? 0 : n - 1;
                    } else { // REFLECT: mirror without repeating the edge element
                        int period = 2 * (n - 1);
                        j = period == 0 ? 0 : Math.floorMod(j, period);
                        if (j >= n) j = period - j;
                    }
                }
                src += j * inStrides[i];
            }
            map[o] = src;
            increment(idx, outShape);
        }
        return map;
    }

    /**
     * Concatenation along axis: for output element o, {@code which[o]} is the input it comes from and the
     * returned map holds the flat index inside that input.
     */
    public static int[] concat(int[][] shapes, int axis, int[] which) {
        int[] first = shapes[0];
        int outer = Shapes.prod(first, 0, axis);
        int inner = Shapes.prod(first, axis + 1, first.length);
        int[] map = new int[which.length];
        int o = 0;
        for (int a = 0; a < outer; a++) {
            for (int t = 0; t < shapes.length; t++) {
                int block = shapes[t][axis] * inner;
                for (int b = 0; b < block; b++) {
                    which[o] = t;
                    map[o++] = a * block + b;
                }
            }
        }
        return map;
    }

    /** numpy broadcasting of {@code shape} to {@code outShape}: the element each output element reads. */
    public static int[] broadcast(int[] shape, int[] outShape) {
        int[] strides = Shapes.broadcastStrides(shape, outShape);
        int[] map = new int[Shapes.hostNumel(outShape, 4, "index map")];
        int[] idx = new int[outShape.length];
        for (int o = 0; o < map.length; o++) {
            int src = 0;
            for (int i = 0; i < idx.length; i++) src += idx[i] * strides[i];
            map[o] = src;
            increment(idx, outShape);
        }
        return map;
    }

    /**
     * The other direction, for reductions: for every input element, the flat index of the output element it is
     * reduced into, the output keeping the axes not flagged in {@code reduce}, in order.
     */
    public static int[] reduce(int[] shape, boolean[] reduce) {
        int rank = shape.length;
        int[] yStride = new int[rank]; // 0 for reduced axes
        for (int i = rank - 1, outputs = 1; i >= 0; i--) {
            if (!reduce[i]) {
                yStride[i] = outputs;
                outputs *= shape[i];
            }
        }
        int[] map = new int[Shapes.hostNumel(shape, 4, "index map")];
        int[] idx = new int[rank];
        for (int e = 0; e < map.length; e++) {
            int o = 0;
            for (int i = 0; i < rank; i++) o += idx[i] * yStride[i];
            map[e] = o;
            increment(idx, shape);
        }
        return map;
    }

    /** Advances a row-major multi-index over {@code shape} by one. */
    public static void increment(int[] idx, int[] shape) {
        for (int i = idx.length - 1; i >= 0; i--) {
            if (++idx[i] < shape[i]) return;
            idx[i] = 0;
        }
    }
}
