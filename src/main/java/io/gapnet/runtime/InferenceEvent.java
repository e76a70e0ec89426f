package io.gapnet.runtime;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A Java Flight Recorder event per inference (one Session.run), on by default in recordings. */
@Name("io.gapnet.Inference")
@Label("gapnet inference")
@Category({"gapnet"})
@Description("One Session.run: model, backend, input shape, steps")
public final class InferenceEvent extends jdk.jfr.Event {
    @Label("Model")
    String model;

    @Label("Backend")
    String backend;

    @Label("Input shapes")
    String inputs;

    @Label("Steps")
    int steps;
}
