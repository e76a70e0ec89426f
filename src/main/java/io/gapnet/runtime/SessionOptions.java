package io.gapnet.runtime;

import io.gapnet.GapnetException;

/**
 * How a {@link Session} runs.
 *
 * @param checkFinite check the inputs and every layer's output for NaN and infinity, and throw
 *                    {@link io.gapnet.NonFiniteException} naming the first layer that produced one. It
 *                    synchronises and copies every output to the host: a debugging aid, slow.
 * @param maxPlans most compiled plans (one per input shape) kept; the least recently used beyond it is freed,
 *                 with its activation memory ({@code gapnet.session.maxPlans}, default 64)
 * @param maxPlanBytes most bytes of activation memory and plan-specific constants the cached plans may hold
 *                     ({@code gapnet.session.maxPlanBytes}, default 1 GiB); a plan larger than this alone is still
 *                     run, and freed when the next one is cached
 */
public record SessionOptions(boolean checkFinite, int maxPlans, long maxPlanBytes) {
    public static final SessionOptions DEFAULT = new SessionOptions(false,
            Integer.getInteger("gapnet.session.maxPlans", 64), Long.getLong("gapnet.session.maxPlanBytes", 1L << 30));

    public SessionOptions {
        if (maxPlans < 1) throw new GapnetException("maxPlans must be at least 1, not " + maxPlans);
        if (maxPlanBytes < 0) throw new GapnetException("maxPlanBytes must be 0 or more, not " + maxPlanBytes);
    }

    public SessionOptions withCheckFinite(boolean on) {
        return new SessionOptions(on, maxPlans, maxPlanBytes);
    }

    /** The plan cache's bounds: at most {@code plans} plans and {@code bytes} bytes of their memory. */
    public SessionOptions withPlanCache(int plans, long bytes) {
        return new SessionOptions(checkFinite, plans, bytes);
    }
}
