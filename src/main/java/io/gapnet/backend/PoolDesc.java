package io.gapnet.backend;

/**
 * A 2-D max or average pool over NCHW float32 data. Output size {@code oh, ow} is given (it depends on
 * ceil_mode, which the compiler resolves). Windows that reach past the input are clipped: max ignores
 * positions outside the input; average divides by the number of positions inside the input, or by the
 * full window clipped to the padded extent when {@code countIncludePad} is set.
 */
public record PoolDesc(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                       int dilationH, int dilationW, int padTop, int padLeft, int padBottom, int padRight,
                       int oh, int ow, boolean countIncludePad) {

    public long inputSize() {
        return (long) n * c * h * w;
    }

    public long outputSize() {
        return (long) n * c * oh * ow;
    }
}
