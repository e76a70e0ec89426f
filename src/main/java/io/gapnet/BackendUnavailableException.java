package io.gapnet;

/** The requested backend or device cannot be used on this machine; the message says why. */
public class BackendUnavailableException extends GapnetException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
