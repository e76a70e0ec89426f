package io.gapnet.ops;

import static io.gapnet.Approx.assertTensor;
import static io.gapnet.ops.OpHarness.f;
import static io.gapnet.ops.OpHarness.iota;
import static io.gapnet.ops.OpHarness.run;
import static io.gapnet.ops.OpHarness.t;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ShapeException;
import io.gapnet.tensor.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Gemm and MatMul, by hand: A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]], A·B = [[4,5],[10,11]]. */
class DenseReferenceTest {
    static final Tensor A = t(f(1, 2, 3, 4, 5, 6), 2, 3);
    static final Tensor B = t(f(1, 0, 0, 1, 1, 1), 3, 2);

    @Test
    void gemmPlain() {
        assertTensor(new int[] {2, 2}, f(4, 5, 10, 11), run("Gemm", Map.of(), A, B));
    }

    @Test
    void gemmAlphaBetaAndBiasBroadcast() {
        // 2 * A·B + 0.5 * [10, 20] broadcast over rows
        Tensor y = run("Gemm", Map.of("alpha", 2f, "beta", 0.5f), A, B, t(f(10, 20), 2));
        assertTensor(new int[] {2, 2}, f(13, 20, 25, 32), y);
        assertTensor(new int[] {2, 2}, f(5, 6, 11, 12), run("Gemm", Map.of(), A, B, t(f(1), 1)));
        assertTensor(new int[] {2, 2}, f(5, 6, 12, 13), run("Gemm", Map.of(), A, B, t(f(1, 2), 2, 1)));
        assertTensor(new int[] {2, 2}, f(5, 7, 13, 15), run("Gemm", Map.of(), A, B, t(f(1, 2, 3, 4), 2, 2)));
    }

    @Test
    void gemmTransposes() {
        Tensor at = t(f(1, 4, 2, 5, 3, 6), 3, 2);
        Tensor bt = t(f(1, 0, 1, 0, 1, 1), 2, 3);
        assertTensor(new int[] {2, 2}, f(4, 5, 10, 11), run("Gemm", Map.of("transA", 1L), at, B));
        assertTensor(new int[] {2, 2}, f(4, 5, 10, 11), run("Gemm", Map.of("transB", 1L), A, bt));
        assertTensor(new int[] {2, 2}, f(4, 5, 10, 11), run("Gemm", Map.of("transA", 1L, "transB", 1L), at, bt));
    }

    @Test
    void gemmInnerMismatchIsNamed() {
        ShapeException e = assertThrows(ShapeException.class, () -> run("Gemm", Map.of(), A, A));
        assertTrue(e.getMessage().contains("inner dimensions differ"), e.getMessage());
    }

    @Test
    void matmulBatchBroadcastAndVectors() {
        Tensor y = run("MatMul", Map.of(), t(iota(8), 2, 2, 2), t(f(1, 1), 2, 1));
        assertTensor(new int[] {2, 2, 1}, f(1, 5, 9, 13), y);
        assertTensor(new int[] {2, 2}, f(4, 5, 10, 11), run("MatMul", Map.of(), A, B));
        assertTensor(new int[] {2}, f(7, 10), run("MatMul", Map.of(), t(f(1, 2), 2), t(f(1, 2, 3, 4), 2, 2)));
        assertTensor(new int[] {2}, f(5, 11), run("MatMul", Map.of(), t(f(1, 2, 3, 4), 2, 2), t(f(1, 2), 2)));
    }
}
