package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.BinaryOp;
import io.gapnet.tensor.Shapes;

/**
 * Broadcasting binary arithmetic for the fast CPU path. The output's axes are merged where both operands run
 * through them contiguously (or both are broadcast along them), so that what is left is rows of the innermost run,
 * each a plain loop over contiguous or repeated values: a residual or layer-scale product is one row, a
 * squeeze-and-excitation gate [N, C, 1, 1] over [N, C, H, W] is one row per plane with its gate value fixed. Rows run
 * in parallel. Every value is {@link BinaryOp#apply}'s, so the results equal the reference's exactly.
 */
final class FastBinary {
    private FastBinary() {}

    /** The output's axes merged: {@code size[i]} with operand strides {@code a[i]} and {@code b[i]}, innermost last. */
    record Merged(int[] size, int[] a, int[] b) {
        static Merged of(int[] aShape, int[] bShape, int[] yShape) {
            int[] as = Shapes.broadcastStrides(aShape, yShape), bs = Shapes.broadcastStrides(bShape, yShape);
            int r = yShape.length;
            int[] size = new int[Math.max(1, r)], sa = new int[size.length], sb = new int[size.length];
            int k = size.length - 1; // filled from the innermost axis outwards
            size[k] = 1;
            boolean empty = true;
            for (int i = r - 1; i >= 0; i--) {
                if (yShape[i] == 1) continue;
                if (empty) {
                    size[k] = yShape[i];
                    sa[k] = as[i];
                    sb[k] = bs[i];
                    empty = false;
                } else if (as[i] == sa[k] * size[k] && bs[i] == sb[k] * size[k]) {
                    size[k] *= yShape[i]; // runs on from the merged axis inside it, for both operands
                } else {
                    k--;
                    size[k] = yShape[i];
                    sa[k] = as[i];
                    sb[k] = bs[i];
                }
            }
            return new Merged(java.util.Arrays.copyOfRange(size, k, size.length), java.util.Arrays.copyOfRange(sa, k, size.length),
                    java.util.Arrays.copyOfRange(sb, k, size.length));
        }

        int rowLength() {
            return size[size.length - 1];
        }

        int rows() {
            int rows = 1;
            for (int i = 0; i < size.length - 1; i++) rows *= size[i];
            return rows;
        }
    }

    /** Rows [from, to) of the merged output. */
    static void rows(int from, int to, BinaryOp op, Merged m, float[] a, float[] b, float[] y) {
        int inner = m.size().length - 1, len = m.rowLength(), sa = m.a()[inner], sb = m.b()[inner];
        for (int row = from; row < to; row++) {
            int ia = 0, ib = 0;
            for (int i = inner - 1, rest = row; i >= 0; i--) {
                int at = rest % m.size()[i];
                rest /= m.size()[i];
                ia += at * m.a()[i];
                ib += at * m.b()[i];
            }
            int iy = row * len;
            if (sa == 1 && sb == 1) {
                switch (op) {
                    case ADD -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] + b[ib + j]; }
                    case MUL -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] * b[ib + j]; }
                    case SUB -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] - b[ib + j]; }
                    case DIV -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] / b[ib + j]; }
                    default -> { for (int j = 0; j < len; j++) y[iy + j] = op.apply(a[ia + j], b[ib + j]); }
                }
            } else if (sa == 1 && sb == 0) {
                float v = b[ib];
                switch (op) {
                    case ADD -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] + v; }
                    case MUL -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] * v; }
                    case SUB -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] - v; }
                    case DIV -> { for (int j = 0; j < len; j++) y[iy + j] = a[ia + j] / v; }
                    default -> { for (int j = 0; j < len; j++) y[iy + j] = op.apply(a[ia + j], v); }
                }
            } else if (sa == 0 && sb == 1) {
                float v = a[ia];
                switch (op) {
                    case ADD -> { for (int j = 0; j < len; j++) y[iy + j] = v + b[ib + j]; }
                    case MUL -> { for (int j = 0; j < len; j++) y[iy + j] = v * b[ib + j]; }
                    default -> { for (int j = 0; j < len; j++) y[iy + j] = op.apply(v, b[ib + j]); }
                }
            } else {
                for (int j = 0; j < len; j++) y[iy + j] = op.apply(a[ia + j * sa], b[ib + j * sb]);
            }
        }
    }
}
