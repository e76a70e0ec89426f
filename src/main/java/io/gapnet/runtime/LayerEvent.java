package io.gapnet.runtime;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * A Java Flight Recorder event per layer (kernel step). Off by default: when enabled (for example
 * {@code jfr configure io.gapnet.Layer#enabled=true}, or {@code recording.enable("io.gapnet.Layer")}) each
 * step is followed by a device synchronisation so its duration is the kernel's, which slows GPU inference.
 */
@Name("io.gapnet.Layer")
@Label("gapnet layer")
@Category({"gapnet"})
@Description("One kernel step of an inference: op, node, shapes, multiply-accumulates")
@Enabled(false)
public final class LayerEvent extends jdk.jfr.Event {
    @Label("Op")
    String op;

    @Label("Node")
    String node;

    @Label("Shapes")
    String shapes;

    @Label("MACs")
    long macs;
}
