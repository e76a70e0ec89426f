package io.gapnet.runtime.ops;

import io.gapnet.backend.BinaryOp;
import io.gapnet.tensor.IndexMaps;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;

/**
 * int64 computations evaluated on the host at compile time (shape arithmetic, index tensors). Data
 * movement uses the same {@link IndexMaps} as the float kernels.
 */
final class HostEval {
    private HostEval() {}

    static Tensor remap(Tensor t, int[] map, int[] outShape) {
        long[] src = t.toLongs();
        long[] r = new long[map.length];
        for (int i = 0; i < map.length; i++) r[i] = src[map[i]];
        return Tensor.ofLongs(r, outShape);
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b, String what) {
        int[] out = Shapes.broadcast(a.shape(), b.shape(), what);
        int[] as = Shapes.broadcastStrides(a.shape(), out);
        int[] bs = Shapes.broadcastStrides(b.shape(), out);
        long[] x = a.toLongs(), y = b.toLongs();
        long[] r = new long[Shapes.hostNumel(out, 8, what)];
        int[] idx = new int[out.length];
        for (int o = 0; o < r.length; o++) {
            int ia = 0, ib = 0;
            for (int i = 0; i < idx.length; i++) {
                ia += idx[i] * as[i];
                ib += idx[i] * bs[i];
            }
            r[o] = op.apply(x[ia], y[ib]);
            IndexMaps.increment(idx, out);
        }
        return Tensor.ofLongs(r, out);
    }
}
