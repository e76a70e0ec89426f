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
        long[] r = new long[Shapes.hostNumel(out, 8, what)]; // the limit checked, with the node named, before the maps
        int[] ia = IndexMaps.broadcast(a.shape(), out), ib = IndexMaps.broadcast(b.shape(), out);
        long[] x = a.toLongs(), y = b.toLongs();
        for (int o = 0; o < r.length; o++) r[o] = op.apply(x[ia[o]], y[ib[o]]);
        return Tensor.ofLongs(r, out);
    }
}
