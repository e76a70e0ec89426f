package io.gapnet.backend;

import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;
import java.util.Arrays;

/** Host-side shape arithmetic that every backend's launchers share (the kernels get the results as arguments). */
public final class KernelGeometry {
    private KernelGeometry() {}

    /** A transpose: the output shape and, per output axis, the stride of the input axis it reads. */
    public record Transposed(int[] shape, int[] srcStrides) {}

    public static Transposed transpose(int[] shape, int[] perm) {
        int[] in = Shapes.strides(shape);
        int[] out = new int[shape.length], src = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[perm[i]];
            src[i] = in[perm[i]];
        }
        return new Transposed(out, src);
    }

    /** The shape after padding each axis by begin[i] and end[i]. */
    public static int[] padded(int[] shape, int[] begin, int[] end) {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) out[i] = shape[i] + begin[i] + end[i];
        return out;
    }

    /** One matrix product of a batched MatMul: element offsets of its A, B and output slices. */
    @FunctionalInterface
    public interface MatmulSlice {
        void run(int m, int n, int k, long aOff, long bOff, long yOff);
    }

    /** Calls {@code slice} for every batch index of {@code yShape}, with A and B broadcast over the batch dims. */
    public static void matmulSlices(int[] aShape, int[] bShape, int[] yShape, MatmulSlice slice) {
        int r = yShape.length;
        int m = yShape[r - 2], n = yShape[r - 1], k = aShape[aShape.length - 1];
        int[] batch = Arrays.copyOf(yShape, r - 2);
        int[] as = Shapes.broadcastStrides(Arrays.copyOf(aShape, aShape.length - 2), batch);
        int[] bs = Shapes.broadcastStrides(Arrays.copyOf(bShape, bShape.length - 2), batch);
        int[] idx = new int[batch.length];
        int batches = Shapes.numel(batch);
        for (int t = 0; t < batches; t++) {
            long aOff = 0, bOff = 0;
            for (int i = 0; i < idx.length; i++) {
                aOff += (long) idx[i] * as[i];
                bOff += (long) idx[i] * bs[i];
            }
            slice.run(m, n, k, aOff * m * k, bOff * k * n, (long) t * m * n);
            IndexMaps.increment(idx, batch);
        }
    }

    /** One input of a concatenation: its element count, its block per outer index, and where the block goes. */
    @FunctionalInterface
    public interface ConcatPart {
        void run(int input, int count, int block, int outBlock, int offset);
    }

    /** Calls {@code part} for every non-empty input of a concatenation along {@code axis}. */
    public static void concatParts(int axis, int[][] shapes, int[] yShape, ConcatPart part) {
        int inner = Shapes.prod(yShape, axis + 1, yShape.length);
        int outBlock = yShape[axis] * inner;
        int offset = 0;
        for (int t = 0; t < shapes.length; t++) {
            int count = Shapes.numel(shapes[t]);
            int block = shapes[t][axis] * inner;
            if (count > 0) part.run(t, count, block, outBlock, offset);
            offset += block;
        }
    }
}
