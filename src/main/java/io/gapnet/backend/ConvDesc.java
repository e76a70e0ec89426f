package io.gapnet.backend;

/**
 * A 2-D convolution over NCHW float32 data. Weights are [oc, c/group, kh, kw]. Output is
 * {@code y = act(conv(x, w) + bias + residual)} where bias (per output channel) and residual (same shape
 * as y) are optional.
 */
public record ConvDesc(int n, int c, int h, int w, int oc, int kh, int kw,
                       int strideH, int strideW, int dilationH, int dilationW,
                       int padTop, int padLeft, int padBottom, int padRight,
                       int group, Activation act) {

    public int outH() {
        return outSize(h, kh, strideH, dilationH, padTop + padBottom);
    }

    public int outW() {
        return outSize(w, kw, strideW, dilationW, padLeft + padRight);
    }

    public int cPerGroup() {
        return c / group;
    }

    public int ocPerGroup() {
        return oc / group;
    }

    public long inputSize() {
        return (long) n * c * h * w;
    }

    public long weightSize() {
        return (long) oc * cPerGroup() * kh * kw;
    }

    public long outputSize() {
        return (long) n * oc * outH() * outW();
    }

    /** Multiply-accumulates of one run. */
    public long macs() {
        return outputSize() * cPerGroup() * kh * kw;
    }

    /**
     * Whether the GPU backends run this convolution as a tiled implicit GEMM: worthwhile when every output
     * reduces over at least 32 taps and a group has at least 8 output channels; smaller ones (depthwise)
     * run as a direct kernel.
     */
    public boolean implicitGemm() {
        return (long) cPerGroup() * kh * kw >= 32 && ocPerGroup() >= 8;
    }

    public ConvDesc withAct(Activation a) {
        return new ConvDesc(n, c, h, w, oc, kh, kw, strideH, strideW, dilationH, dilationW,
                padTop, padLeft, padBottom, padRight, group, a);
    }

    /** Output length of a sliding window (floor mode), as ONNX defines it for Conv and pools. */
    public static int outSize(int in, int k, int stride, int dilation, int padTotal) {
        int effective = dilation * (k - 1) + 1;
        return Math.floorDiv(in + padTotal - effective, stride) + 1;
    }
}
