package io.gapnet.runtime.ops;

import io.gapnet.runtime.PlanBuilder;

/** Turns the builder's current node into kernel steps (or constants), defining its output. */
@FunctionalInterface
public interface OpLowering {
    void lower(PlanBuilder b);
}
