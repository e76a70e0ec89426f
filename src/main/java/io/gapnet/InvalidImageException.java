package io.gapnet;

/** An image that cannot be used: not PNG or JPEG, corrupt, truncated, empty, or larger than the limits allow. */
public class InvalidImageException extends GapnetException {
    public InvalidImageException(String message) {
        super(message);
    }

    public InvalidImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
