package io.gapnet.backend.opencl;

import static org.lwjgl.opencl.CL10.clEnqueueCopyBuffer;
import static org.lwjgl.opencl.CL10.clEnqueueNDRangeKernel;
import static org.lwjgl.opencl.CL10.clSetKernelArg;
import static org.lwjgl.opencl.CL10.clSetKernelArg1f;
import static org.lwjgl.opencl.CL10.clSetKernelArg1i;
import static org.lwjgl.opencl.CL10.clSetKernelArg1l;
import static org.lwjgl.opencl.CL10.clSetKernelArg1p;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.KernelGeometry;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.PadMode;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.ReduceOp;
import io.gapnet.tensor.Shapes;
import java.nio.IntBuffer;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * The OpenCL kernels: each method checks its buffers, sets the arguments of the kernel of the same name in
 * {@code opencl-kernels/} and enqueues it on this queue. Convolutions run as tiled implicit GEMM or, when
 * small ({@link ConvDesc#implicitGemm()}), as a direct kernel.
 */
final class ClKernels implements Kernels {
    private static final int MAX_RANK = 8;
    private final ClBackend backend;
    private final ClQueue queue;

    ClKernels(ClBackend backend, ClQueue queue) {
        this.backend = backend;
        this.queue = queue;
    }

    private long mem(DeviceBuffer b, long needed, String use) {
        b.check(backend, needed, use);
        return ((ClBuffer) b).mem();
    }

    /** Sets kernel arguments in order, then launches. */
    private final class Launch {
        final String name;
        final long kernel;
        int index;

        Launch(String file, String name) {
            this.name = name;
            this.kernel = queue.kernel(file, name);
        }

        Launch mem(long m) {
            return check(clSetKernelArg1p(kernel, index, m));
        }

        Launch i(int v) {
            return check(clSetKernelArg1i(kernel, index, v));
        }

        Launch l(long v) {
            return check(clSetKernelArg1l(kernel, index, v));
        }

        Launch f(float v) {
            return check(clSetKernelArg1f(kernel, index, v));
        }

        /** An int8 vector argument: the values right-aligned, padded on the left with {@code pad}. */
        Launch i8(int[] v, int pad) {
            int[] padded = Shapes.padLeft(v, MAX_RANK, pad, name);
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer b = stack.mallocInt(MAX_RANK);
                b.put(padded).flip();
                return check(clSetKernelArg(kernel, index, b));
            }
        }

        private Launch check(int err) {
            ClCheck.check(err, "clSetKernelArg " + name + " argument " + index);
            index++;
            return this;
        }

        void run(long... global) {
            run(global, null);
        }

        void run(long[] global, long[] local) {
            for (long g : global) if (g == 0) return;
            try (MemoryStack stack = MemoryStack.stackPush()) {
                PointerBuffer gws = stack.mallocPointer(global.length);
                for (int i = 0; i < global.length; i++) gws.put(i, global[i]);
                PointerBuffer lws = null;
                if (local != null) {
                    lws = stack.mallocPointer(local.length);
                    for (int i = 0; i < local.length; i++) lws.put(i, local[i]);
                }
                ClCheck.check(clEnqueueNDRangeKernel(queue.queue(), kernel, global.length, null, gws, lws, null, null),
                        "clEnqueueNDRangeKernel " + name);
            }
        }
    }

    private static long roundUp(long n, long multiple) {
        return (n + multiple - 1) / multiple * multiple;
    }

    @Override
    public void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        long xm = mem(x, d.inputSize(), "conv2d input"), wm = mem(w, d.weightSize(), "conv2d weight");
        long ym = mem(y, d.outputSize(), "conv2d output");
        long bm = bias == null ? xm : mem(bias, d.oc(), "conv2d bias");
        long rm = residual == null ? xm : mem(residual, d.outputSize(), "conv2d residual");
        boolean gemm = d.implicitGemm();
        Launch l = new Launch("conv.cl", gemm ? "conv2d_nchw_f32" : "conv2d_direct_nchw_f32")
                .mem(xm).mem(wm).mem(bm).mem(rm).mem(ym)
                .i(d.n()).i(d.c()).i(d.h()).i(d.w()).i(d.oc()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW())
                .i(d.dilationH()).i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.group()).i(d.outH()).i(d.outW())
                .i(bias == null ? 0 : 1).i(residual == null ? 0 : 1)
                .i(d.act().kind().ordinal()).f(d.act().alpha()).f(d.act().beta());
        if (gemm) {
            long p = (long) d.n() * d.outH() * d.outW();
            l.run(new long[] {roundUp(p, 64) / 4, roundUp(d.ocPerGroup(), 64) / 4, d.group()}, new long[] {16, 16, 1});
        } else {
            l.run(d.outputSize());
        }
    }

    @Override
    public void layerNorm(int rows, int len, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias, DeviceBuffer y) {
        long size = (long) rows * len;
        long xm = mem(x, size, "layerNorm input");
        new Launch("elementwise.cl", "layernorm_f32").mem(xm).mem(scale == null ? xm : mem(scale, len, "layerNorm scale"))
                .mem(bias == null ? xm : mem(bias, len, "layerNorm bias")).mem(mem(y, size, "layerNorm output")).i(rows).i(len)
                .f(eps).i(scale == null ? 0 : 1).i(bias == null ? 0 : 1).run(rows);
    }

    @Override
    public void batchNorm(int n, int c, int spatial, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                          DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y) {
        long count = (long) n * c * spatial;
        new Launch("elementwise.cl", "batchnorm_f32").mem(mem(x, count, "batchNorm input")).mem(mem(scale, c, "batchNorm scale"))
                .mem(mem(bias, c, "batchNorm bias")).mem(mem(mean, c, "batchNorm mean")).mem(mem(var, c, "batchNorm var"))
                .mem(mem(y, count, "batchNorm output")).i(c).i(spatial).l(count).f(eps).run(count);
    }

    @Override
    public void lrn(int n, int c, int spatial, int size, float alpha, float beta, float bias, DeviceBuffer x, DeviceBuffer y) {
        long count = (long) n * c * spatial;
        new Launch("elementwise.cl", "lrn_f32").mem(mem(x, count, "lrn input")).mem(mem(y, count, "lrn output"))
                .i(c).i(spatial).l(count).i(size).f(alpha).f(beta).f(bias).run(count);
    }

    @Override
    public void activation(Activation act, int count, DeviceBuffer x, DeviceBuffer y) {
        new Launch("elementwise.cl", "activation_f32").mem(mem(x, count, "activation input")).mem(mem(y, count, "activation output"))
                .i(count).i(act.kind().ordinal()).f(act.alpha()).f(act.beta()).run(count);
    }

    @Override
    public void binary(BinaryOp op, int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        int count = Shapes.numel(yShape);
        new Launch("elementwise.cl", "binary_f32").mem(mem(a, Shapes.numel(aShape), "binary a"))
                .mem(mem(b, Shapes.numel(bShape), "binary b")).mem(mem(y, count, "binary output")).i(count).i(op.ordinal())
                .i8(yShape, 1).i8(Shapes.broadcastStrides(aShape, yShape), 0).i8(Shapes.broadcastStrides(bShape, yShape), 0)
                .run(count);
    }

    @Override
    public void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        new Launch("pool.cl", "maxpool_nchw_f32").mem(mem(x, d.inputSize(), "maxPool input")).mem(mem(y, d.outputSize(), "maxPool output"))
                .i(d.n() * d.c()).i(d.h()).i(d.w()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW()).i(d.dilationH())
                .i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.oh()).i(d.ow()).run(d.outputSize());
    }

    @Override
    public void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        new Launch("pool.cl", "avgpool_nchw_f32").mem(mem(x, d.inputSize(), "avgPool input")).mem(mem(y, d.outputSize(), "avgPool output"))
                .i(d.n() * d.c()).i(d.h()).i(d.w()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW()).i(d.dilationH())
                .i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.padBottom()).i(d.padRight()).i(d.oh()).i(d.ow())
                .i(d.countIncludePad() ? 1 : 0).run(d.outputSize());
    }

    @Override
    public void gap(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y) {
        globalPool("gap_nchw_f32", n, c, spatial, x, y);
    }

    @Override
    public void gmp(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y) {
        globalPool("gmp_nchw_f32", n, c, spatial, x, y);
    }

    @Override
    public void gem(int n, int c, int spatial, float p, float q, float eps, DeviceBuffer x, DeviceBuffer y) {
        globalPool("gem_nchw_f32", n, c, spatial, x, y, p, q, eps);
    }

    /** A pooling kernel with one work-group per plane; {@code extra} are its float arguments after the spatial size. */
    private void globalPool(String kernel, int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y, float... extra) {
        if (spatial <= 0) throw new io.gapnet.ShapeException(kernel + ": pooling over an empty spatial extent (H*W = 0)");
        long planes = (long) n * c;
        Launch l = new Launch("gap.cl", kernel).mem(mem(x, planes * spatial, kernel + " input"))
                .mem(mem(y, planes, kernel + " output")).i(spatial);
        for (float v : extra) l.f(v);
        l.run(new long[] {planes * 64}, new long[] {64});
    }

    @Override
    public void reduce(ReduceOp op, int[] shape, boolean[] reduce, DeviceBuffer x, DeviceBuffer y) {
        int[] flags = new int[shape.length];
        int outputs = 1;
        for (int i = 0; i < shape.length; i++) {
            flags[i] = reduce[i] ? 1 : 0;
            if (!reduce[i]) outputs *= shape[i];
        }
        String name = op.onnxName();
        new Launch("gap.cl", "reduce_f32").mem(mem(x, Shapes.numel(shape), name + " input"))
                .mem(mem(y, outputs, name + " output")).i8(shape, 1).i8(flags, 0).i(outputs).i(op.ordinal()).run(outputs);
    }

    @Override
    public void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y) {
        long am = mem(a, (long) d.m() * d.k(), "gemm A"), bm = mem(b, (long) d.k() * d.n(), "gemm B");
        long cm = c == null ? am : mem(c, (long) d.cRows() * d.cCols(), "gemm C");
        long ym = mem(y, (long) d.m() * d.n(), "gemm output");
        int asi = d.transA() ? 1 : d.k(), asp = d.transA() ? d.m() : 1;
        int bsp = d.transB() ? 1 : d.n(), bsj = d.transB() ? d.k() : 1;
        gemmLaunch(d.m(), d.n(), d.k(), am, 0, asi, asp, bm, 0, bsp, bsj, d.alpha(), d.beta(), cm, c != null, d.cRows(),
                d.cCols(), ym, 0, d.act());
    }

    private void gemmLaunch(int m, int n, int k, long a, int aOff, int asi, int asp, long b, int bOff, int bsp, int bsj,
                            float alpha, float beta, long c, boolean hasC, int cRows, int cCols, long y, int yOff, Activation act) {
        new Launch("dense.cl", "gemm_f32").i(m).i(n).i(k).mem(a).i(aOff).i(asi).i(asp).mem(b).i(bOff).i(bsp).i(bsj)
                .f(alpha).f(beta).mem(c).i(hasC ? 1 : 0).i(cRows).i(cCols).mem(y).i(yOff)
                .i(act.kind().ordinal()).f(act.alpha()).f(act.beta())
                .run(new long[] {roundUp(n, 64) / 4, roundUp(m, 64) / 4}, new long[] {16, 16});
    }

    @Override
    public void matmul(int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        long am = mem(a, Shapes.numel(aShape), "matmul A"), bm = mem(b, Shapes.numel(bShape), "matmul B");
        long ym = mem(y, Shapes.numel(yShape), "matmul output");
        KernelGeometry.matmulSlices(aShape, bShape, yShape, (m, n, k, aOff, bOff, yOff) ->
                gemmLaunch(m, n, k, am, Math.toIntExact(aOff), k, 1, bm, Math.toIntExact(bOff), n, 1, 1f, 0f, am, false, 1, 1,
                        ym, Math.toIntExact(yOff), Activation.NONE));
    }

    @Override
    public void softmax(int outer, int axisLen, int inner, DeviceBuffer x, DeviceBuffer y) {
        long size = (long) outer * axisLen * inner;
        new Launch("elementwise.cl", "softmax_f32").mem(mem(x, size, "softmax input")).mem(mem(y, size, "softmax output"))
                .i(outer).i(axisLen).i(inner).run((long) outer * inner);
    }

    @Override
    public void transpose(int[] shape, int[] perm, DeviceBuffer x, DeviceBuffer y) {
        int count = Shapes.numel(shape);
        KernelGeometry.Transposed t = KernelGeometry.transpose(shape, perm);
        new Launch("movement.cl", "transpose_f32").mem(mem(x, count, "transpose input")).mem(mem(y, count, "transpose output"))
                .i(count).i8(t.shape(), 1).i8(t.srcStrides(), 0).run(count);
    }

    @Override
    public void concat(int axis, int[][] shapes, DeviceBuffer[] xs, int[] yShape, DeviceBuffer y) {
        long ym = mem(y, Shapes.numel(yShape), "concat output");
        KernelGeometry.concatParts(axis, shapes, yShape, (t, count, block, outBlock, offset) ->
                new Launch("movement.cl", "concat_part_f32").mem(mem(xs[t], count, "concat input " + t)).mem(ym)
                        .i(count).i(block).i(outBlock).i(offset).run(count));
    }

    @Override
    public void pad(int[] shape, int[] begin, int[] end, PadMode mode, float value, DeviceBuffer x, DeviceBuffer y) {
        int[] out = KernelGeometry.padded(shape, begin, end);
        int count = Shapes.numel(out);
        new Launch("movement.cl", "pad_f32").mem(mem(x, Shapes.numel(shape), "pad input")).mem(mem(y, count, "pad output"))
                .i(count).i8(out, 1).i8(shape, 1).i8(begin, 0).i8(Shapes.strides(shape), 0).i(mode.ordinal()).f(value).run(count);
    }

    @Override
    public void gather(int[] shape, int axis, int[] indices, int[] indicesShape, DeviceBuffer x, DeviceBuffer y) {
        int outer = Shapes.prod(shape, 0, axis), inner = Shapes.prod(shape, axis + 1, shape.length);
        int count = outer * indices.length * inner;
        new Launch("movement.cl", "gather_f32").mem(mem(x, Shapes.numel(shape), "gather input")).mem(queue.indices(indices))
                .mem(mem(y, count, "gather output")).i(count).i(indices.length).i(shape[axis]).i(inner).run(count);
    }

    @Override
    public void slice(int[] shape, int[] starts, int[] steps, int[] yShape, DeviceBuffer x, DeviceBuffer y) {
        int count = Shapes.numel(yShape);
        new Launch("movement.cl", "slice_f32").mem(mem(x, Shapes.numel(shape), "slice input")).mem(mem(y, count, "slice output"))
                .i(count).i8(yShape, 1).i8(starts, 0).i8(steps, 1).i8(Shapes.strides(shape), 0).run(count);
    }

    @Override
    public void copy(int count, DeviceBuffer x, DeviceBuffer y) {
        long xm = mem(x, count, "copy input"), ym = mem(y, count, "copy output");
        if (count == 0) return;
        ClCheck.check(clEnqueueCopyBuffer(queue.queue(), xm, ym, 0, 0, (long) count * 4, null, null), "clEnqueueCopyBuffer");
    }
}
