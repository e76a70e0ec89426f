package io.gapnet.backend;

/**
 * {@code y = act(alpha * op(A) * op(B) + beta * C)} with y of shape [m, n]. op(A) is [m, k] (A stored
 * [k, m] when transA), op(B) is [k, n] (B stored [n, k] when transB). C is optional and broadcast from
 * [cRows, cCols] with cRows in {1, m} and cCols in {1, n}.
 */
public record GemmDesc(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta,
                       int cRows, int cCols, Activation act) {

    public long macs() {
        return (long) m * n * k;
    }
}
