package io.gapnet.backend.cuda;

import io.gapnet.ShapeException;
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
import java.util.ArrayList;
import java.util.List;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA kernels: each method checks its buffers and launches the kernel of the same name from
 * {@code cuda-kernels/} on this queue's stream. Convolutions run as implicit GEMM or direct
 * ({@link ConvDesc#implicitGemm()}); Gemm and MatMul use cuBLAS when it is available, else gemm_f32.
 */
final class CudaKernels implements Kernels {
    private static final int THREADS = 256;
    private final CudaBackend backend;
    private final CudaQueue queue;

    CudaKernels(CudaBackend backend, CudaQueue queue) {
        this.backend = backend;
        this.queue = queue;
    }

    private CUdeviceptr ptr(DeviceBuffer b, long needed, String use) {
        b.check(backend, needed, use);
        return ((CudaBuffer) b).ptr();
    }

    /**
     * Called with every launch's kernel name and parameter kinds (see {@link Launch#kinds}); tests use it to check
     * the argument lists against the kernels' PTX signatures.
     */
    interface LaunchObserver {
        void launched(String kernel, String kinds);
    }

    static volatile LaunchObserver observer;

    /** {@code -Dgapnet.cuda.syncEachLaunch=true}: wait for every kernel and name the one that failed. */
    static boolean syncEachLaunch() {
        return Boolean.getBoolean("gapnet.cuda.syncEachLaunch");
    }

    /** Collects kernel parameters in order, then launches. */
    private final class Launch {
        final String name;
        final CUfunction function;
        final List<Pointer> args = new ArrayList<>();
        /** One letter per parameter: p pointer, i int32, l int64, f float32, d a Dims8 struct (8 x int32). */
        final StringBuilder kinds = new StringBuilder();
        final List<String> values = new ArrayList<>();

        Launch(String file, String name) {
            this.name = name;
            queue.stream(); // makes the context current on this thread before the module loads
            this.function = backend.function(file, name);
        }

        private Launch add(char kind, Pointer p, String value) {
            args.add(p);
            kinds.append(kind);
            values.add(value);
            return this;
        }

        Launch p(CUdeviceptr v) {
            // JCuda prints "CUdeviceptr[nativePointer=0x...,byteOffset=...]"
            return add('p', Pointer.to(v), v.toString().replaceAll("^\\w+\\[nativePointer=|\\]$", ""));
        }

        Launch i(int v) {
            return add('i', Pointer.to(new int[] {v}), Integer.toString(v));
        }

        Launch l(long v) {
            return add('l', Pointer.to(new long[] {v}), v + "L");
        }

        Launch f(float v) {
            return add('f', Pointer.to(new float[] {v}), v + "f");
        }

        /** A Dims8 struct: the values right-aligned, padded on the left with {@code pad}. */
        Launch dims(int[] v, int pad) {
            int[] padded = Shapes.padLeft(v, 8, pad, name);
            return add('d', Pointer.to(padded), java.util.Arrays.toString(padded));
        }

        /** A 1-D launch over {@code n} elements (the kernels loop with a grid stride). */
        void run1d(long n) {
            if (n <= 0) return;
            long blocks = Math.min((n + THREADS - 1) / THREADS, 1L << 20);
            run((int) blocks, 1, 1, THREADS, 1, 1);
        }

        void run(int gx, int gy, int gz, int bx, int by, int bz) {
            if (gx == 0 || gy == 0 || gz == 0) return;
            int r = JCudaDriver.cuLaunchKernel(function, gx, gy, gz, bx, by, bz, 0, queue.stream(),
                    Pointer.to(args.toArray(new Pointer[0])), null);
            LaunchObserver o = observer;
            if (o != null) o.launched(name, kinds.toString());
            if (r == CUresult.CUDA_SUCCESS && syncEachLaunch()) r = JCudaDriver.cuStreamSynchronize(queue.stream());
            if (r != CUresult.CUDA_SUCCESS) {
                CuCheck.check(r, "kernel " + name + " <<<(" + gx + "," + gy + "," + gz + "), (" + bx + "," + by + "," + bz
                        + ")>>> (" + String.join(", ", values) + ")" + (syncEachLaunch() ? " (synchronised after the launch"
                        + " by -Dgapnet.cuda.syncEachLaunch=true)" : ""));
            }
        }
    }

    private static int blocks(long n, int per) {
        return (int) ((n + per - 1) / per);
    }

    @Override
    public void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        CUdeviceptr xp = ptr(x, d.inputSize(), "conv2d input"), wp = ptr(w, d.weightSize(), "conv2d weight");
        CUdeviceptr yp = ptr(y, d.outputSize(), "conv2d output");
        CUdeviceptr bp = bias == null ? xp : ptr(bias, d.oc(), "conv2d bias");
        CUdeviceptr rp = residual == null ? xp : ptr(residual, d.outputSize(), "conv2d residual");
        Cudnn cudnn = queue.cudnn();
        if (cudnn != null && cudnn.conv2d(d, xp, wp, bias == null ? null : bp, residual == null ? null : rp, yp,
                (b, r) -> convEpilogue(d, b, r, yp))) {
            syncIfAsked("cuDNN convolution " + d);
            return;
        }
        boolean gemm = d.implicitGemm();
        // a 128x128 tile, or 64 channels by 128 where a group has no more (ResNet's 64-channel layers)
        int tileM = d.ocPerGroup() <= 64 ? 64 : 128;
        Launch l = new Launch("conv", !gemm ? "conv2d_direct_nchw_f32" : tileM == 64 ? "conv2d_m64_nchw_f32" : "conv2d_nchw_f32")
                .p(xp).p(wp).p(bp).p(rp).p(yp)
                .i(d.n()).i(d.c()).i(d.h()).i(d.w()).i(d.oc()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW())
                .i(d.dilationH()).i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.group()).i(d.outH()).i(d.outW())
                .i(bias == null ? 0 : 1).i(residual == null ? 0 : 1)
                .i(d.act().kind().ordinal()).f(d.act().alpha()).f(d.act().beta());
        if (gemm) {
            long p = (long) d.n() * d.outH() * d.outW();
            l.run(blocks(p, 128), blocks(d.ocPerGroup(), tileM), d.group(), 16, 16, 1);
        } else {
            l.run1d(d.outputSize());
        }
    }

    /** {@code y = act(y + bias + residual)} in place: the part of a convolution that cuDNN does not fuse. */
    void convEpilogue(ConvDesc d, CUdeviceptr bias, CUdeviceptr residual, CUdeviceptr y) {
        new Launch("conv", "conv_epilogue_nchw_f32").p(y).p(bias == null ? y : bias).p(residual == null ? y : residual)
                .l(d.outputSize()).i(d.oc()).i(d.outH() * d.outW()).i(bias == null ? 0 : 1).i(residual == null ? 0 : 1)
                .i(d.act().kind().ordinal()).f(d.act().alpha()).f(d.act().beta()).run1d(d.outputSize());
    }

    /** {@link #convEpilogue} on gapnet buffers (the tests run it in the simulator, where cuDNN is never loaded). */
    void convEpilogue(ConvDesc d, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        convEpilogue(d, bias == null ? null : ptr(bias, d.oc(), "epilogue bias"),
                residual == null ? null : ptr(residual, d.outputSize(), "epilogue residual"), ptr(y, d.outputSize(), "epilogue output"));
    }

    @Override
    public void layerNorm(int rows, int len, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias, DeviceBuffer y) {
        long size = (long) rows * len;
        CUdeviceptr xp = ptr(x, size, "layerNorm input");
        new Launch("elementwise", "layernorm_f32").p(xp).p(scale == null ? xp : ptr(scale, len, "layerNorm scale"))
                .p(bias == null ? xp : ptr(bias, len, "layerNorm bias")).p(ptr(y, size, "layerNorm output")).i(rows).i(len)
                .f(eps).i(scale == null ? 0 : 1).i(bias == null ? 0 : 1).run1d(rows);
    }

    @Override
    public void batchNorm(int n, int c, int spatial, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                          DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y) {
        long count = (long) n * c * spatial;
        new Launch("elementwise", "batchnorm_f32").p(ptr(x, count, "batchNorm input")).p(ptr(scale, c, "batchNorm scale"))
                .p(ptr(bias, c, "batchNorm bias")).p(ptr(mean, c, "batchNorm mean")).p(ptr(var, c, "batchNorm var"))
                .p(ptr(y, count, "batchNorm output")).i(c).i(spatial).l(count).f(eps).run1d(count);
    }

    @Override
    public void lrn(int n, int c, int spatial, int size, float alpha, float beta, float bias, DeviceBuffer x, DeviceBuffer y) {
        long count = (long) n * c * spatial;
        new Launch("elementwise", "lrn_f32").p(ptr(x, count, "lrn input")).p(ptr(y, count, "lrn output"))
                .i(c).i(spatial).l(count).i(size).f(alpha).f(beta).f(bias).run1d(count);
    }

    @Override
    public void activation(Activation act, int count, DeviceBuffer x, DeviceBuffer y) {
        new Launch("elementwise", "activation_f32").p(ptr(x, count, "activation input")).p(ptr(y, count, "activation output"))
                .i(count).i(act.kind().ordinal()).f(act.alpha()).f(act.beta()).run1d(count);
    }

    @Override
    public void binary(BinaryOp op, int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        int count = Shapes.numel(yShape);
        new Launch("elementwise", "binary_f32").p(ptr(a, Shapes.numel(aShape), "binary a")).p(ptr(b, Shapes.numel(bShape), "binary b"))
                .p(ptr(y, count, "binary output")).i(count).i(op.ordinal()).dims(yShape, 1)
                .dims(Shapes.broadcastStrides(aShape, yShape), 0).dims(Shapes.broadcastStrides(bShape, yShape), 0).run1d(count);
    }

    @Override
    public void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        new Launch("pool", "maxpool_nchw_f32").p(ptr(x, d.inputSize(), "maxPool input")).p(ptr(y, d.outputSize(), "maxPool output"))
                .i(d.n() * d.c()).i(d.h()).i(d.w()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW()).i(d.dilationH())
                .i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.oh()).i(d.ow()).run1d(d.outputSize());
    }

    @Override
    public void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        new Launch("pool", "avgpool_nchw_f32").p(ptr(x, d.inputSize(), "avgPool input")).p(ptr(y, d.outputSize(), "avgPool output"))
                .i(d.n() * d.c()).i(d.h()).i(d.w()).i(d.kh()).i(d.kw()).i(d.strideH()).i(d.strideW()).i(d.dilationH())
                .i(d.dilationW()).i(d.padTop()).i(d.padLeft()).i(d.padBottom()).i(d.padRight()).i(d.oh()).i(d.ow())
                .i(d.countIncludePad() ? 1 : 0).run1d(d.outputSize());
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

    /** A pooling kernel with one warp per plane; {@code extra} are its float arguments after the spatial size. */
    private void globalPool(String kernel, int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y, float... extra) {
        if (spatial <= 0) throw new ShapeException(kernel + ": pooling over an empty spatial extent (H*W = 0)");
        long planes = (long) n * c;
        Launch l = new Launch("gap", kernel).p(ptr(x, planes * spatial, kernel + " input")).p(ptr(y, planes, kernel + " output"))
                .l(planes).i(spatial);
        for (float v : extra) l.f(v);
        l.run(blocks(planes, 8), 1, 1, THREADS, 1, 1);
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
        new Launch("gap", "reduce_f32").p(ptr(x, Shapes.numel(shape), name + " input")).p(ptr(y, outputs, name + " output"))
                .dims(shape, 1).dims(flags, 0).i(outputs).i(op.ordinal()).run1d(outputs);
    }

    @Override
    public void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y) {
        CUdeviceptr ap = ptr(a, (long) d.m() * d.k(), "gemm A"), bp = ptr(b, (long) d.k() * d.n(), "gemm B");
        CUdeviceptr cp = c == null ? ap : ptr(c, (long) d.cRows() * d.cCols(), "gemm C");
        CUdeviceptr yp = ptr(y, (long) d.m() * d.n(), "gemm output");
        Sgemm blas = queue.blas();
        if (blas != null) {
            float beta = 0f;
            if (c != null) {
                new Launch("dense", "gemm_c_init_f32").p(cp).p(yp).i(d.m()).i(d.n()).i(d.cRows()).i(d.cCols())
                        .run1d((long) d.m() * d.n());
                beta = d.beta();
            }
            // row-major y = op(A) op(B) is column-major y^T = op(B)^T op(A)^T
            sgemm(blas, d.transB(), d.transA(), d.n(), d.m(), d.k(), d.alpha(), bp, 0, d.transB() ? d.k() : d.n(),
                    ap, 0, d.transA() ? d.m() : d.k(), beta, yp, 0, d.n());
            if (d.act().kind() != Activation.Kind.NONE) {
                new Launch("dense", "act_inplace_f32").p(yp).l((long) d.m() * d.n()).i(d.act().kind().ordinal())
                        .f(d.act().alpha()).f(d.act().beta()).run1d((long) d.m() * d.n());
            }
            return;
        }
        int asi = d.transA() ? 1 : d.k(), asp = d.transA() ? d.m() : 1;
        int bsp = d.transB() ? 1 : d.n(), bsj = d.transB() ? d.k() : 1;
        gemmKernel(d.m(), d.n(), d.k(), ap, 0, asi, asp, bp, 0, bsp, bsj, d.alpha(), d.beta(), cp, c != null, d.cRows(),
                d.cCols(), yp, 0, d.act());
    }

    private void sgemm(Sgemm blas, boolean transFirst, boolean transSecond, int m, int n, int k, float alpha,
                       CUdeviceptr first, long firstOff, int ldFirst, CUdeviceptr second, long secondOff, int ldSecond,
                       float beta, CUdeviceptr y, long yOff, int ldy) {
        queue.stream();
        blas.sgemm(transFirst, transSecond, m, n, k, alpha, first, firstOff, ldFirst, second, secondOff, ldSecond, beta, y,
                yOff, ldy);
        syncIfAsked("cublasSgemm m=" + m + " n=" + n + " k=" + k);
    }

    /** With -Dgapnet.cuda.syncEachLaunch=true, waits for a library call (cuBLAS, cuDNN) so that its failure is named. */
    private void syncIfAsked(String what) {
        if (syncEachLaunch()) {
            CuCheck.check(JCudaDriver.cuStreamSynchronize(queue.stream()), what
                    + " (synchronised after the call by -Dgapnet.cuda.syncEachLaunch=true)");
        }
    }

    private void gemmKernel(int m, int n, int k, CUdeviceptr a, long aOff, int asi, int asp, CUdeviceptr b, long bOff,
                            int bsp, int bsj, float alpha, float beta, CUdeviceptr c, boolean hasC, int cRows, int cCols,
                            CUdeviceptr y, long yOff, Activation act) {
        new Launch("dense", "gemm_f32").i(m).i(n).i(k).p(a).l(aOff).i(asi).i(asp).p(b).l(bOff).i(bsp).i(bsj)
                .f(alpha).f(beta).p(c).i(hasC ? 1 : 0).i(cRows).i(cCols).p(y).l(yOff)
                .i(act.kind().ordinal()).f(act.alpha()).f(act.beta())
                .run(blocks(n, 64), blocks(m, 64), 1, 16, 16, 1);
    }

    @Override
    public void matmul(int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y) {
        CUdeviceptr ap = ptr(a, Shapes.numel(aShape), "matmul A"), bp = ptr(b, Shapes.numel(bShape), "matmul B");
        CUdeviceptr yp = ptr(y, Shapes.numel(yShape), "matmul output");
        Sgemm blas = queue.blas();
        KernelGeometry.matmulSlices(aShape, bShape, yShape, (m, n, k, aOff, bOff, yOff) -> {
            if (blas != null) {
                sgemm(blas, false, false, n, m, k, 1f, bp, bOff, n, ap, aOff, k, 0f, yp, yOff, n);
            } else {
                gemmKernel(m, n, k, ap, aOff, k, 1, bp, bOff, n, 1, 1f, 0f, ap, false, 1, 1, yp, yOff, Activation.NONE);
            }
        });
    }

    @Override
    public void softmax(int outer, int axisLen, int inner, DeviceBuffer x, DeviceBuffer y) {
        long size = (long) outer * axisLen * inner;
        new Launch("elementwise", "softmax_f32").p(ptr(x, size, "softmax input")).p(ptr(y, size, "softmax output"))
                .i(outer).i(axisLen).i(inner).run1d((long) outer * inner);
    }

    @Override
    public void transpose(int[] shape, int[] perm, DeviceBuffer x, DeviceBuffer y) {
        int count = Shapes.numel(shape);
        KernelGeometry.Transposed t = KernelGeometry.transpose(shape, perm);
        new Launch("movement", "transpose_f32").p(ptr(x, count, "transpose input")).p(ptr(y, count, "transpose output"))
                .i(count).dims(t.shape(), 1).dims(t.srcStrides(), 0).run1d(count);
    }

    @Override
    public void concat(int axis, int[][] shapes, DeviceBuffer[] xs, int[] yShape, DeviceBuffer y) {
        CUdeviceptr yp = ptr(y, Shapes.numel(yShape), "concat output");
        KernelGeometry.concatParts(axis, shapes, yShape, (t, count, block, outBlock, offset) ->
                new Launch("movement", "concat_part_f32").p(ptr(xs[t], count, "concat input " + t)).p(yp)
                        .i(count).i(block).i(outBlock).i(offset).run1d(count));
    }

    @Override
    public void pad(int[] shape, int[] begin, int[] end, PadMode mode, float value, DeviceBuffer x, DeviceBuffer y) {
        int[] out = KernelGeometry.padded(shape, begin, end);
        int count = Shapes.numel(out);
        new Launch("movement", "pad_f32").p(ptr(x, Shapes.numel(shape), "pad input")).p(ptr(y, count, "pad output"))
                .i(count).dims(out, 1).dims(shape, 1).dims(begin, 0).dims(Shapes.strides(shape), 0).i(mode.ordinal()).f(value)
                .run1d(count);
    }

    @Override
    public void gather(int[] shape, int axis, int[] indices, int[] indicesShape, DeviceBuffer x, DeviceBuffer y) {
        int outer = Shapes.prod(shape, 0, axis), inner = Shapes.prod(shape, axis + 1, shape.length);
        int count = outer * indices.length * inner;
        new Launch("movement", "gather_f32").p(ptr(x, Shapes.numel(shape), "gather input")).p(queue.indices(indices))
                .p(ptr(y, count, "gather output")).i(count).i(indices.length).i(shape[axis]).i(inner).run1d(count);
    }

    @Override
    public void slice(int[] shape, int[] starts, int[] steps, int[] yShape, DeviceBuffer x, DeviceBuffer y) {
        int count = Shapes.numel(yShape);
        new Launch("movement", "slice_f32").p(ptr(x, Shapes.numel(shape), "slice input")).p(ptr(y, count, "slice output"))
                .i(count).dims(yShape, 1).dims(starts, 0).dims(steps, 1).dims(Shapes.strides(shape), 0).run1d(count);
    }

    @Override
    public void copy(int count, DeviceBuffer x, DeviceBuffer y) {
        CUdeviceptr xp = ptr(x, count, "copy input"), yp = ptr(y, count, "copy output");
        if (count == 0) return;
        CuCheck.check(JCudaDriver.cuMemcpyDtoDAsync(yp, xp, (long) count * Sizeof.FLOAT, queue.stream()), "cuMemcpyDtoDAsync");
    }
}
