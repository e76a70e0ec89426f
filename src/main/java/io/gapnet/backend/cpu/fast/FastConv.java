package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.cpu.CpuBuffer;
import java.util.stream.IntStream;

/**
 * The fast CPU convolution. With the Vector API: {@link FastEngine}, an implicit GEMM over the whole batch
 * with weights packed once (kept with a constant weight buffer) and the epilogue fused. Without it: per
 * image and group, an im2col buffer (1x1 stride-1 convolutions read the input in place) times the weights
 * through the scalar {@link Sgemm}, then one pass for bias, residual and activation. Both are checked
 * against the reference ({@code cpu.ref.ConvRef}) by the conformance suite.
 */
final class FastConv {
    private static final ThreadLocal<float[]> COLUMNS = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> PACKED = new ThreadLocal<>();
    /** The shortcut's weights of a {@link #conv2dPair} when they are not constant (a's take {@link #PACKED}). */
    private static final ThreadLocal<float[]> PACKED_SHORTCUT = new ThreadLocal<>();
    /** Both biases of a {@link #conv2dPair} added. */
    private static final ThreadLocal<float[]> PAIR_BIAS = ThreadLocal.withInitial(() -> new float[0]);

    private FastConv() {}

    static boolean worthwhile(ConvDesc d) {
        return (long) d.cPerGroup() * d.kh() * d.kw() >= 16 && d.ocPerGroup() >= 4;
    }

    /**
     * A convolution too narrow for a GEMM (depthwise, or few channels per group): direct, accumulating in float into
     * the output plane itself, each kernel row's valid output columns worked out once, so the inner loop over columns
     * has no bounds test; at stride 1 it is one {@link FastEngine#axpy} (Vector API FMAs) per kernel tap and output
     * row; planes in parallel.
     */
    static void direct(FastEngine engine, ConvDesc d, float[] x, float[] w, float[] bias, float[] res, float[] y) {
        int oh = d.outH(), ow = d.outW(), h = d.h(), wd = d.w(), kh = d.kh(), kw = d.kw();
        int cpg = d.cPerGroup(), ocpg = d.ocPerGroup(), sw = d.strideW();
        int[] lo = new int[kw], hi = new int[kw], off = new int[kw];
        for (int kx = 0; kx < kw; kx++) { // the output columns ox with 0 <= ox * sw + off < w
            off[kx] = kx * d.dilationW() - d.padLeft();
            lo[kx] = Math.max(0, Math.floorDiv(-off[kx] + sw - 1, sw));
            hi[kx] = Math.min(ow, Math.floorDiv(wd - 1 - off[kx], sw) + 1);
        }
        Activation act = d.act();
        Parallel.run(d.n() * d.oc(), plane -> {
            int n = plane / d.oc(), o = plane % d.oc(), g = o / ocpg, yBase = plane * oh * ow;
            java.util.Arrays.fill(y, yBase, yBase + oh * ow, bias == null ? 0f : bias[o]);
            for (int ci = 0; ci < cpg; ci++) {
                int xBase = (n * d.c() + g * cpg + ci) * h * wd, wBase = (o * cpg + ci) * kh * kw;
                for (int ky = 0; ky < kh; ky++) {
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * d.strideH() - d.padTop() + ky * d.dilationH();
                        if (iy < 0 || iy >= h) continue;
                        int row = xBase + iy * wd, out = yBase + oy * ow;
                        for (int kx = 0; kx < kw; kx++) {
                            float wv = w[wBase + ky * kw + kx];
                            int at = row + off[kx];
                            if (sw == 1 && engine != null) {
                                if (hi[kx] > lo[kx]) engine.axpy(wv, x, at + lo[kx], y, out + lo[kx], hi[kx] - lo[kx]);
                            } else if (sw == 1) {
                                for (int ox = lo[kx]; ox < hi[kx]; ox++) y[out + ox] += wv * x[at + ox];
                            } else {
                                for (int ox = lo[kx]; ox < hi[kx]; ox++) y[out + ox] += wv * x[at + ox * sw];
                            }
                        }
                    }
                }
            }
            for (int i = yBase; i < yBase + oh * ow; i++) {
                float v = y[i];
                if (res != null) v += res[i];
                y[i] = act.applyFast(v);
            }
        });
    }

    static String describe() {
        String winograd = Winograd.enabled ? "; 3x3 stride 1 by Winograd F(4x4,3x3) where it saves work"
                : "; Winograd off (-Dgapnet.cpu.winograd=false)";
        return (FastEngine.best() != null ? "implicit GEMM on the Vector API engine, epilogue fused; outputs of at most"
                + " " + VectorConv.MAX_TRANSPOSED_PIXELS + " pixels (7x7 maps at batch 1 and 2; 1x1 ones of one image with "
                + VectorConv.MIN_IN_PLACE_REDUCTION + "+ input channels up to " + VectorConv.MAX_IN_PLACE_PIXELS
                + ", read in place) transposed, pixels as rows, where that pads the register tile less"
                : "im2col + scalar SGEMM") + winograd;
    }

    /** Whether {@link #conv2d} runs d by Winograd on this engine (unless a non-finite or huge value turns up). */
    static boolean winograd(ConvDesc d, FastEngine engine) {
        return Winograd.suits(d, winogradLanes(engine).width());
    }

    /** Winograd's lane loops on this engine: its Vector API ones, or the plain-Java ones for the scalar fallback. */
    static Winograd.Lanes winogradLanes(FastEngine engine) {
        return engine != null ? engine.winograd() : Winograd.SCALAR;
    }

    /** y = act(conv(x, w) + bias + res) on {@code engine} (null: the scalar fallback with {@code sgemm}). */
    static void conv2d(ConvDesc d, float[] x, CpuBuffer wBuf, float[] bias, float[] res, float[] y, Sgemm sgemm,
                       FastEngine engine) {
        Winograd.Lanes lanes = winogradLanes(engine);
        int nr = lanes.width();
        // a non-finite or huge value met on the way (it would spread over whole tiles): the direct path below decides
        if (res != y && Winograd.suits(d, nr)) {
            if (Winograd.tilesAsRows(d, nr)) {
                Winograd.WeightPanels u = winogradPanels(d, wBuf, nr);
                if (u.finite && Winograd.runTilesAsRows(d, x, u, bias, res, y, lanes)) return;
            } else {
                Winograd.Weights u = winogradWeights(d, wBuf);
                if (u.finite && Winograd.run(d, x, u, bias, res, y, lanes)) return;
            }
        }
        if (engine != null && engine.transposes(d)) {
            engine.conv2dTransposed(d, x, transposedWeights(d, wBuf), bias, res, y);
            return;
        }
        if (engine != null) {
            engine.conv2d(d, x, packedWeights(d, wBuf), bias, res, y);
            return;
        }
        im2colGemm(d, x, wBuf.data(), bias, res, y, sgemm);
    }

    /**
     * y = act(conv(xa, wa) + conv(xb, wb)) with each bias, a's activation, as one product where the engine
     * {@link FastEngine#pairs pairs} them; false (nothing written) where it does not.
     */
    static boolean conv2dPair(ConvDesc a, float[] xa, CpuBuffer wa, float[] ba, ConvDesc b, float[] xb, CpuBuffer wb,
                              float[] bb, float[] y, FastEngine engine) {
        if (engine == null || !worthwhile(a) || !worthwhile(b) || !engine.pairs(a, b)) return false;
        float[] bias = null;
        if (ba != null || bb != null) {
            bias = PAIR_BIAS.get();
            if (bias.length < a.oc()) PAIR_BIAS.set(bias = new float[a.oc()]);
            for (int i = 0; i < a.oc(); i++) bias[i] = (ba == null ? 0f : ba[i]) + (bb == null ? 0f : bb[i]);
        }
        if (engine.transposes(a)) {
            engine.conv2dPairTransposed(a, xa, transposedWeights(a, wa), b, xb, transposedWeights(b, wb), bias, y);
        } else {
            engine.conv2dPair(a, xa, packedWeights(a, wa), b, xb, packedWeights(b, wb, PACKED_SHORTCUT), bias, y);
        }
        return true;
    }

    /**
     * Makes now the form of the constant weights that {@link #conv2d} will read for d and keep with the buffer
     * (Winograd-transformed, transposed panels or packed rows), so that the first run does not.
     */
    static void prepare(ConvDesc d, CpuBuffer wBuf, FastEngine engine) {
        if (!wBuf.isConstant() || !worthwhile(d)) return;
        int nr = winogradLanes(engine).width();
        if (Winograd.suits(d, nr)) {
            if (Winograd.tilesAsRows(d, nr)) winogradPanels(d, wBuf, nr);
            else winogradWeights(d, wBuf);
        } else if (engine != null && engine.transposes(d)) {
            transposedWeights(d, wBuf);
        } else if (engine != null) {
            packedWeights(d, wBuf);
        }
    }

    private static Winograd.Weights winogradWeights(ConvDesc d, CpuBuffer wBuf) {
        return wBuf.derived(Winograd.Weights.class, a -> a.matches(d), () -> Winograd.Weights.of(d, wBuf.data()));
    }

    private static Winograd.WeightPanels winogradPanels(ConvDesc d, CpuBuffer wBuf, int nr) {
        return wBuf.derived(Winograd.WeightPanels.class, a -> a.matches(d, nr), () -> Winograd.WeightPanels.of(d, wBuf.data(), nr));
    }

    private static TransposedWeights transposedWeights(ConvDesc d, CpuBuffer wBuf) {
        return wBuf.derived(TransposedWeights.class, a -> a.matches(d), () -> TransposedWeights.of(d, wBuf.data()));
    }

    /** Packed rows for the GEMM engine; weights that are not constant are packed on every call into reused scratch. */
    private static PackedA packedWeights(ConvDesc d, CpuBuffer wBuf) {
        return packedWeights(d, wBuf, PACKED);
    }

    /** {@link #packedWeights}, packing weights that are not constant into {@code scratch}. */
    private static PackedA packedWeights(ConvDesc d, CpuBuffer wBuf, ThreadLocal<float[]> scratch) {
        float[] w = wBuf.data();
        return wBuf.derived(PackedA.class, a -> FastEngine.packedFor(d, a), () -> {
            PackedA a = FastEngine.packWeights(d, w, wBuf.isConstant() ? null : scratch.get());
            if (!wBuf.isConstant()) scratch.set(a.data());
            return a;
        });
    }

    private static void im2colGemm(ConvDesc d, float[] x, float[] w, float[] bias, float[] res, float[] y, Sgemm sgemm) {
        int oh = d.outH(), ow = d.outW(), p = oh * ow;
        int cpg = d.cPerGroup(), ocpg = d.ocPerGroup(), k = cpg * d.kh() * d.kw();
        boolean inPlace = d.kh() == 1 && d.kw() == 1 && d.strideH() == 1 && d.strideW() == 1 && d.padTop() == 0
                && d.padLeft() == 0 && d.padBottom() == 0 && d.padRight() == 0;
        float[] col = null;
        if (!inPlace) {
            col = COLUMNS.get();
            if (col.length < k * p) {
                col = new float[k * p];
                COLUMNS.set(col);
            }
        }
        for (int n = 0; n < d.n(); n++) {
            for (int g = 0; g < d.group(); g++) {
                int xOff = (n * d.c() + g * cpg) * d.h() * d.w();
                if (!inPlace) im2col(d, x, xOff, cpg, col);
                sgemm.gemm(ocpg, p, k, w, g * ocpg * k, k, 1, inPlace ? x : col, inPlace ? xOff : 0, p, 1,
                        y, (n * d.oc() + g * ocpg) * p, p);
            }
        }
        epilogue(d.n() * d.oc(), d.oc(), p, bias, res, d.act(), y);
    }

    /** Rows k = (ci, ky, kx), columns (oy, ox); zero where the window reaches the padding. */
    private static void im2col(ConvDesc d, float[] x, int xOff, int cpg, float[] col) {
        int oh = d.outH(), ow = d.outW();
        IntStream.range(0, cpg).parallel().forEach(ci -> {
            int base = xOff + ci * d.h() * d.w();
            for (int ky = 0; ky < d.kh(); ky++) {
                for (int kx = 0; kx < d.kw(); kx++) {
                    int row = ((ci * d.kh() + ky) * d.kw() + kx) * oh * ow;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * d.strideH() - d.padTop() + ky * d.dilationH();
                        int at = row + oy * ow;
                        if (iy < 0 || iy >= d.h()) {
                            java.util.Arrays.fill(col, at, at + ow, 0f);
                            continue;
                        }
                        int src = base + iy * d.w();
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox * d.strideW() - d.padLeft() + kx * d.dilationW();
                            col[at + ox] = ix >= 0 && ix < d.w() ? x[src + ix] : 0f;
                        }
                    }
                }
            }
        });
    }

    /** y = act(y + bias[channel] + residual) over [planes, p], channel = plane % channels. */
    static void epilogue(int planes, int channels, int p, float[] bias, float[] res, Activation act, float[] y) {
        if (bias == null && res == null && act.kind() == Activation.Kind.NONE) return;
        IntStream.range(0, planes).parallel().forEach(plane -> {
            float b = bias == null ? 0f : bias[plane % channels];
            int base = plane * p;
            for (int i = base; i < base + p; i++) {
                float v = y[i] + b;
                if (res != null) v += res[i];
                y[i] = act.applyFast(v);
            }
        });
    }
}
