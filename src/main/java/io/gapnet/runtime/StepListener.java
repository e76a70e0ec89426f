package io.gapnet.runtime;

/** Receives each step's wall time when a run is profiled (the queue is synchronised after every step). */
@FunctionalInterface
public interface StepListener {
    void stepDone(int index, Step step, long nanos);
}
