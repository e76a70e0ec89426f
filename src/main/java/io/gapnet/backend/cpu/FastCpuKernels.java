package io.gapnet.backend.cpu;

import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.KernelGeometry;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.cpu.fast.FastEngine;
import io.gapnet.backend.cpu.fast.Sgemm;
import io.gapnet.tensor.Shapes;

/**
 * The fast CPU path: convolutions, Gemm and MatMul through the packed, register-tiled engine (the Vector API
 * kernels when available), and windowed pooling; every other op, cheap in a CNN, is inherited from the
 * reference. Every result is checked against the reference by the conformance suite.
 */
final class FastCpuKernels extends CpuKernels {
    private final Sgemm sgemm = Sgemm.best();

    FastCpuKernels(CpuBackend backend) {
        super(backend);
    }

    @Override
    public void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y) {
        if (!FastConv.worthwhile(d)) {
            super.conv2d(d, x, w, bias, residual, y);
            return;
        }
        f(w, d.weightSize(), "conv2d weight");
        FastConv.conv2d(d, f(x, d.inputSize(), "conv2d input"), (CpuBuffer) w,
                f(bias, d.oc(), "conv2d bias"), f(residual, d.outputSize(), "conv2d residual"),
                f(y, d.outputSize(), "conv2d output"), sgemm);
    }

    @Override
    public void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y) {
        float[] av = f(a, (long) d.m() * d.k(), "gemm A"), bv = f(b, (long) d.k() * d.n(), "gemm B");
        float[] cv = f(c, (long) d.cRows() * d.cCols(), "gemm C"), yv = f(y, (long) d.m() * d.n(), "gemm output");
        int asi = d.transA() ? 1 : d.k(), asp = d.transA() ? d.m() : 1;
        int bsp = d.transB() ? 1 : d.n(), bsj = d.transB() ? d.k() : 1;
        if (d.m() <= 8 && d.transB() && !d.transA()) {
            // a classifier head (few images, weights stored [classes, features]): contiguous dot products,
            // cheaper than packing the whole weight matrix for a handful of rows
            int k = d.k(), n = d.n(), m = d.m(), per = 64;
            io.gapnet.backend.cpu.fast.Parallel.run((n + per - 1) / per, chunk -> {
                for (int j = chunk * per; j < Math.min(n, chunk * per + per); j++) {
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
                yv[i * d.n() + j] = d.act().apply(v);
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
    public void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        float[] xv = f(x, d.inputSize(), "maxPool input"), yv = f(y, d.outputSize(), "maxPool output");
        FastEngine engine = FastEngine.best();
        if (engine == null || !engine.maxPool(d, xv, yv)) FastPool.maxPool(d, xv, yv);
    }

    @Override
    public void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y) {
        FastPool.avgPool(d, f(x, d.inputSize(), "avgPool input"), f(y, d.outputSize(), "avgPool output"));
    }
}
