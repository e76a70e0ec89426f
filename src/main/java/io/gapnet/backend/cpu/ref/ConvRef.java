package io.gapnet.backend.cpu.ref;

import io.gapnet.backend.ConvDesc;
import java.util.stream.IntStream;

/**
 * Reference 2-D convolution: for each (image, output channel) plane, every tap of the kernel is added
 * into a double-precision accumulator plane; out-of-range input positions (padding) contribute zero.
 * Planes are independent, so they are computed in parallel; the arithmetic per output is sequential.
 */
final class ConvRef {
    private ConvRef() {}

    static void conv2d(ConvDesc d, float[] x, float[] w, float[] bias, float[] residual, float[] y) {
        int oh = d.outH(), ow = d.outW();
        int cpg = d.cPerGroup(), ocpg = d.ocPerGroup();
        IntStream.range(0, d.n() * d.oc()).parallel().forEach(plane -> {
            int n = plane / d.oc();
            int o = plane % d.oc();
            int g = o / ocpg;
            double[] acc = new double[oh * ow];
            if (bias != null) java.util.Arrays.fill(acc, bias[o]);
            for (int ci = 0; ci < cpg; ci++) {
                int c = g * cpg + ci;
                int xBase = (n * d.c() + c) * d.h() * d.w();
                for (int ky = 0; ky < d.kh(); ky++) {
                    for (int kx = 0; kx < d.kw(); kx++) {
                        double wv = w[((o * cpg + ci) * d.kh() + ky) * d.kw() + kx];
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * d.strideH() - d.padTop() + ky * d.dilationH();
                            if (iy < 0 || iy >= d.h()) continue;
                            for (int ox = 0; ox < ow; ox++) {
                                int ix = ox * d.strideW() - d.padLeft() + kx * d.dilationW();
                                if (ix < 0 || ix >= d.w()) continue;
                                acc[oy * ow + ox] += wv * x[xBase + iy * d.w() + ix];
                            }
                        }
                    }
                }
            }
            int yBase = plane * oh * ow;
            for (int i = 0; i < oh * ow; i++) {
                float v = (float) acc[i];
                if (residual != null) v += residual[yBase + i];
                y[yBase + i] = d.act().apply(v);
            }
        });
    }
}
