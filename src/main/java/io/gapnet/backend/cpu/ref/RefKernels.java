package io.gapnet.backend.cpu.ref;

import io.gapnet.backend.Activation;
import io.gapnet.backend.Backend;
import io.gapnet.backend.BinaryOp;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.PadMode;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.ReduceOp;
import io.gapnet.backend.cpu.CpuBuffer;
import io.gapnet.tensor.Shapes;

/**
 * The reference kernels: checks that every buffer belongs to this backend, is open and is large enough,
 * then runs the naive implementation of the op (ConvRef, PoolRef, ElementwiseRef, DenseRef, MovementRef).
 * {@link io.gapnet.backend.cpu.fast.FastCpuKernels} overrides the ops it speeds up, and {@link #split} to run the
 * element-wise and pooling ops here on parts of their output in parallel.
 */
public class RefKernels implements Kernels {
    private final Backend backend;

    public RefKernels(Backend backend) {
        this.backend = backend;
    }

    /** The array behind b after checking it belongs to this backend, is open and holds {@code needed} floats. */
    protected final float[] f(DeviceBuffer b, long needed, String use) {
        if (b == null) return null;
        b.check(backend, needed, use);
        return ((CpuBuffer) b).data();
    }

    /** Work on items [from, to) of an op's output. */
    @FunctionalInterface
    protected interface Part {
        void run(int from, int to);
    }

    /** Runs {@code part} over items [0, items), each about {@code work} operations; the reference runs it whole. */
    protected void split(int items, long work, Part part) {
        part.run(0, items);
    }

    @Override
    public void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        ConvRef.conv2d(d, f(x, d.inputSize(), "conv2d input"), f(w, d.weightSize(), "conv2d weight"),
                f(bias, d.oc(), "conv2d bias"), f(residual, d.outputSize(), "conv2d residual"),
                f(y, d.outputSize(), "conv2d output"));
    }

    /** The specification of a pair: b's output into a scratch array, then a with it as the residual. */
    @Override
    public void conv2dPair(ConvDesc a, DeviceBuffer xa, DeviceBuffer wa, DeviceBuffer ba, ConvDesc b, DeviceBuffer xb,
                           DeviceBuffer wb, DeviceBuffer bb, DeviceBuffer y) {
        float[] shortcut = new float[(int) b.outputSize()];
        ConvRef.conv2d(b, f(xb, b.inputSize(), "conv2d pair shortcut input"), f(wb, b.weightSize(), "conv2d pair shortcut weight"),
                f(bb, b.oc(), "conv2d pair shortcut bias"), null, shortcut);
        ConvRef.conv2d(a, f(xa, a.inputSize(), "conv2d pair input"), f(wa, a.weightSize(), "conv2d pair weight"),
                f(ba, a.oc(), "conv2d pair bias"), shortcut, f(y, a.outputSize(), "conv2d pair output"));
    }

    @Override
    public void layerNorm(int rows, int len, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias, DeviceBuffer y) {
        long size = (long) rows * len;
        float[] xv = f(x, size, "layerNorm input"), sv = f(scale, len, "layerNorm scale"), bv = f(bias, len, "layerNorm bias");
        float[] yv = f(y, size, "layerNorm output");
        split(rows, 4L * len, (from, to) -> ElementwiseRef.layerNorm(from, to, len, eps, xv, sv, bv, yv));
    }

    @Override
    public void batchNorm(int n, int c, int spatial, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                          DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y) {
        long size = (long) n * c * spatial;
        float[] xv = f(x, size, "batchNorm input"), sv = f(scale, c, "batchNorm scale"), bv = f(bias, c, "batchNorm bias");
        float[] mv = f(mean, c, "batchNorm mean"), vv = f(var, c, "batchNorm var"), yv = f(y, size, "batchNorm output");
        split(n * c, spatial, (from, to) -> ElementwiseRef.batchNorm(from, to, c, spatial, eps, xv, sv, bv, mv, vv, yv));
    }

    @Override
    public void lrn(int n, int c, int spatial, int size, float alpha, float beta, float bias, DeviceBuffer x, DeviceBuffer y) {
        long count = (long) n * c * spatial;
        float[] xv = f(x, count, "lrn input"), yv = f(y, count, "lrn output");
        split(n * c, (long) spatial * size, (from, to) -> ElementwiseRef.lrn(from, to, c, spatial, size, alpha, beta, bias, xv, yv));
    }

    @Override
    public void activation(Activation act, int count, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, count, "activation input"), yv = f(y, count, "activation output");
        split(count, 1, (from, to) -> ElementwiseRef.activation(from, to, act, xv, yv));
    }

    @Override
    public void binary(BinaryOp op, int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        float[] av = f(a, Shapes.numel(aShape), "binary a"), bv = f(b, Shapes.numel(bShape), "binary b");
        float[] yv = f(y, Shapes.numel(yShape), "binary output");
        split(Shapes.numel(yShape), 1, (from, to) -> ElementwiseRef.binary(from, to, op, aShape, av, bShape, bv, yShape, yv));
    }

    @Override
    public void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        PoolRef.maxPool(d, f(x, d.inputSize(), "maxPool input"), f(y, d.outputSize(), "maxPool output"));
    }

    @Override
    public void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        PoolRef.avgPool(d, f(x, d.inputSize(), "avgPool input"), f(y, d.outputSize(), "avgPool output"));
    }

    @Override
    public void gap(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, (long) n * c * spatial, "gap input"), yv = f(y, (long) n * c, "gap output");
        split(n * c, spatial, (from, to) -> PoolRef.gap(from, to, spatial, xv, yv));
    }

    @Override
    public void gem(int n, int c, int spatial, float p, float q, float eps, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, (long) n * c * spatial, "GeM input"), yv = f(y, (long) n * c, "GeM output");
        split(n * c, 8L * spatial, (from, to) -> PoolRef.gem(from, to, spatial, p, q, eps, xv, yv));
    }

    @Override
    public void gmp(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, (long) n * c * spatial, "gmp input"), yv = f(y, (long) n * c, "gmp output");
        split(n * c, spatial, (from, to) -> PoolRef.gmp(from, to, spatial, xv, yv));
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, boolean[] reduce, DeviceBuffer x, DeviceBuffer y) {
        long out = 1;
        for (int i = 0; i < shape.length; i++) if (!reduce[i]) out *= shape[i];
        PoolRef.reduce(op, shape, reduce, f(x, Shapes.numel(shape), op.onnxName() + " input"), f(y, out, op.onnxName() + " output"));
    }

    @Override
    public void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y) {
        DenseRef.gemm(d, f(a, (long) d.m() * d.k(), "gemm A"), f(b, (long) d.k() * d.n(), "gemm B"),
                f(c, (long) d.cRows() * d.cCols(), "gemm C"), f(y, (long) d.m() * d.n(), "gemm output"));
    }

    @Override
    public void matmul(int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        DenseRef.matmul(aShape, f(a, Shapes.numel(aShape), "matmul A"), bShape, f(b, Shapes.numel(bShape), "matmul B"),
                yShape, f(y, Shapes.numel(yShape), "matmul output"));
    }

    @Override
    public void softmax(int outer, int axisLen, int inner, DeviceBuffer x, DeviceBuffer y) {
        long size = (long) outer * axisLen * inner;
        float[] xv = f(x, size, "softmax input"), yv = f(y, size, "softmax output");
        split(outer * inner, 8L * axisLen, (from, to) -> ElementwiseRef.softmax(from, to, axisLen, inner, xv, yv));
    }

    @Override
    public void transpose(int[] shape, int[] perm, DeviceBuffer x, DeviceBuffer y) {
        int n = Shapes.numel(shape);
        MovementRef.transpose(shape, perm, f(x, n, "transpose input"), f(y, n, "transpose output"));
    }

    @Override
    public void concat(int axis, int[][] shapes, DeviceBuffer[] xs, int[] yShape, DeviceBuffer y) {
        float[][] in = new float[xs.length][];
        for (int i = 0; i < xs.length; i++) in[i] = f(xs[i], Shapes.numel(shapes[i]), "concat input " + i);
        MovementRef.concat(axis, shapes, in, yShape, f(y, Shapes.numel(yShape), "concat output"));
    }

    @Override
    public void pad(int[] shape, int[] begin, int[] end, PadMode mode, float value, DeviceBuffer x, DeviceBuffer y) {
        int out = Shapes.numel(io.gapnet.backend.KernelGeometry.padded(shape, begin, end));
        MovementRef.pad(shape, begin, end, mode, value, f(x, Shapes.numel(shape), "pad input"), f(y, out, "pad output"));
    }

    @Override
    public void gather(int[] shape, int axis, int[] indices, int[] indicesShape, DeviceBuffer x, DeviceBuffer y) {
        long out = (long) Shapes.numel(shape) / shape[axis] * indices.length;
        MovementRef.gather(shape, axis, indices, f(x, Shapes.numel(shape), "gather input"), f(y, out, "gather output"));
    }

    @Override
    public void slice(int[] shape, int[] starts, int[] steps, int[] yShape, DeviceBuffer x, DeviceBuffer y) {
        MovementRef.slice(shape, starts, steps, yShape, f(x, Shapes.numel(shape), "slice input"),
                f(y, Shapes.numel(yShape), "slice output"));
    }

    @Override
    public void copy(int count, DeviceBuffer x, DeviceBuffer y) {
        System.arraycopy(f(x, count, "copy input"), 0, f(y, count, "copy output"), 0, count);
    }
}
