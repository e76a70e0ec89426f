package io.gapnet.backend.cpu.fast;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A packed, cache-blocked SGEMM with a register-tiled micro-kernel written with the Vector API. B is packed
 * per KC-deep block into panels of NR = 2 vectors of columns; A into panels of MR = 6 rows; the micro-kernel
 * keeps a 6 x 2-vector tile of C in registers and performs one broadcast and two FMAs per row and k. Row
 * blocks of MC run in parallel on the common fork-join pool; partial edge tiles go through a small buffer.
 */
final class VectorSgemm implements Sgemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int V = S.length();
    private static final int NR = 2 * V;
    private static final int MR = 6;
    private static final int KC = 256;
    private static final int MC = 72;

    private static final ThreadLocal<float[]> PACK_A = ThreadLocal.withInitial(() -> new float[MC * KC]);
    private static final ThreadLocal<float[]> EDGE = ThreadLocal.withInitial(() -> new float[MR * NR]);
    private static final ThreadLocal<float[]> PACK_B = ThreadLocal.withInitial(() -> new float[0]);

    @Override
    public String toString() {
        return "Vector API SGEMM (" + S.vectorBitSize() + "-bit vectors, " + MR + "x" + NR + " register tile)";
    }

    @Override
    public void gemm(int m, int n, int k, float[] a, int aOff, int asi, int asp, float[] b, int bOff, int bsp, int bsj,
                     float[] c, int cOff, int ldc) {
        int panels = (n + NR - 1) / NR;
        int need = panels * NR * Math.min(k, KC);
        float[] bp = PACK_B.get();
        if (bp.length < need) {
            bp = new float[need];
            PACK_B.set(bp);
        }
        float[] packed = bp;
        for (int p0 = 0; p0 < k; p0 += KC) {
            int kc = Math.min(KC, k - p0);
            packB(b, bOff + p0 * bsp, bsp, bsj, kc, n, packed);
            boolean first = p0 == 0;
            int blocks = (m + MC - 1) / MC;
            // split the columns too when there are fewer row blocks than twice the cores (e.g. 64 output channels)
            int chunks = Math.max(1, Math.min(panels, (2 * ForkJoinPool.getCommonPoolParallelism() + blocks - 1) / blocks));
            int perChunk = (panels + chunks - 1) / chunks;
            int pStart = p0;
            java.util.List<RecursiveAction> tasks = new java.util.ArrayList<>();
            for (int blk = 0; blk < blocks; blk++) {
                for (int ch = 0; ch < chunks; ch++) {
                    int i0 = blk * MC, mc = Math.min(MC, m - i0);
                    int q0 = ch * perChunk, q1 = Math.min(panels, q0 + perChunk);
                    if (q0 >= q1) continue;
                    tasks.add(new RecursiveAction() {
                        @Override
                        protected void compute() {
                            float[] ap = PACK_A.get();
                            packA(a, aOff + i0 * asi + pStart * asp, asi, asp, mc, kc, ap);
                            for (int jp = q0; jp < q1; jp++) {
                                int j0 = jp * NR, nr = Math.min(NR, n - j0);
                                for (int ip = 0; ip * MR < mc; ip++) {
                                    int mr = Math.min(MR, mc - ip * MR);
                                    micro(ap, ip * MR * kc, packed, jp * NR * kc, kc, c, cOff + (i0 + ip * MR) * ldc + j0, ldc, mr, nr, first);
                                }
                            }
                        }
                    });
                }
            }
            if (tasks.size() == 1) tasks.get(0).invoke();
            else ForkJoinPool.commonPool().invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    invokeAll(tasks);
                }
            });
        }
    }

    /** B[p0.., 0..n) into panels: panel q holds, for each k, NR consecutive columns (zero beyond n). */
    private static void packB(float[] b, int off, int bsp, int bsj, int kc, int n, float[] bp) {
        int panels = (n + NR - 1) / NR;
        for (int q = 0; q < panels; q++) {
            int j0 = q * NR, nr = Math.min(NR, n - j0);
            int dst = q * NR * kc;
            for (int p = 0; p < kc; p++) {
                int src = off + p * bsp + j0 * bsj;
                int d = dst + p * NR;
                if (bsj == 1) {
                    System.arraycopy(b, src, bp, d, nr);
                } else {
                    for (int j = 0; j < nr; j++) bp[d + j] = b[src + j * bsj];
                }
                for (int j = nr; j < NR; j++) bp[d + j] = 0f;
            }
        }
    }

    /** A rows [0, mc) into panels of MR rows: panel r holds, for each k, MR consecutive rows (zero beyond mc). */
    private static void packA(float[] a, int off, int asi, int asp, int mc, int kc, float[] ap) {
        for (int ip = 0; ip * MR < mc; ip++) {
            int dst = ip * MR * kc;
            for (int p = 0; p < kc; p++) {
                for (int r = 0; r < MR; r++) {
                    int i = ip * MR + r;
                    ap[dst + p * MR + r] = i < mc ? a[off + i * asi + p * asp] : 0f;
                }
            }
        }
    }

    private static void micro(float[] ap, int aBase, float[] bp, int bBase, int kc, float[] c, int cBase, int ldc,
                              int mr, int nr, boolean first) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S), c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S), c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S), c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int ai = aBase, bi = bBase;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + V);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        if (mr == MR && nr == NR) {
            store(c, cBase, c00, c01, first);
            store(c, cBase + ldc, c10, c11, first);
            store(c, cBase + 2 * ldc, c20, c21, first);
            store(c, cBase + 3 * ldc, c30, c31, first);
            store(c, cBase + 4 * ldc, c40, c41, first);
            store(c, cBase + 5 * ldc, c50, c51, first);
            return;
        }
        float[] e = EDGE.get();
        c00.intoArray(e, 0);
        c01.intoArray(e, V);
        c10.intoArray(e, NR);
        c11.intoArray(e, NR + V);
        c20.intoArray(e, 2 * NR);
        c21.intoArray(e, 2 * NR + V);
        c30.intoArray(e, 3 * NR);
        c31.intoArray(e, 3 * NR + V);
        c40.intoArray(e, 4 * NR);
        c41.intoArray(e, 4 * NR + V);
        c50.intoArray(e, 5 * NR);
        c51.intoArray(e, 5 * NR + V);
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                int at = cBase + r * ldc + j;
                c[at] = first ? e[r * NR + j] : c[at] + e[r * NR + j];
            }
        }
    }

    private static void store(float[] c, int at, FloatVector lo, FloatVector hi, boolean first) {
        if (!first) {
            lo = lo.add(FloatVector.fromArray(S, c, at));
            hi = hi.add(FloatVector.fromArray(S, c, at + V));
        }
        lo.intoArray(c, at);
        hi.intoArray(c, at + V);
    }
}
