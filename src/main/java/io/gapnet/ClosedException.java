package io.gapnet;

/** An object holding native or device resources was used after {@code close()}. */
public class ClosedException extends GapnetException {
    public ClosedException(String what) {
        super(what + " was used after it was closed; keep it open for as long as it is used"
                + " (try-with-resources around every use)");
    }
}
