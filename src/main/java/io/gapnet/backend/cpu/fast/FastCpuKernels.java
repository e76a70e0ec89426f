package io.gapnet.backend.cpu.fast;

import io.gapnet.backend.Backend;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.KernelGeometry;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.cpu.CpuBuffer;
import io.gapnet.backend.cpu.ref.RefKernels;
import io.gapnet.tensor.Shapes;

/**
 * The fast CPU path: convolutions, Gemm and MatMul through the packed, register-tiled engine (the Vector API
 * kernels when available), narrow and depthwise convolutions directly, windowed pooling, broadcasting binary ops by
 * merged rows, activations through {@link io.gapnet.backend.Activation#applyFast} and transposes by strided rows,
 * all on every core; normalisation, global pooling, GeM and softmax run the reference's own loops on parts of their
 * output ({@link #split}); the rest, cheap in a CNN, is inherited from the reference. Every result is checked
 * against the reference by the conformance suite.
 */
public final class FastCpuKernels extends RefKernels {
    private final Sgemm sgemm;
    /** The Vector API engine, or null: the scalar fallback. */
    private final FastEngine engine;

    /** Convolutions run by Winograd while recording ({@link #recordWinograd}), with their weights and bias. */
    private final java.util.Map<ConvDesc, float[][]> winogradSeen = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean recording;
    /** The shortcut's output of a {@link #conv2dPair} that the engine does not compute as one product. */
    private static final ThreadLocal<float[]> PAIR_SHORTCUT = ThreadLocal.withInitial(() -> new float[0]);

    public FastCpuKernels(Backend backend) {
        this(backend, true);
    }

    /**
     * With {@code vector} false, the scalar fallback a JVM without the jdk.incubator.vector module runs, even where the
     * module is loaded (so that tests check both in one JVM).
     */
    public FastCpuKernels(Backend backend, boolean vector) {
        super(backend);
        this.sgemm = vector ? Sgemm.best() : new ScalarSgemm();
        this.engine = vector ? FastEngine.best() : null;
    }

    /**
     * Turns Winograd F(4x4,3x3) on or off for every fast CPU backend in this process (what -Dgapnet.cpu.winograd sets
     * at start): for benchmarks that compare the two paths side by side in one JVM (scripts/bench-winograd).
     */
    public static void setWinograd(boolean on) {
        Winograd.enabled = on;
    }

    /** Starts (true) or stops noting the convolutions this backend runs by Winograd, for {@link #winogradErrors}; off by default. */
    public void recordWinograd(boolean on) {
        recording = on;
    }

    /**
     * For each distinct convolution run by Winograd since {@link #recordWinograd}: its error against the reference
     * convolution with the layer's own weights and bias, on one input of rectified unit normals (as after a ReLU).
     */
    public java.util.List<WinogradError> winogradErrors(long seed) {
        java.util.List<WinogradError> out = new java.util.ArrayList<>();
        for (var e : winogradSeen.entrySet()) {
            out.add(Winograd.error(e.getKey(), e.getValue()[0], e.getValue()[1], FastConv.winogradLanes(engine), seed));
        }
        return out;
    }

    /** How convolutions run on this path, for the device description. */
    public static String convolutionPath() {
        return FastConv.describe();
    }

    /** Parts of at least about 32k operations, at most four per thread. */
    @Override
    protected void split(int items, long work, Part part) {
        long total = items * Math.max(1, work);
        int parts = (int) Math.min(items, Math.min(4L * Parallel.threads(), total >> 15));
        if (parts <= 1) {
            part.run(0, items);
            return;
        }
        Parallel.run(parts, i -> part.run((int) ((long) items * i / parts), (int) ((long) items * (i + 1) / parts)));
    }

    @Override
    public void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        conv2d(d, f(x, d.inputSize(), "conv2d input"), w, f(bias, d.oc(), "conv2d bias"),
                f(residual, d.outputSize(), "conv2d residual"), f(y, d.outputSize(), "conv2d output"));
    }

    private void conv2d(ConvDesc d, float[] x, DeviceBuffer w, float[] bias, float[] residual, float[] y) {
        float[] wv = f(w, d.weightSize(), "conv2d weight");
        if (!FastConv.worthwhile(d)) {
            FastConv.direct(engine, d, x, wv, bias, residual, y);
            return;
        }
        if (recording && FastConv.winograd(d, engine)) winogradSeen.putIfAbsent(d, new float[][] {wv, bias});
        FastConv.conv2d(d, x, (CpuBuffer) w, bias, residual, y, sgemm, engine);
    }

    /**
     * One product where the engine takes the pair (ResNet's 1x1 bottleneck output and its 1x1 shortcut); otherwise b
     * into a per-thread scratch array, then a with it as the residual.
     */
    @Override
    public void conv2dPair(ConvDesc a, DeviceBuffer xa, DeviceBuffer wa, DeviceBuffer ba, ConvDesc b, DeviceBuffer xb,
                           DeviceBuffer wb, DeviceBuffer bb, DeviceBuffer y) {
        float[] xav = f(xa, a.inputSize(), "conv2d pair input"), xbv = f(xb, b.inputSize(), "conv2d pair shortcut input");
        float[] bav = f(ba, a.oc(), "conv2d pair bias"), bbv = f(bb, b.oc(), "conv2d pair shortcut bias");
        float[] yv = f(y, a.outputSize(), "conv2d pair output");
        f(wa, a.weightSize(), "conv2d pair weight");
        f(wb, b.weightSize(), "conv2d pair shortcut weight");
        if (FastConv.conv2dPair(a, xav, (CpuBuffer) wa, bav, b, xbv, (CpuBuffer) wb, bbv, yv, engine)) return;
        float[] shortcut = PAIR_SHORTCUT.get();
        if (shortcut.length < b.outputSize()) PAIR_SHORTCUT.set(shortcut = new float[(int) b.outputSize()]);
        conv2d(b, xbv, wb, bbv, null, shortcut);
        conv2d(a, xav, wa, bav, shortcut, yv);
    }

    @Override
    public void prepareConv2d(ConvDesc d, DeviceBuffer w) {
        if (w instanceof CpuBuffer b) FastConv.prepare(d, b, engine);
    }

    /**
     * Global average pooling in the reference's arithmetic (each plane summed in order, in double), four planes at a
     * time: the reference's single running sum waits out each add's latency, and at batch 8 ResNet-50's 16384 planes of
     * 49 values took 0.26 ms that way. The results are the reference's, bit for bit.
     */
    @Override
    public void gap(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y) {
        if (spatial <= 0) { // the reference's error
            super.gap(n, c, spatial, x, y);
            return;
        }
        float[] xv = f(x, (long) n * c * spatial, "gap input"), yv = f(y, (long) n * c, "gap output");
        split(n * c, spatial, (from, to) -> {
            int i = from;
            for (; i + 4 <= to; i += 4) {
                int a = i * spatial, b = a + spatial, cc = b + spatial, e = cc + spatial;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int s = 0; s < spatial; s++) {
                    s0 += xv[a + s];
                    s1 += xv[b + s];
                    s2 += xv[cc + s];
                    s3 += xv[e + s];
                }
                yv[i] = (float) (s0 / spatial);
                yv[i + 1] = (float) (s1 / spatial);
                yv[i + 2] = (float) (s2 / spatial);
                yv[i + 3] = (float) (s3 / spatial);
            }
            for (; i < to; i++) {
                double sum = 0;
                for (int s = 0; s < spatial; s++) sum += xv[i * spatial + s];
                yv[i] = (float) (sum / spatial);
            }
        });
    }

    @Override
    public void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y) {
        float[] av = f(a, (long) d.m() * d.k(), "gemm A"), bv = f(b, (long) d.k() * d.n(), "gemm B");
        float[] cv = f(c, (long) d.cRows() * d.cCols(), "gemm C"), yv = f(y, (long) d.m() * d.n(), "gemm output");
        int asi = d.transA() ? 1 : d.k(), asp = d.transA() ? d.m() : 1;
        int bsp = d.transB() ? 1 : d.n(), bsj = d.transB() ? d.k() : 1;
        if (d.m() <= 8 && d.transB() && !d.transA()) {
            // a classifier head (few images, weights stored [classes, features]): contiguous dot products,
            // cheaper than packing the whole weight matrix for a handful of rows; four classes at a time, so that
            // with several images, each image's features are read once per four classes (at batch 8 they are 64 KB,
            // past L1)
            int k = d.k(), n = d.n(), m = d.m(), per = 64;
            Parallel.run((n + per - 1) / per, chunk -> {
                int j = chunk * per, end = Math.min(n, j + per);
                for (; m > 1 && j + 4 <= end; j += 4) {
                    for (int i = 0; i < m; i++) sgemm.dot4(av, i * k, bv, j * k, k, k, yv, i * n + j);
                }
                for (; j < end; j++) {
                    for (int i = 0; i < m; i++) yv[i * n + j] = sgemm.dot(av, i * k, bv, j * k, k);
                }
            });
        } else {
            sgemm.gemm(d.m(), d.n(), d.k(), av, 0, asi, asp, bv, 0, bsp, bsj, yv, 0, d.n());
        }
        for (int i = 0; i < d.m(); i++) {
            for (int j = 0; j < d.n(); j++) {
                float v = d.alpha() * yv[i * d.n() + j];
                if (cv != null) v += d.beta() * cv[(d.cRows() == 1 ? 0 : i) * d.cCols() + (d.cCols() == 1 ? 0 : j)];
                yv[i * d.n() + j] = d.act().applyFast(v);
            }
        }
    }

    @Override
    public void matmul(int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        float[] av = f(a, Shapes.numel(aShape), "matmul A"), bv = f(b, Shapes.numel(bShape), "matmul B");
        float[] yv = f(y, Shapes.numel(yShape), "matmul output");
        KernelGeometry.matmulSlices(aShape, bShape, yShape, (m, n, k, aOff, bOff, yOff) ->
                sgemm.gemm(m, n, k, av, (int) aOff, k, 1, bv, (int) bOff, n, 1, yv, (int) yOff, n));
    }

    @Override
    public void activation(io.gapnet.backend.Activation act, int count, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, count, "activation input"), yv = f(y, count, "activation output");
        split(count, 1, (from, to) -> {
            for (int i = from; i < to; i++) yv[i] = act.applyFast(xv[i]);
        });
    }

    /** Rows of the output's last axis, each read from the input with one stride, rows in parallel. */
    @Override
    public void transpose(int[] shape, int[] perm, DeviceBuffer x, DeviceBuffer y) {
        int n = Shapes.numel(shape), r = shape.length;
        float[] xv = f(x, n, "transpose input"), yv = f(y, n, "transpose output");
        if (r == 0 || n == 0) return;
        int[] in = Shapes.strides(shape), out = new int[r];
        for (int i = 0; i < r; i++) out[i] = shape[perm[i]];
        int len = out[r - 1], step = in[perm[r - 1]];
        split(n / len, len, (from, to) -> {
            for (int row = from; row < to; row++) {
                int src = 0;
                for (int i = r - 2, rest = row; i >= 0; i--) {
                    src += rest % out[i] * in[perm[i]];
                    rest /= out[i];
                }
                for (int j = 0, dst = row * len; j < len; j++) yv[dst + j] = xv[src + j * step];
            }
        });
    }

    @Override
    public void binary(io.gapnet.backend.BinaryOp op, int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape,
                       DeviceBuffer y) {
        float[] av = f(a, Shapes.numel(aShape), "binary a"), bv = f(b, Shapes.numel(bShape), "binary b");
        float[] yv = f(y, Shapes.numel(yShape), "binary output");
        FastBinary.Merged m = FastBinary.Merged.of(aShape, bShape, yShape);
        split(m.rows(), m.rowLength(), (from, to) -> FastBinary.rows(from, to, op, m, av, bv, yv));
    }

    @Override
    public void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, d.inputSize(), "maxPool input"), yv = f(y, d.outputSize(), "maxPool output");
        if (engine == null || !engine.maxPool(d, xv, yv)) FastPool.maxPool(d, xv, yv);
    }

    @Override
    public void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        FastPool.avgPool(d, f(x, d.inputSize(), "avgPool input"), f(y, d.outputSize(), "avgPool output"));
    }
}
