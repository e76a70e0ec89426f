package io.gapnet.backend.cpu.fast;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link Winograd}'s lane loops on the Vector API: a panel of {@link VectorGemm#NR} tiles is two vectors. */
final class VectorWinograd implements Winograd.Lanes {
    static final VectorWinograd LANES = new VectorWinograd();
    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int V = VectorGemm.V;

    private VectorWinograd() {}

    @Override
    public int width() {
        return VectorGemm.NR;
    }

    @Override
    public int step() {
        return V;
    }

    @Override
    public void micro(float[] ap, int ai, int as, float[] bp, int bi, int kc, float[] tile, int t, boolean more) {
        VectorGemm.micro(ap, ai, as, bp, bi, kc, tile, t, more);
    }

    @Override
    public void gather(float[] x, int offset, int[] index, boolean[] inside, boolean[] whole, int q, float[] p, int used) {
        int nr = VectorGemm.NR, xi = Winograd.XI;
        for (int e = 0; e < xi; e++) {
            int at = (q * xi + e) * nr;
            boolean all = whole[q * xi + e];
            for (int l = 0; l < used; l += V) {
                // each branch stores its own vector (a vector that two branches assign is boxed where they merge);
                // lanes outside the image read a valid index and are zeroed by the blend
                if (all) {
                    FloatVector.fromArray(S, x, offset, index, at + l).intoArray(p, e * nr + l);
                } else {
                    FloatVector.zero(S).blend(FloatVector.fromArray(S, x, offset, index, at + l),
                            VectorMask.fromArray(S, inside, at + l)).intoArray(p, e * nr + l);
                }
            }
        }
    }

    /*
     * Each transform is one method whose loops keep every FloatVector inside one iteration, and whose passes share
     * one copy of the vector code, so that C2 compiles it whole with room to inline all of the Vector API under it.
     * The earlier form, a per-pass method called six times from the tile loops, allocated FloatVectors in the
     * steady state: a running maximum carried across iterations was boxed, and where C2 inlined several copies into
     * the tile loop it ran out of inlining budget part-way through the Vector API calls, which then ran as boxed
     * fallbacks (JFR showed hundreds of MB of vectors and their arrays per second; ResNet-50 batch 1 took 57 to
     * 87 ms from one JVM to the next).
     */

    @Override
    public float inputTransform(float[] p, float[] t, float[] v, int vBase, int vStride, int used) {
        int nr = VectorGemm.NR, a = Winograd.ALPHA;
        float peak = 0f;
        // passes 0-5: down column k of the patches into t; passes 6-11: across row k of t into v
        for (int pass = 0; pass < 2 * a; pass++) {
            boolean down = pass < a;
            int k = down ? pass : pass - a;
            float[] src = down ? p : t, dst = down ? t : v;
            int s0 = down ? k * nr : k * a * nr, ss = down ? a * nr : nr;
            int d0 = down ? k * nr : vBase + k * a * vStride, ds = down ? a * nr : vStride;
            for (int l = 0; l < used; l += V) {
                FloatVector p0 = FloatVector.fromArray(S, src, s0 + l), p1 = FloatVector.fromArray(S, src, s0 + ss + l);
                FloatVector p2 = FloatVector.fromArray(S, src, s0 + 2 * ss + l), p3 = FloatVector.fromArray(S, src, s0 + 3 * ss + l);
                FloatVector p4 = FloatVector.fromArray(S, src, s0 + 4 * ss + l), p5 = FloatVector.fromArray(S, src, s0 + 5 * ss + l);
                FloatVector r0 = p0.mul(4f).sub(p2.mul(5f)).add(p4);
                FloatVector r1 = p3.add(p4).sub(p1.add(p2).mul(4f));
                FloatVector r2 = p4.sub(p3).add(p1.sub(p2).mul(4f));
                FloatVector d42 = p4.sub(p2), d31 = p3.sub(p1).mul(2f);
                FloatVector r3 = d42.add(d31), r4 = d42.sub(d31);
                FloatVector r5 = p1.mul(4f).sub(p3.mul(5f)).add(p5);
                r0.intoArray(dst, d0 + l);
                r1.intoArray(dst, d0 + ds + l);
                r2.intoArray(dst, d0 + 2 * ds + l);
                r3.intoArray(dst, d0 + 3 * ds + l);
                r4.intoArray(dst, d0 + 4 * ds + l);
                r5.intoArray(dst, d0 + 5 * ds + l);
                if (!down) {
                    FloatVector m = r0.abs().max(r1.abs()).max(r2.abs().max(r3.abs())).max(r4.abs().max(r5.abs()));
                    peak = Math.max(peak, m.reduceLanes(VectorOperators.MAX)); // both keep a NaN
                }
            }
        }
        return peak;
    }

    @Override
    public void outputTransform(float[] m, int mBase, int mStride, float[] t, float[] out) {
        int nr = VectorGemm.NR, a = Winograd.ALPHA, tile = Winograd.TILE;
        // passes 0-5: down column k of m into t (4 rows); passes 6-9: across row k of t into out (4 columns)
        for (int pass = 0; pass < a + tile; pass++) {
            boolean down = pass < a;
            int k = down ? pass : pass - a;
            float[] src = down ? m : t, dst = down ? t : out;
            int s0 = down ? mBase + k * mStride : k * a * nr, ss = down ? a * mStride : nr;
            int d0 = down ? k * nr : k * tile * nr, ds = down ? a * nr : nr;
            for (int l = 0; l < nr; l += V) {
                FloatVector m0 = FloatVector.fromArray(S, src, s0 + l), m1 = FloatVector.fromArray(S, src, s0 + ss + l);
                FloatVector m2 = FloatVector.fromArray(S, src, s0 + 2 * ss + l), m3 = FloatVector.fromArray(S, src, s0 + 3 * ss + l);
                FloatVector m4 = FloatVector.fromArray(S, src, s0 + 4 * ss + l), m5 = FloatVector.fromArray(S, src, s0 + 5 * ss + l);
                FloatVector sum12 = m1.add(m2), dif12 = m1.sub(m2), sum34 = m3.add(m4), dif34 = m3.sub(m4);
                m0.add(sum12).add(sum34).intoArray(dst, d0 + l);
                dif12.add(dif34.mul(2f)).intoArray(dst, d0 + ds + l);
                sum12.add(sum34.mul(4f)).intoArray(dst, d0 + 2 * ds + l);
                dif12.add(dif34.mul(8f)).add(m5).intoArray(dst, d0 + 3 * ds + l);
            }
        }
    }
}
