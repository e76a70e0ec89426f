package io.gapnet;

/**
 * Thrown by a Session opened with the finite check when a value becomes NaN or infinite: names the input,
 * or the first layer whose output is not finite, the element and its value.
 */
public class NonFiniteException extends GapnetException {
    public NonFiniteException(String message) {
        super(message);
    }
}
