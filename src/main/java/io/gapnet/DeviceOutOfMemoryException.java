package io.gapnet;

/** A device allocation did not fit. The Session and backend stay usable; try a smaller batch or input. */
public class DeviceOutOfMemoryException extends GapnetException {
    public DeviceOutOfMemoryException(String message) {
        super(message);
    }

    public DeviceOutOfMemoryException(String message, Throwable cause) {
        super(message, cause);
    }
}
