package io.gapnet;

/**
 * Limits that protect a process from hostile or broken inputs: every claimed size is checked against them
 * before anything is allocated. Each can be set with a system property (shown per limit).
 *
 * @param maxTensorElements largest tensor gapnet creates, weights or activations
 *                          ({@code gapnet.limits.maxTensorElements}, default 2^31 - 16, the most a Java array holds)
 * @param maxModelBytes largest model file read ({@code gapnet.limits.maxModelBytes}, default 4 GiB)
 * @param maxNodes most nodes in one graph ({@code gapnet.limits.maxNodes}, default 1,000,000)
 * @param maxImagePixels most pixels an image may declare before it is decoded
 *                       ({@code gapnet.limits.maxImagePixels}, default 100,000,000)
 * @param maxImageSide longest side an image may declare ({@code gapnet.limits.maxImageSide}, default 65,535)
 * @param maxHostTensorBytes largest array gapnet computes on the host while importing or compiling a model
 *                           (constants a model computes, such as ConstantOfShape's, index maps of shape arithmetic)
 *                           ({@code gapnet.limits.maxHostTensorBytes}, default a quarter of the JVM's maximum heap)
 */
public record Limits(long maxTensorElements, long maxModelBytes, long maxNodes, long maxImagePixels, long maxImageSide,
                     long maxHostTensorBytes) {

    /** The limits in force: the defaults, overridden by system properties. */
    public static Limits current() {
        return new Limits(
                Long.getLong("gapnet.limits.maxTensorElements", Integer.MAX_VALUE - 16),
                Long.getLong("gapnet.limits.maxModelBytes", 4L << 30),
                Long.getLong("gapnet.limits.maxNodes", 1_000_000),
                Long.getLong("gapnet.limits.maxImagePixels", 100_000_000),
                Long.getLong("gapnet.limits.maxImageSide", 65_535),
                Long.getLong("gapnet.limits.maxHostTensorBytes", Runtime.getRuntime().maxMemory() / 4));
    }
}
