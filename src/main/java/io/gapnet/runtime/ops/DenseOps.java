package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.GemmDesc;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import java.util.Arrays;
import java.util.Map;

/** Gemm and MatMul. */
final class DenseOps {
    private DenseOps() {}

    static void register(Map<String, OpLowering> ops) {
        ops.put("Gemm", DenseOps::gemm);
        ops.put("MatMul", DenseOps::matmul);
    }

    private static void gemm(PlanBuilder b) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0), w = b.floatIn(1), c = b.opt(2);
        if (x.rank() != 2 || w.rank() != 2) {
            throw b.error("A and B must be 2-D but have shapes " + Shapes.str(x.shape()) + " and " + Shapes.str(w.shape())
                    + " (flatten the input first)");
        }
        boolean ta = a.getInt("transA", 0) != 0, tb = a.getInt("transB", 0) != 0;
        int m = ta ? x.dim(1) : x.dim(0), k = ta ? x.dim(0) : x.dim(1);
        int kb = tb ? w.dim(1) : w.dim(0), n = tb ? w.dim(0) : w.dim(1);
        if (k != kb) {
            throw b.error("inner dimensions differ: A " + Shapes.str(x.shape()) + (ta ? " (transposed)" : "") + " has " + k
                    + " columns but B " + Shapes.str(w.shape()) + (tb ? " (transposed)" : "") + " has " + kb + " rows");
        }
        int cRows = 1, cCols = 1;
        if (c != null) {
            if (c.isInt()) throw b.error("C must be a float tensor");
            int[] cs = c.shape();
            if (cs.length > 2) throw b.error("C must have rank 2 or less but has shape " + Shapes.str(cs));
            cRows = cs.length == 2 ? cs[0] : 1;
            cCols = cs.length >= 1 ? cs[cs.length - 1] : 1;
            if ((cRows != 1 && cRows != m) || (cCols != 1 && cCols != n)) {
                throw b.error("C of shape " + Shapes.str(cs) + " cannot be broadcast to [" + m + ", " + n + "]");
            }
        }
        GemmDesc d = new GemmDesc(m, n, k, ta, tb, a.getFloat("alpha", 1f), a.getFloat("beta", 1f), cRows, cCols, Activation.NONE);
        b.output(b.emit("Gemm", new int[] {m, n}, d.macs(), (kr, in, o) -> kr.gemm(d, in[0], in[1], in[2], o), x, w, c));
    }

    private static void matmul(PlanBuilder b) {
        Value x = b.floatIn(0), y = b.floatIn(1);
        if (x.rank() == 0 || y.rank() == 0) throw b.error("MatMul needs inputs of rank 1 or more");
        // numpy semantics: a 1-D first operand is a row vector, a 1-D second operand a column vector
        int[] as = x.rank() == 1 ? new int[] {1, x.dim(0)} : x.shape();
        int[] bs = y.rank() == 1 ? new int[] {y.dim(0), 1} : y.shape();
        int k = as[as.length - 1];
        if (bs[bs.length - 2] != k) {
            throw b.error("inner dimensions differ: " + Shapes.str(x.shape()) + " times " + Shapes.str(y.shape()));
        }
        int[] batch = Shapes.broadcast(Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2), b.node().describe());
        int m = as[as.length - 2], n = bs[bs.length - 1];
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = m;
        full[batch.length + 1] = n;
        long macs = (long) Shapes.numel(full) * k;
        Value r = b.emit("MatMul", full, macs, (kr, in, o) -> kr.matmul(as, in[0], bs, in[1], full, o), x, y);
        int[] out = full;
        if (x.rank() == 1 || y.rank() == 1) {
            int[] trimmed = new int[full.length - (x.rank() == 1 ? 1 : 0) - (y.rank() == 1 ? 1 : 0)];
            int t = 0;
            for (int i = 0; i < full.length; i++) {
                if (i == full.length - 2 && x.rank() == 1) continue;
                if (i == full.length - 1 && y.rank() == 1) continue;
                trimmed[t++] = full[i];
            }
            out = trimmed;
        }
        b.output(out == full ? r : b.alias(r, out));
    }
}
