package io.gapnet.backend.cpu.ref;

import io.gapnet.backend.PadMode;
import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;

/** Reference data movement: each op is its index map (see {@link IndexMaps}) applied to the data. */
final class MovementRef {
    private MovementRef() {}

    static void apply(int[] map, float[] x, float fill, float[] y) {
        for (int o = 0; o < map.length; o++) y[o] = map[o] < 0 ? fill : x[map[o]];
    }

    static void transpose(int[] shape, int[] perm, float[] x, float[] y) {
        apply(IndexMaps.transpose(shape, perm), x, 0, y);
    }

    static void pad(int[] shape, int[] begin, int[] end, PadMode mode, float value, float[] x, float[] y) {
        apply(IndexMaps.pad(shape, begin, end, mode), x, value, y);
    }

    static void gather(int[] shape, int axis, int[] indices, float[] x, float[] y) {
        apply(IndexMaps.gather(shape, axis, indices), x, 0, y);
    }

    static void slice(int[] shape, int[] starts, int[] steps, int[] yShape, float[] x, float[] y) {
        apply(IndexMaps.slice(shape, starts, steps, yShape), x, 0, y);
    }

    static void concat(int axis, int[][] shapes, float[][] xs, int[] yShape, float[] y) {
        int[] which = new int[Shapes.numel(yShape)];
        int[] map = IndexMaps.concat(shapes, axis, which);
        for (int o = 0; o < map.length; o++) y[o] = xs[which[o]][map[o]];
    }
}
