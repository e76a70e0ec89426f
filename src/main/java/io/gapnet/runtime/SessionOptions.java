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
 * @param prepareAtOpen when every model input has a fixed shape (a dynamic first dimension counts as batch 1):
 *                      compile that plan, upload the weights and let the backend pack them while the Session opens,
 *                      so that the first run does not ({@code gapnet.session.prepare}, default true); a model that
 *                      cannot be prepared so opens as before and reports its problem at the first run
 */
public record SessionOptions(boolean checkFinite, int maxPlans, long maxPlanBytes, boolean prepareAtOpen) {
    public static final SessionOptions DEFAULT = new SessionOptions(false,
            Integer.getInteger("gapnet.session.maxPlans", 64), Long.getLong("gapnet.session.maxPlanBytes", 1L << 30),
            Boolean.parseBoolean(System.getProperty("gapnet.session.prepare", "true")));

    public SessionOptions {
        if (maxPlans < 1) throw new GapnetException("maxPlans must be at least 1, not " + maxPlans);
        if (maxPlanBytes < 0) throw new GapnetException("maxPlanBytes must be 0 or more, not " + maxPlanBytes);
    }

    public SessionOptions withCheckFinite(boolean on) {
        return new SessionOptions(on, maxPlans, maxPlanBytes, prepareAtOpen);
    }

    /** The plan cache's bounds: at most {@code plans} plans and {@code bytes} bytes of their memory. */
    public SessionOptions withPlanCache(int plans, long bytes) {
        return new SessionOptions(checkFinite, plans, bytes, prepareAtOpen);
    }

    public SessionOptions withPrepareAtOpen(boolean on) {
        return new SessionOptions(checkFinite, maxPlans, maxPlanBytes, on);
    }
}
