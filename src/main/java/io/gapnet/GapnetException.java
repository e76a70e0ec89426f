package io.gapnet;

/**
 * Base of every exception gapnet throws on purpose. Each subclass names a kind of failure; the
 * message says what went wrong, where, and what the caller can do about it.
 */
public class GapnetException extends RuntimeException {
    public GapnetException(String message) {
        super(message);
    }

    public GapnetException(String message, Throwable cause) {
        super(message, cause);
    }
}
