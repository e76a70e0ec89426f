package io.gapnet.backend;

/**
 * One method per op, NCHW float32, the same names in every backend and kernel source. Buffers must belong
 * to the backend whose queue these kernels came from. Shapes are passed explicitly; outputs never alias
 * inputs unless a method says so.
 */
public interface Kernels {
    /** 2-D convolution with optional bias and residual (null when absent) and a fused activation. */
    void conv2d(ConvDesc d, DeviceBuffer x, DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y);

    /**
     * Makes now, ahead of the first {@link #conv2d} with {@code d}, whatever form of the constant weights {@code w}
     * that call keeps with the buffer (packed or transformed weights), so that the first run does not pay for it.
     * Nothing where a backend keeps no such form, or where {@code w} is not constant.
     */
    default void prepareConv2d(ConvDesc d, DeviceBuffer w) {
    }

    /**
     * y = act(conv_a(xa) + conv_b(xb)), each with its own bias (null when absent), for two convolutions with the same
     * output shape: a's activation applies to the sum, b has none. The same result as {@link #conv2d} of b followed by
     * {@link #conv2d} of a with b's output as its residual. Only called on backends whose {@link Backend#convPairs} is
     * true.
     */
    default void conv2dPair(ConvDesc a, DeviceBuffer xa, DeviceBuffer wa, DeviceBuffer ba, ConvDesc b, DeviceBuffer xb,
                            DeviceBuffer wb, DeviceBuffer bb, DeviceBuffer y) {
        throw new UnsupportedOperationException("this backend does not run convolution pairs (Backend.convPairs is false)");
    }

    /** Inference batch normalisation of [n, c, spatial] data: {@code (x - mean) / sqrt(var + eps) * scale + bias}. */
    void batchNorm(int n, int c, int spatial, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                   DeviceBuffer mean, DeviceBuffer var, DeviceBuffer y);

    /**
     * Layer normalisation of {@code rows} rows of {@code len} values: {@code y = (x - mean) / sqrt(var + eps) * scale +
     * bias} with the row's mean and (biased) variance; scale and bias have {@code len} values each and may be null
     * (1 and 0). Instance and group normalisation are this over [N*C, spatial] and [N*G, C/G*spatial].
     */
    void layerNorm(int rows, int len, float eps, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias, DeviceBuffer y);

    /** Element-wise activation of {@code count} elements; y may be x. */
    void activation(Activation act, int count, DeviceBuffer x, DeviceBuffer y);

    /**
     * Local response normalisation across channels of [n, c, spatial] data:
     * {@code y = x / (bias + alpha / size * sum of x^2 over channels c - (size-1)/2 .. c + size/2) ^ beta}.
     */
    void lrn(int n, int c, int spatial, int size, float alpha, float beta, float bias, DeviceBuffer x, DeviceBuffer y);

    /** Element-wise binary op: a and b are each broadcast (numpy rules) to yShape. */
    void binary(BinaryOp op, int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y);

    void maxPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y);

    void avgPool(PoolDesc d, DeviceBuffer x, DeviceBuffer y);

    /** Global average pooling: [n, c, spatial] to [n, c]. spatial must be positive. */
    void gap(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y);

    /** Global max pooling: [n, c, spatial] to [n, c]. spatial must be positive. */
    void gmp(int n, int c, int spatial, DeviceBuffer x, DeviceBuffer y);

    /**
     * Generalised-mean (GeM) pooling: [n, c, spatial] to [n, c], {@code y = mean(max(x, eps)^p)^q} per plane, with
     * {@code q} normally 1/p; {@code eps = -infinity} is no clamp, and a NaN input stays NaN. spatial must be positive.
     */
    void gem(int n, int c, int spatial, float p, float q, float eps, DeviceBuffer x, DeviceBuffer y);

    /**
     * The reduction {@code op} over the axes flagged in {@code reduce}; y has the kept dims in order (keepdims does
     * not change the data). {@link ReduceOp#reduce} is the specification.
     */
    void reduce(ReduceOp op, int[] shape, boolean[] reduce, DeviceBuffer x, DeviceBuffer y);

    /** General matrix multiply; c may be null. */
    void gemm(GemmDesc d, DeviceBuffer a, DeviceBuffer b, DeviceBuffer c, DeviceBuffer y);

    /** numpy matmul of a [..., m, k] and b [..., k, n] with broadcast batch dims; shapes have rank 2 or more. */
    void matmul(int[] aShape, DeviceBuffer a, int[] bShape, DeviceBuffer b, int[] yShape, DeviceBuffer y);

    /** Softmax over the middle axis of [outer, axisLen, inner] data. */
    void softmax(int outer, int axisLen, int inner, DeviceBuffer x, DeviceBuffer y);

    /** Permutes the axes: y's axis i is x's axis perm[i]. */
    void transpose(int[] shape, int[] perm, DeviceBuffer x, DeviceBuffer y);

    /** Joins the inputs along {@code axis}; every input has {@code yShape} except along that axis. */
    void concat(int axis, int[][] shapes, DeviceBuffer[] xs, int[] yShape, DeviceBuffer y);

    /** Pads each axis by {@code begin[i]} before and {@code end[i]} after (both non-negative). */
    void pad(int[] shape, int[] begin, int[] end, PadMode mode, float value, DeviceBuffer x, DeviceBuffer y);

    /** Takes {@code indices} (non-negative, already normalised) along {@code axis}; y is shape[:axis] + indicesShape + shape[axis+1:]. */
    void gather(int[] shape, int axis, int[] indices, int[] indicesShape, DeviceBuffer x, DeviceBuffer y);

    /** y[i...] = x[start + i * step ...] per axis; steps may be negative. */
    void slice(int[] shape, int[] starts, int[] steps, int[] yShape, DeviceBuffer x, DeviceBuffer y);

    /** Copies {@code count} floats from x to y. */
    void copy(int count, DeviceBuffer x, DeviceBuffer y);
}
