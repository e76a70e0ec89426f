package io.gapnet.tensor;

import io.gapnet.ShapeException;
import java.util.Arrays;

/**
 * A host tensor: a shape and its row-major data. FLOAT32 and FLOAT16 tensors keep float values;
 * INT64 tensors keep long values. Tensors are treated as immutable once built; the arrays are shared,
 * not copied, so callers must not change them afterwards.
 */
public final class Tensor {
    private final DType dtype;
    private final int[] shape;
    private final float[] floats;
    private final long[] longs;

    private Tensor(DType dtype, int[] shape, float[] floats, long[] longs) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.floats = floats;
        this.longs = longs;
        int n = Shapes.numel(shape);
        int have = floats != null ? floats.length : longs.length;
        if (have != n) {
            throw new ShapeException("tensor data has " + have + " elements but shape " + Shapes.str(shape) + " needs " + n);
        }
    }

    public static Tensor of(float[] data, int... shape) {
        return new Tensor(DType.FLOAT32, shape, data, null);
    }

    public static Tensor ofHalf(float[] data, int... shape) {
        float[] r = new float[data.length];
        for (int i = 0; i < r.length; i++) r[i] = Half.round(data[i]);
        return new Tensor(DType.FLOAT16, shape, r, null);
    }

    public static Tensor ofLongs(long[] data, int... shape) {
        return new Tensor(DType.INT64, shape, null, data);
    }

    public static Tensor zeros(int... shape) {
        return of(new float[Shapes.numel(shape)], shape);
    }

    public static Tensor scalar(float v) {
        return of(new float[] {v});
    }

    public DType dtype() {
        return dtype;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public int numel() {
        return floats != null ? floats.length : longs.length;
    }

    /** The float values (FLOAT32 or FLOAT16 tensors). Shared, not copied: do not modify. */
    public float[] floats() {
        if (floats == null) throw new ShapeException("tensor of type " + dtype + " has no float data");
        return floats;
    }

    /** The int64 values (INT64 tensors). Shared, not copied: do not modify. */
    public long[] longs() {
        if (longs == null) throw new ShapeException("tensor of type " + dtype + " has no int64 data");
        return longs;
    }

    /** The values as floats whatever the element type (int64 values are converted). */
    public float[] toFloats() {
        if (floats != null) return floats;
        float[] r = new float[longs.length];
        for (int i = 0; i < r.length; i++) r[i] = longs[i];
        return r;
    }

    /** The values as longs whatever the element type (floats are truncated toward zero). */
    public long[] toLongs() {
        if (longs != null) return longs;
        long[] r = new long[floats.length];
        for (int i = 0; i < r.length; i++) r[i] = (long) floats[i];
        return r;
    }

    public float get(int... index) {
        return floats()[flatIndex(index)];
    }

    private int flatIndex(int[] index) {
        if (index.length != shape.length) throw new ShapeException("index rank " + index.length + " != tensor rank " + shape.length);
        int off = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) throw new ShapeException("index " + Arrays.toString(index) + " out of bounds for " + Shapes.str(shape));
            off = off * shape[i] + index[i];
        }
        return off;
    }

    /** Same data, another shape with the same element count. */
    public Tensor reshape(int... newShape) {
        return new Tensor(dtype, newShape, floats, longs);
    }

    /** This tensor as another float type (FLOAT16 values are rounded to half precision). */
    public Tensor asType(DType target) {
        if (target == dtype) return this;
        switch (target) {
            case FLOAT32: return new Tensor(DType.FLOAT32, shape, toFloats(), null);
            case FLOAT16: return ofHalf(toFloats(), shape);
            default: return new Tensor(DType.INT64, shape, null, toLongs());
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(").append(dtype).append(' ').append(Shapes.str(shape)).append(": ");
        int n = Math.min(8, numel());
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(", ");
            sb.append(floats != null ? Float.toString(floats[i]) : Long.toString(longs[i]));
        }
        return sb.append(numel() > n ? ", ...)" : ")").toString();
    }
}
