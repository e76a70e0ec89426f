package io.gapnet.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with images/s and ETA on the terminal (standard error). It stays silent when the
 * output is not a terminal (a pipe, a file, CI), so logs and redirected results stay clean.
 */
final class Progress {
    private final int total;
    private final boolean enabled;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private long lastDraw;

    Progress(int total, boolean quiet) {
        this.total = total;
        this.out = System.err;
        this.enabled = !quiet && System.console() != null && total > 1;
    }

    void update(int done) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (done < total && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double secs = (now - start) / 1e9;
        double rate = done / Math.max(secs, 1e-9);
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        int width = 30, filled = total == 0 ? width : (int) ((long) width * done / total);
        out.printf(Locale.ROOT, "\r[%s%s] %d/%d  %.1f images/s  ETA %d:%02d ", "#".repeat(filled), " ".repeat(width - filled),
                done, total, rate, eta / 60, eta % 60);
        if (done >= total) out.println();
    }
}
