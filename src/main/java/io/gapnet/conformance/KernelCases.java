package io.gapnet.conformance;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.GemmDesc;
import io.gapnet.backend.PadMode;
import io.gapnet.backend.PoolDesc;
import io.gapnet.backend.ReduceOp;
import io.gapnet.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;

/**
 * Every {@link io.gapnet.backend.Kernels} method with odd shapes on purpose (7x7 and 9x5 maps, 3 and 5
 * channels, batch 1 and 3, stride 2 with padding, groups, dilation), both convolution paths (implicit
 * GEMM and direct), every activation and binary op. One static method per op.
 */
public final class KernelCases {
    private KernelCases() {}

    public static List<KernelCase> all() {
        List<KernelCase> all = new ArrayList<>();
        all.addAll(conv2d());
        all.addAll(activation());
        all.addAll(binary());
        all.addAll(batchNormAndLrn());
        all.addAll(pools());
        all.addAll(gapAndGmp());
        all.addAll(reductions());
        all.addAll(gemm());
        all.addAll(matmul());
        all.addAll(softmax());
        all.addAll(movement());
        return all;
    }

    private static KernelCase conv(String tag, ConvDesc d, boolean bias, boolean residual) {
        List<Integer> in = new ArrayList<>(List.of((int) d.inputSize(), (int) d.weightSize()));
        if (bias) in.add(d.oc());
        if (residual) in.add((int) d.outputSize());
        String name = String.format("conv2d %s n%d c%d %dx%d oc%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d %s%s%s", tag, d.n(), d.c(),
                d.h(), d.w(), d.oc(), d.kh(), d.kw(), d.strideH(), d.strideW(), d.dilationH(), d.dilationW(), d.padTop(),
                d.padLeft(), d.padBottom(), d.padRight(), d.group(), d.act(), bias ? " +bias" : "", residual ? " +residual" : "");
        float[] scales = new float[in.size()];
        java.util.Arrays.fill(scales, 1f);
        scales[1] = (float) (1 / Math.sqrt(Math.max(1, d.cPerGroup() * d.kh() * d.kw()))); // unit-size outputs, as trained weights give
        return KernelCase.of(name, d.outputSize(), (k, x, y) -> k.conv2d(d, x[0], x[1], bias ? x[2] : null,
                residual ? x[bias ? 3 : 2] : null, y), in.stream().mapToInt(Integer::intValue).toArray()).withScales(scales);
    }

    /**
     * {@link io.gapnet.backend.Kernels#conv2dPair} (a block's last convolution with its projection shortcut), for the
     * backends whose {@link io.gapnet.backend.Backend#convPairs} is true: 1x1 pairs that the fast CPU engine computes as
     * one product (the shortcut at stride 1 and 2, odd maps, reductions past one block of 256 steps, without biases,
     * clip; 7x7 maps of one image transposed, pixels as rows, the block convolution's input read in place or gathered),
     * and pairs it runs one after the other (one transposed and the other not, groups, 3x3).
     */
    public static List<KernelCase> convPairs() {
        return convPairShapes().stream().map(KernelCases::pair).toList();
    }

    /**
     * A block's last convolution and its shortcut (same output shape), with or without each bias; {@code oneProduct}:
     * the fast CPU engine computes them as one product (its test asserts that they take that path, or do not).
     */
    public record PairShape(ConvDesc main, ConvDesc shortcut, boolean mainBias, boolean shortcutBias, boolean oneProduct) {}

    /** The shapes of {@link #convPairs}. */
    public static List<PairShape> convPairShapes() {
        Activation relu = Activation.RELU, none = Activation.NONE;
        return List.of(
                new PairShape(pw(2, 24, 14, 14, 40, 1, relu), pw(2, 16, 14, 14, 40, 1, none), true, true, true),
                new PairShape(pw(3, 20, 7, 9, 50, 1, relu), pw(3, 12, 14, 18, 50, 2, none), true, true, true),
                new PairShape(pw(1, 36, 8, 8, 70, 1, Activation.clip(-0.5f, 0.5f)), pw(1, 20, 15, 15, 70, 2, none), false, false, true),
                new PairShape(pw(1, 300, 12, 12, 64, 1, relu), pw(1, 270, 24, 24, 64, 2, none), true, false, true),
                new PairShape(pw(2, 64, 10, 10, 33, 1, none), pw(2, 520, 10, 10, 33, 1, none), false, true, true),
                new PairShape(pw(1, 40, 7, 7, 96, 1, relu), pw(1, 24, 13, 13, 96, 2, none), true, true, true),
                new PairShape(pw(1, 600, 7, 7, 64, 1, relu), pw(1, 300, 13, 13, 64, 2, none), false, true, true),
                new PairShape(pw(1, 512, 14, 14, 64, 1, relu), pw(1, 40, 28, 28, 64, 2, none), true, true, false),
                new PairShape(new ConvDesc(2, 8, 9, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, relu),
                        new ConvDesc(2, 6, 17, 17, 12, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, none), true, true, false));
    }

    /** A 1x1 unpadded ungrouped convolution of an h x w input at stride s. */
    private static ConvDesc pw(int n, int c, int h, int w, int oc, int s, Activation act) {
        return new ConvDesc(n, c, h, w, oc, 1, 1, s, s, 1, 1, 0, 0, 0, 0, 1, act);
    }

    private static KernelCase pair(PairShape shape) {
        ConvDesc a = shape.main(), b = shape.shortcut();
        boolean biasA = shape.mainBias(), biasB = shape.shortcutBias();
        String tag = shape.oneProduct() ? "one product" : "one after the other";
        List<Integer> in = new ArrayList<>(List.of((int) a.inputSize(), (int) a.weightSize()));
        if (biasA) in.add(a.oc());
        int xb = in.size();
        in.add((int) b.inputSize());
        in.add((int) b.weightSize());
        if (biasB) in.add(b.oc());
        String name = String.format("conv2d pair %s: n%d c%d %dx%d oc%d k%dx%d s%d %s%s + shortcut c%d %dx%d k%dx%d s%d%s",
                tag, a.n(), a.c(), a.h(), a.w(), a.oc(), a.kh(), a.kw(), a.strideH(), a.act(), biasA ? " +bias" : "", b.c(),
                b.h(), b.w(), b.kh(), b.kw(), b.strideH(), biasB ? " +bias" : "");
        float[] scales = new float[in.size()];
        java.util.Arrays.fill(scales, 1f);
        scales[1] = (float) (1 / Math.sqrt(Math.max(1, a.cPerGroup() * a.kh() * a.kw())));
        scales[xb + 1] = (float) (1 / Math.sqrt(Math.max(1, b.cPerGroup() * b.kh() * b.kw())));
        return KernelCase.of(name, a.outputSize(), (k, x, y) -> k.conv2dPair(a, x[0], x[1], biasA ? x[2] : null, b, x[xb],
                x[xb + 1], biasB ? x[xb + 2] : null, y), in.stream().mapToInt(Integer::intValue).toArray()).withScales(scales);
    }

    /**
     * Small outputs (a late layer at batch 1 or 2) that the fast CPU engine computes transposed, pixels as rows and
     * channels as columns (its test asserts that they take it): 3x3 on 7x7, stride 2 with uneven pads, a reduction past
     * one block, dilation; without padding (read with no test per value): 3x3 over two images whose pixel rows share a
     * panel and three reduction blocks, stride 2.
     */
    public static List<ConvDesc> transposedShapes() {
        Activation relu = Activation.RELU;
        return List.of(
                new ConvDesc(1, 64, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu),
                new ConvDesc(2, 40, 14, 13, 64, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 1, Activation.clip(-0.5f, 0.5f)),
                new ConvDesc(1, 300, 6, 6, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.leakyRelu(0.1f)),
                new ConvDesc(1, 16, 9, 9, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, Activation.of(Activation.Kind.SIGMOID)),
                new ConvDesc(2, 70, 9, 9, 64, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu),
                new ConvDesc(1, 24, 15, 15, 32, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, Activation.NONE));
    }

    /**
     * 3x3 stride-1 convolutions large enough for the fast CPU path's Winograd F(4x4,3x3) (its test asserts that
     * they take it), each at an edge of the tiling: maps not a multiple of 4, asymmetric and absent padding, tiles
     * past the last image, channel counts not a multiple of the register tile or past one reduction block, groups.
     */
    public static List<ConvDesc> winogradShapes() {
        Activation relu = Activation.RELU;
        return List.of(
                wino(2, 16, 16, 16, 16, 1, 1, 1, 1, 1, Activation.NONE),        // whole tiles only
                wino(3, 20, 13, 11, 24, 1, 1, 1, 1, 1, relu),                   // odd sizes: tiles cut at both edges
                wino(3, 9, 10, 17, 13, 0, 0, 0, 0, 1, Activation.clip(-0.5f, 0.5f)), // no padding, odd channel counts
                wino(4, 12, 12, 9, 10, 2, 0, 1, 2, 1, Activation.leakyRelu(0.1f)), // asymmetric padding
                wino(2, 32, 14, 14, 40, 1, 1, 1, 1, 2, relu),                   // groups
                wino(3, 300, 12, 12, 14, 1, 1, 1, 1, 1, relu),                  // reduction past one block (256)
                wino(8, 8, 7, 7, 70, 1, 1, 1, 1, 1, Activation.of(Activation.Kind.HARD_SWISH)), // 7x7 maps, many rows
                wino(1, 64, 28, 28, 64, 1, 1, 1, 1, 1, relu),                   // ResNet-like: 49 tiles, several panels
                // at most one panel of tiles: on 32-tile panels the tiles are the rows of a transposed product
                wino(1, 24, 14, 14, 40, 1, 1, 1, 1, 1, relu),                   // 16 tiles, a partial channel panel
                wino(1, 300, 13, 11, 35, 1, 1, 1, 1, 1, Activation.leakyRelu(0.1f)), // 12 cut tiles, two blocks
                wino(1, 32, 14, 14, 40, 1, 1, 1, 1, 2, relu));                  // groups
    }

    /** How many of {@link #winogradShapes}, at its end, have at most one 32-tile panel of tiles. */
    public static final int WINOGRAD_ROW_SHAPES = 3;

    private static ConvDesc wino(int n, int c, int h, int w, int oc, int pt, int pl, int pb, int pr, int g, Activation act) {
        return new ConvDesc(n, c, h, w, oc, 3, 3, 1, 1, 1, 1, pt, pl, pb, pr, g, act);
    }

    static List<KernelCase> conv2d() {
        List<KernelCase> c = new ArrayList<>();
        Activation relu = Activation.RELU, none = Activation.NONE;
        // implicit GEMM path (reduction >= 32 taps, >= 8 output channels per group)
        c.add(conv("gemm", new ConvDesc(1, 5, 7, 7, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, none), true, false));
        c.add(conv("gemm", new ConvDesc(3, 5, 9, 5, 70, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("gemm", new ConvDesc(2, 3, 11, 13, 9, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, relu), false, false));
        c.add(conv("gemm", new ConvDesc(1, 40, 7, 7, 65, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.clip(0, 6)), true, true));
        c.add(conv("gemm", new ConvDesc(1, 8, 9, 9, 16, 3, 3, 1, 1, 2, 2, 0, 1, 2, 1, 2, Activation.of(Activation.Kind.HARD_SWISH)), true, false));
        c.add(conv("gemm", new ConvDesc(3, 33, 5, 6, 17, 1, 1, 2, 1, 1, 1, 0, 0, 0, 0, 1, none), false, true));
        // direct path (depthwise, few output channels, short reductions)
        c.add(conv("direct", new ConvDesc(3, 5, 7, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, relu), true, false));
        c.add(conv("direct", new ConvDesc(1, 6, 9, 5, 12, 5, 3, 1, 2, 1, 1, 2, 1, 2, 1, 6, none), false, false));
        c.add(conv("direct", new ConvDesc(1, 1, 7, 7, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, none), true, true));
        c.add(conv("direct", new ConvDesc(2, 4, 7, 7, 6, 3, 3, 1, 1, 3, 3, 3, 0, 0, 3, 2, Activation.leakyRelu(0.1f)), true, true));
        // depthwise as ConvNeXt (7x7, pad 3) and MobileNet (3x3 stride 2) have them; a kernel wider than the map
        c.add(conv("depthwise", new ConvDesc(2, 16, 30, 30, 16, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 16, Activation.of(Activation.Kind.GELU)),
                true, true));
        c.add(conv("depthwise", new ConvDesc(1, 24, 29, 31, 24, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 24, Activation.clip(0, 6)), true, false));
        c.add(conv("depthwise", new ConvDesc(1, 8, 5, 4, 16, 3, 7, 1, 3, 2, 1, 2, 4, 1, 3, 8, none), false, true));
        // shapes for the fast CPU engine's paths: padded stride-1 maps at least 14 wide (shifted rows, then
        // compaction), reductions over more than one 256-step block, row counts that are not a multiple of 6,
        // column panels that cross image boundaries, maps narrower than a vector, grouped gathers
        c.add(conv("wide", new ConvDesc(2, 40, 16, 15, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("wide", new ConvDesc(1, 6, 20, 20, 8, 3, 3, 1, 1, 2, 2, 0, 0, 0, 0, 1, Activation.clip(-0.2f, 0.3f)), false, false));
        c.add(conv("wide", new ConvDesc(2, 4, 9, 18, 8, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 2, none), true, false));
        c.add(conv("pointwise", new ConvDesc(3, 300, 7, 7, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.leakyRelu(0.2f)), true, true));
        c.add(conv("pointwise", new ConvDesc(2, 32, 10, 10, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, Activation.of(Activation.Kind.SIGMOID)), true, true));
        c.add(conv("pointwise", new ConvDesc(4, 20, 3, 3, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), false, true));
        c.add(conv("gather", new ConvDesc(2, 64, 9, 9, 12, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 2, relu), true, true));
        // one reduction block (at most 256 steps) and more output channels than one row block of the fast CPU
        // engine (32 panels of 6): the rows stream through the tile buffer in several blocks, columns cross images
        c.add(conv("expand", new ConvDesc(2, 24, 5, 5, 400, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), true, true));
        c.add(conv("expand", new ConvDesc(1, 32, 6, 6, 460, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, Activation.leakyRelu(0.1f)), true, false));
        // more output channels than one work item of the fast CPU engine takes (90 register-tile rows), over two
        // reduction blocks, so that partial tiles of both row items wait between blocks
        c.add(conv("expand", new ConvDesc(1, 300, 12, 12, 560, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), true, true));
        // whole register tiles that the fast CPU engine finishes straight from L1 (bias, residual and activation per
        // tile right after its last reduction block): two groups, so rows are offset by the group, over two blocks
        c.add(conv("tiles", new ConvDesc(2, 600, 8, 8, 36, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, Activation.clip(-1f, 1f)), true, true));
        // 49 column panels of 32 (two 28x28 images): more panels than the fast CPU engine puts in 7 items of at most 8, so
        // with two or more threads it spreads them over 8 items of 6 or 7 panels, ranges that do not start at multiples
        // of a fixed width
        c.add(conv("pointwise", new ConvDesc(2, 16, 28, 28, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), true, true));
        // 7 column panels (one 14x14 image) and 9 row panels: an odd count of one-panel items, so with two threads the
        // engine also cuts the rows, into items of 5 and 4 panels
        c.add(conv("pointwise", new ConvDesc(1, 24, 14, 14, 50, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), true, true));
        List<ConvDesc> transposed = transposedShapes();
        boolean[] withBias = {true, true, true, false, true, false}, withResidual = {true, false, false, true, false, true};
        for (int i = 0; i < transposed.size(); i++) c.add(conv("transposed", transposed.get(i), withBias[i], withResidual[i]));
        c.add(conv("transposed", new ConvDesc(1, 64, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu), true, true).withSpecialValues());
        // strided convolutions on maps at least 14 wide (phase planes on the fast CPU path): a stem-like 7x7,
        // stride 3 with dilation and asymmetric pads, groups
        c.add(conv("phased", new ConvDesc(2, 8, 29, 31, 12, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("phased", new ConvDesc(1, 3, 33, 35, 16, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, relu), true, false));
        c.add(conv("phased", new ConvDesc(1, 4, 50, 47, 8, 3, 3, 3, 2, 2, 1, 1, 0, 2, 1, 1, none), false, false));
        c.add(conv("phased", new ConvDesc(2, 8, 30, 30, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, Activation.leakyRelu(0.1f)), true, true));
        // phase planes packed by output row, straight into the output: rows a whole number of vectors wide (a stem
        // with 32 output columns; 5x5 stride 1, which Winograd does not take), rows of 67 with vectors crossing their
        // ends and the image boundary
        c.add(conv("phased", new ConvDesc(1, 3, 64, 64, 16, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, relu), true, false));
        c.add(conv("phased", new ConvDesc(1, 4, 12, 64, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1, none), false, true));
        c.add(conv("phased", new ConvDesc(2, 3, 20, 134, 12, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 1, relu), true, true));
        // more than 96 output channels: phase planes where their columns waste little (28x28 out of 56x56), or where
        // the columns are few panels (14x14 at batch 1)
        c.add(conv("phased", new ConvDesc(1, 8, 56, 56, 100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("phased", new ConvDesc(1, 24, 28, 27, 100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, Activation.NONE), true, false));
        // 3x3 stride 1 with many channels (64 to 140), odd sizes
        c.add(conv("deep", new ConvDesc(2, 128, 9, 11, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("deep", new ConvDesc(1, 130, 7, 20, 140, 3, 3, 1, 1, 1, 1, 0, 1, 2, 0, 1, Activation.clip(-0.5f, 0.5f)), true, false));
        c.add(conv("deep", new ConvDesc(2, 72, 9, 11, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu), true, true));
        c.add(conv("deep", new ConvDesc(1, 64, 10, 7, 70, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 1, Activation.clip(-0.5f, 0.5f)), false, false));
        // 3x3 stride 1 shapes the fast CPU path runs by Winograd F(4x4,3x3), at every edge of its tiling
        List<ConvDesc> wino = winogradShapes();
        for (int i = 0; i < wino.size(); i++) c.add(conv("winograd", wino.get(i), i % 2 == 0, i % 3 != 1));
        c.add(conv("winograd", wino.get(1), true, true).withSpecialValues());
        c.add(conv("winograd", wino.get(wino.size() - 1), true, true).withSpecialValues());
        // NaN and infinities through the fused epilogues (vector ReLU, Clip, LeakyRelu): NaN stays NaN
        c.add(conv("gemm", new ConvDesc(1, 40, 7, 7, 65, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, relu), true, true).withSpecialValues());
        c.add(conv("wide", new ConvDesc(2, 40, 16, 15, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, relu), true, false).withSpecialValues());
        c.add(conv("pointwise", new ConvDesc(3, 300, 7, 7, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, Activation.clip(-0.5f, 0.5f)), true,
                false).withSpecialValues());
        c.add(conv("direct", new ConvDesc(3, 5, 7, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, Activation.leakyRelu(0.1f)), true,
                false).withSpecialValues());
        return c;
    }

    static List<KernelCase> activation() {
        List<KernelCase> c = new ArrayList<>();
        int n = 1001;
        for (Activation.Kind kind : Activation.Kind.values()) {
            Activation a = kind == Activation.Kind.CLIP ? Activation.clip(-0.5f, 0.7f)
                    : kind == Activation.Kind.SELU ? new Activation(kind, 1.6732632f, 1.050701f)
                    : new Activation(kind, 0.3f, 0.4f);
            KernelCase k = KernelCase.of("activation " + a, n, (kr, x, y) -> kr.activation(a, n, x[0], y), n);
            boolean needsPositive = kind == Activation.Kind.LOG || kind == Activation.Kind.SQRT || kind == Activation.Kind.RECIPROCAL;
            c.add(needsPositive ? k.withPositiveInputs() : k);
            c.add(k.withSpecialValues()); // NaN in, NaN out, as ONNX defines every activation (Relu(NaN) is NaN)
        }
        int big = 3 * 64 * 56 * 56; // large enough for the fast CPU path to split
        Activation gelu = Activation.of(Activation.Kind.GELU);
        c.add(KernelCase.of("activation " + gelu + " x" + big, big, (kr, x, y) -> kr.activation(gelu, big, x[0], y), big));
        return c;
    }

    private static KernelCase binary(BinaryOp op, int[] a, int[] b) {
        int[] y = Shapes.broadcast(a, b, "case");
        return KernelCase.of("binary " + op + " " + Shapes.str(a) + " " + Shapes.str(b), Shapes.numel(y),
                (k, x, out) -> k.binary(op, a, x[0], b, x[1], y, out), Shapes.numel(a), Shapes.numel(b));
    }

    static List<KernelCase> binary() {
        List<KernelCase> c = new ArrayList<>();
        for (BinaryOp op : BinaryOp.values()) {
            KernelCase k = binary(op, new int[] {3, 1, 5}, new int[] {4, 1});
            c.add(op == BinaryOp.POW ? k.withPositiveInputs() : k);
        }
        c.add(binary(BinaryOp.ADD, new int[] {3, 5, 7, 7}, new int[] {3, 5, 7, 7}));
        c.add(binary(BinaryOp.MUL, new int[] {3, 5, 7, 7}, new int[] {3, 5, 1, 1}));
        c.add(binary(BinaryOp.SUB, new int[] {1}, new int[] {2, 3, 4}));
        c.add(binary(BinaryOp.PRELU, new int[] {2, 5, 3, 3}, new int[] {5, 1, 1}));
        // large enough for the fast CPU path to split: same shapes, a gate per plane, both sides broadcast
        c.add(binary(BinaryOp.DIV, new int[] {2, 32, 32, 32}, new int[] {2, 32, 32, 32}).withPositiveInputs());
        c.add(binary(BinaryOp.MUL, new int[] {2, 32, 32, 32}, new int[] {2, 32, 1, 1}));
        c.add(binary(BinaryOp.SUB, new int[] {1, 32, 1, 1}, new int[] {2, 32, 32, 32}));
        c.add(binary(BinaryOp.ADD, new int[] {2, 1, 32, 32}, new int[] {2, 32, 1, 1}));
        c.add(binary(BinaryOp.MAX, new int[] {300, 1}, new int[] {300, 200}).withSpecialValues());
        c.add(binary(BinaryOp.GREATER, new int[] {300, 1}, new int[] {300, 1}));
        return c;
    }

    static List<KernelCase> batchNormAndLrn() {
        List<KernelCase> c = new ArrayList<>();
        int n = 3, ch = 5, s = 49;
        c.add(KernelCase.of("batchNorm n3 c5 7x7", n * ch * s,
                (k, x, y) -> k.batchNorm(n, ch, s, 1e-5f, x[0], x[1], x[2], x[3], x[4], y), n * ch * s, ch, ch, ch, ch).withPositiveInputs());
        c.add(KernelCase.of("layerNorm 6 rows of 33, scale and bias", 6 * 33,
                (k, x, y) -> k.layerNorm(6, 33, 1e-5f, x[0], x[1], x[2], y), 6 * 33, 33, 33));
        c.add(KernelCase.of("layerNorm 3136 rows of 96", 3136 * 96, (k, x, y) -> k.layerNorm(3136, 96, 1e-6f, x[0], x[1], x[2], y),
                3136 * 96, 96, 96));
        c.add(KernelCase.of("layerNorm 4 rows of 300", 4 * 300, (k, x, y) -> k.layerNorm(4, 300, 1e-6f, x[0], null, null, y), 4 * 300));
        c.add(KernelCase.of("layerNorm 3 rows of 7", 21, (k, x, y) -> k.layerNorm(3, 7, 1e-5f, x[0], x[1], x[2], y), 21, 7, 7)
                .withSpecialValues());
        for (int size : new int[] {3, 4}) {
            c.add(KernelCase.of("lrn c7 size" + size, 2 * 7 * 9, (k, x, y) -> k.lrn(2, 7, 9, size, 1e-2f, 0.75f, 2f, x[0], y), 2 * 7 * 9));
        }
        return c;
    }

    private static KernelCase pool(boolean max, PoolDesc d) {
        String name = String.format("%s n%d c%d %dx%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d -> %dx%d%s", max ? "maxPool" : "avgPool",
                d.n(), d.c(), d.h(), d.w(), d.kh(), d.kw(), d.strideH(), d.strideW(), d.dilationH(), d.dilationW(), d.padTop(),
                d.padLeft(), d.padBottom(), d.padRight(), d.oh(), d.ow(), d.countIncludePad() ? " include-pad" : "");
        return KernelCase.of(name, d.outputSize(), (k, x, y) -> {
            if (max) k.maxPool(d, x[0], y);
            else k.avgPool(d, x[0], y);
        }, (int) d.inputSize());
    }

    static List<KernelCase> pools() {
        List<KernelCase> c = new ArrayList<>();
        for (boolean max : new boolean[] {true, false}) {
            c.add(pool(max, new PoolDesc(3, 5, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 4, false)));
            c.add(pool(max, new PoolDesc(1, 3, 9, 5, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 5, 3, false))); // ceil mode
            c.add(pool(max, new PoolDesc(2, 2, 7, 7, 2, 3, 1, 2, 2, 1, 1, 0, 0, 1, 6, 3, true)));
            c.add(pool(max, new PoolDesc(1, 4, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 8, true)));
            // rows wider than a vector (the fast path's vector passes), ceil mode past the right edge
            c.add(pool(max, new PoolDesc(2, 3, 21, 37, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 11, 19, false)));
            c.add(pool(max, new PoolDesc(1, 2, 17, 40, 5, 4, 3, 3, 1, 1, 2, 0, 0, 2, 6, 14, false))); // ceil mode
            // stride 2 over rows of 34 outputs, more than two vectors of them, with no left padding
            c.add(pool(max, new PoolDesc(1, 2, 9, 70, 3, 3, 2, 2, 1, 1, 1, 0, 1, 0, 5, 34, false)));
            // a window holding NaN is NaN, an infinity wins a max and dominates a mean
            c.add(pool(max, new PoolDesc(3, 5, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4, 4, false)).withSpecialValues());
            c.add(pool(max, new PoolDesc(2, 3, 21, 37, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 11, 19, false)).withSpecialValues());
        }
        return c;
    }

    static List<KernelCase> gapAndGmp() {
        List<KernelCase> c = new ArrayList<>();
        // 200 and 97: the GPU kernels' four-way (GAP) and two-way (GMP) unrolled loops with a remainder
        int[][] shapes = {{3, 5, 49}, {1, 3, 1}, {2, 7, 3136}, {1, 2048, 49}, {2, 3, 200}, {1, 4, 97}};
        for (int[] s : shapes) {
            int n = s[0], ch = s[1], sp = s[2];
            c.add(KernelCase.of("gap " + n + "x" + ch + "x" + sp, n * ch, (k, x, y) -> k.gap(n, ch, sp, x[0], y), n * ch * sp));
            c.add(KernelCase.of("gmp " + n + "x" + ch + "x" + sp, n * ch, (k, x, y) -> k.gmp(n, ch, sp, x[0], y), n * ch * sp));
        }
        c.add(KernelCase.of("gap 3x5x49", 15, (k, x, y) -> k.gap(3, 5, 49, x[0], y), 3 * 5 * 49).withSpecialValues());
        c.add(KernelCase.of("gmp 3x5x49", 15, (k, x, y) -> k.gmp(3, 5, 49, x[0], y), 3 * 5 * 49).withSpecialValues());
        c.add(KernelCase.of("gmp 1x2048x49", 2048, (k, x, y) -> k.gmp(1, 2048, 49, x[0], y), 2048 * 49).withSpecialValues());
        c.add(KernelCase.of("gap 2x3x200", 6, (k, x, y) -> k.gap(2, 3, 200, x[0], y), 2 * 3 * 200).withSpecialValues());
        c.add(KernelCase.of("gmp 2x3x200", 6, (k, x, y) -> k.gmp(2, 3, 200, x[0], y), 2 * 3 * 200).withSpecialValues());
        // GeM: p = 3 with the usual clamp; a learned, non-integer p; p = 2 with no clamp (root-mean-square pooling)
        c.add(KernelCase.of("gem p=3 2x7x49", 14, (k, x, y) -> k.gem(2, 7, 49, 3f, 1 / 3f, 1e-6f, x[0], y), 2 * 7 * 49));
        c.add(KernelCase.of("gem p=2.7 1x512x3136", 512, (k, x, y) -> k.gem(1, 512, 3136, 2.7f, 1 / 2.7f, 1e-6f, x[0], y),
                512 * 3136));
        c.add(KernelCase.of("gem p=2 no clamp 3x5x1", 15, (k, x, y) -> k.gem(3, 5, 1, 2f, 0.5f, Float.NEGATIVE_INFINITY, x[0], y), 15));
        c.add(KernelCase.of("gem p=3 3x5x49", 15, (k, x, y) -> k.gem(3, 5, 49, 3f, 1 / 3f, 1e-6f, x[0], y), 3 * 5 * 49)
                .withSpecialValues());
        return c;
    }

    static List<KernelCase> reductions() {
        int[] shape = {2, 3, 4, 5};
        boolean[][] axes = {{false, true, false, true}, {true, false, false, false}, {true, true, true, true}};
        List<KernelCase> c = new ArrayList<>();
        for (ReduceOp op : ReduceOp.values()) {
            for (boolean[] r : axes) {
                int outputs = 1;
                StringBuilder name = new StringBuilder(op.onnxName() + " [2,3,4,5] axes");
                for (int i = 0; i < 4; i++) {
                    if (r[i]) name.append(' ').append(i);
                    else outputs *= shape[i];
                }
                KernelCase k = KernelCase.of(name.toString(), outputs, (kr, x, y) -> kr.reduce(op, shape, r, x[0], y), 120);
                c.add(op == ReduceOp.LOG_SUM ? k.withPositiveInputs() : k);
            }
            c.add(KernelCase.of(op.onnxName() + " [2,3,4,5] axes 1 3", 8,
                    (kr, x, y) -> kr.reduce(op, shape, axes[0], x[0], y), 120).withSpecialValues());
        }
        return c;
    }

    private static KernelCase gemm(GemmDesc d, boolean withC) {
        String name = String.format("gemm m%d n%d k%d%s%s a%.1f b%.1f c[%d,%d]%s %s", d.m(), d.n(), d.k(), d.transA() ? " tA" : "",
                d.transB() ? " tB" : "", d.alpha(), d.beta(), d.cRows(), d.cCols(), withC ? "" : " none", d.act());
        if (withC) {
            return KernelCase.of(name, (long) d.m() * d.n(), (k, x, y) -> k.gemm(d, x[0], x[1], x[2], y), d.m() * d.k(),
                    d.k() * d.n(), d.cRows() * d.cCols());
        }
        return KernelCase.of(name, (long) d.m() * d.n(), (k, x, y) -> k.gemm(d, x[0], x[1], null, y), d.m() * d.k(), d.k() * d.n());
    }

    static List<KernelCase> gemm() {
        return List.of(
                gemm(new GemmDesc(5, 70, 33, false, false, 1, 1, 1, 70, Activation.NONE), true),
                gemm(new GemmDesc(1, 1000, 512, false, true, 1, 1, 1, 1000, Activation.NONE), true),
                // classifier heads of a few images: four classes at a time, then the classes and features left over
                gemm(new GemmDesc(8, 70, 300, false, true, 1, 1, 1, 70, Activation.NONE), true),
                gemm(new GemmDesc(6, 1000, 512, false, true, 1, 1, 1, 1000, Activation.RELU), true),
                gemm(new GemmDesc(3, 17, 130, true, false, 0.5f, 2, 3, 1, Activation.RELU), true),
                gemm(new GemmDesc(67, 5, 9, true, true, 1, 0.5f, 67, 5, Activation.NONE), true),
                gemm(new GemmDesc(2, 3, 4, false, false, 1, 1, 1, 1, Activation.NONE), false),
                gemm(new GemmDesc(13, 70, 300, false, false, 1, 1, 1, 70, Activation.RELU), true),
                gemm(new GemmDesc(40, 37, 260, true, true, 1, 0, 1, 1, Activation.NONE), false));
    }

    private static KernelCase matmul(int[] a, int[] b, int[] y) {
        return KernelCase.of("matmul " + Shapes.str(a) + " x " + Shapes.str(b), Shapes.numel(y),
                (k, x, out) -> k.matmul(a, x[0], b, x[1], y, out), Shapes.numel(a), Shapes.numel(b));
    }

    static List<KernelCase> matmul() {
        return List.of(
                matmul(new int[] {2, 3, 5, 7}, new int[] {7, 4}, new int[] {2, 3, 5, 4}),
                matmul(new int[] {5, 7}, new int[] {3, 7, 6}, new int[] {3, 5, 6}),
                matmul(new int[] {1, 70}, new int[] {70, 65}, new int[] {1, 65}));
    }

    static List<KernelCase> softmax() {
        return List.of(
                KernelCase.of("softmax 3x10x1", 30, (k, x, y) -> k.softmax(3, 10, 1, x[0], y), 30),
                KernelCase.of("softmax 2x5x7", 70, (k, x, y) -> k.softmax(2, 5, 7, x[0], y), 70),
                KernelCase.of("softmax 1x1000x1", 1000, (k, x, y) -> k.softmax(1, 1000, 1, x[0], y), 1000));
    }

    static List<KernelCase> movement() {
        List<KernelCase> c = new ArrayList<>();
        int[] s = {2, 3, 4, 5};
        int[] perm = {0, 2, 3, 1};
        c.add(KernelCase.of("transpose [2,3,4,5] perm 0,2,3,1", 120, (k, x, y) -> k.transpose(s, perm, x[0], y), 120));
        // channels last and back, as ConvNeXt's LayerNorm has it, large enough for the fast CPU path to split
        int[] nchw = {2, 48, 28, 28}, nhwc = {2, 28, 28, 48};
        int big = Shapes.numel(nchw);
        c.add(KernelCase.of("transpose [2,48,28,28] perm 0,2,3,1", big, (k, x, y) -> k.transpose(nchw, new int[] {0, 2, 3, 1}, x[0], y), big));
        c.add(KernelCase.of("transpose [2,28,28,48] perm 0,3,1,2", big, (k, x, y) -> k.transpose(nhwc, new int[] {0, 3, 1, 2}, x[0], y), big));
        c.add(KernelCase.of("transpose [7] perm 0", 7, (k, x, y) -> k.transpose(new int[] {7}, new int[] {0}, x[0], y), 7));
        int[][] parts = {{2, 3, 5}, {2, 1, 5}, {2, 4, 5}};
        int[] cy = {2, 8, 5};
        c.add(KernelCase.of("concat axis 1", 80, (k, x, y) -> k.concat(1, parts, x, cy, y), 30, 10, 40));
        int[] ps = {2, 3, 5, 4};
        int[] begin = {0, 1, 2, 1}, end = {1, 0, 1, 3};
        for (PadMode mode : PadMode.values()) {
            int out = 3 * 4 * 8 * 8;
            c.add(KernelCase.of("pad " + mode, out, (k, x, y) -> k.pad(ps, begin, end, mode, 1.5f, x[0], y), 120));
        }
        int[] gs = {5, 7};
        int[] idx = {6, 0, 3};
        c.add(KernelCase.of("gather [5,7] axis 1", 15, (k, x, y) -> k.gather(gs, 1, idx, new int[] {3}, x[0], y), 35));
        int[] ss = {5, 9};
        int[] st = {1, 8}, sp = {2, -3}, so = {2, 3};
        c.add(KernelCase.of("slice [5,9] steps 2,-3", 6, (k, x, y) -> k.slice(ss, st, sp, so, x[0], y), 45));
        c.add(KernelCase.of("copy 333", 333, (k, x, y) -> k.copy(333, x[0], y), 333));
        return c;
    }
}
