package io.gapnet;

/** Inputs whose shape or element type the model cannot take, or shapes that make an op meaningless. */
public class ShapeException extends GapnetException {
    public ShapeException(String message) {
        super(message);
    }
}
