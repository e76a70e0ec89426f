package io.gapnet.tensor;

import io.gapnet.ShapeException;
import java.util.Arrays;

/** Small helpers for shapes (int arrays of dimensions, outermost first). */
public final class Shapes {
    private Shapes() {}

    /**
     * Number of elements; throws when the product exceeds {@link io.gapnet.Limits#maxTensorElements()} (at most
     * 2^31 - 16, what a Java array holds), checked as the product grows so it cannot overflow.
     */
    public static int numel(int[] shape) {
        long max = Math.min(io.gapnet.Limits.current().maxTensorElements(), Integer.MAX_VALUE - 16);
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ShapeException("negative dimension in shape " + str(shape));
            n *= d;
            if (n > max) {
                throw new ShapeException("shape " + str(shape) + " has more than " + max + " elements (the limit"
                        + " gapnet.limits.maxTensorElements); use a smaller batch or input");
            }
        }
        return (int) n;
    }

    /**
     * {@link #numel} of an array gapnet is about to create on the host while importing or compiling a model, checked
     * against {@link io.gapnet.Limits#maxHostTensorBytes()} too, so that a small model file describing a huge
     * constant is refused before anything is allocated.
     */
    public static int hostNumel(int[] shape, int bytesPerElement, String what) {
        int n = numel(shape);
        long bytes = (long) n * bytesPerElement, max = io.gapnet.Limits.current().maxHostTensorBytes();
        if (bytes > max) {
            throw new ShapeException(what + ": computing a tensor of shape " + str(shape) + " would take " + (bytes >> 20)
                    + " MiB on the host, more than gapnet.limits.maxHostTensorBytes (" + (max >> 20) + " MiB); the model"
                    + " asks for a huge constant (raise the limit only if it really needs one)");
        }
        return n;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }

    /** Row-major strides of a shape. */
    public static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** Product of dims in [from, to). */
    public static int prod(int[] shape, int from, int to) {
        long n = 1;
        for (int i = from; i < to; i++) n *= shape[i];
        return Math.toIntExact(n);
    }

    /** Normalises a possibly negative axis for a tensor of the given rank; names the op when it is out of range. */
    public static int axis(long axis, int rank, String what) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new ShapeException(what + ": axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    /** The numpy-style broadcast of two shapes, or an error naming both. */
    public static int[] broadcast(int[] a, int[] b, String what) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new ShapeException(what + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast together");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /**
     * Strides to read a tensor of shape {@code in} as if it had the (broadcast) shape {@code out}: broadcast
     * dimensions get stride 0. {@code in} is right-aligned against {@code out}.
     */
    public static int[] broadcastStrides(int[] in, int[] out) {
        int[] s = new int[out.length];
        int[] inStrides = strides(in);
        int off = out.length - in.length;
        for (int i = 0; i < out.length; i++) {
            int j = i - off;
            s[i] = (j < 0 || in[j] == 1) ? 0 : inStrides[j];
        }
        return s;
    }

    /**
     * {@code v} right-aligned in an array of {@code len} values, padded on the left with {@code pad}: how the
     * GPU kernels take shapes (pad 1) and strides (pad 0) of up to {@code len} dims.
     */
    public static int[] padLeft(int[] v, int len, int pad, String what) {
        if (v.length > len) throw new ShapeException(what + ": rank " + v.length + " is more than the " + len
                + " dimensions the GPU kernels support");
        int[] r = new int[len];
        for (int d = 0; d < len; d++) {
            int j = d - (len - v.length);
            r[d] = j < 0 ? pad : v[j];
        }
        return r;
    }

    public static int[] toInts(long[] dims, String what) {
        int[] r = new int[dims.length];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw new ShapeException(what + ": dimension " + dims[i] + " in " + str(dims) + " is out of range");
            }
            r[i] = (int) dims[i];
        }
        return r;
    }

}
