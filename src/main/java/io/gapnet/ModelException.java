package io.gapnet;

/** A model file or graph that gapnet cannot load: malformed, inconsistent, or using unsupported features. */
public class ModelException extends GapnetException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
