package io.gapnet.runtime;

/**
 * How a {@link Session} runs.
 *
 * @param checkFinite check the inputs and every layer's output for NaN and infinity, and throw
 *                    {@link io.gapnet.NonFiniteException} naming the first layer that produced one. It
 *                    synchronises and copies every output to the host: a debugging aid, slow.
 */
public record SessionOptions(boolean checkFinite) {
    public static final SessionOptions DEFAULT = new SessionOptions(false);

    public SessionOptions withCheckFinite(boolean on) {
        return new SessionOptions(on);
    }
}
