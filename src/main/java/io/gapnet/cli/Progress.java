package io.gapnet.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line progress bar on standard error with a rate and an ETA. It shows only when standard error is a terminal
 * (results usually go to a file or a pipe while the user watches the terminal) and never in pipes or logs. Before a
 * result line goes to standard output, {@link #clear()} wipes the bar, so that the two never share a line.
 */
final class Progress {
    private final long total;
    private final boolean enabled;
    private final boolean bytes;
    private final PrintStream out = System.err;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    /** A bar over {@code total} images. */
    Progress(int total, boolean quiet) {
        this(total, quiet, false);
    }

    private Progress(long total, boolean quiet, boolean bytes) {
        this.total = total;
        this.bytes = bytes;
        this.enabled = !quiet && stderrIsTerminal() && (bytes || total > 1);
    }

    /** A bar over a download of {@code total} bytes (-1: unknown). */
    static Progress download(long total, boolean quiet) {
        return new Progress(total, quiet, true);
    }

    /**
     * Whether standard error is a terminal: {@code -Dgapnet.stderrTty} when the launcher says ({@code scripts/gapnet}
     * tests {@code [ -t 2 ]}), else where file descriptor 2 leads on Linux, else whether Java sees a console.
     */
    static boolean stderrIsTerminal() {
        String told = System.getProperty("gapnet.stderrTty");
        if (told != null) return Boolean.parseBoolean(told);
        try {
            Path fd = Path.of("/proc/self/fd/2");
            if (Files.exists(fd)) {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
            // fall through to the console test
        }
        return System.console() != null;
    }

    synchronized void update(long done) {
        if (!enabled) return;
        long now = System.nanoTime();
        boolean end = total >= 0 && done >= total;
        if (!end && drawn && now - lastDraw < 100_000_000L) return;
        lastDraw = now;
        double secs = Math.max((now - start) / 1e9, 1e-9);
        double rate = done / secs;
        StringBuilder line = new StringBuilder("\r");
        if (total > 0) {
            int width = 30, filled = (int) Math.min(width, width * done / total);
            line.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
        }
        if (bytes) {
            line.append(String.format(Locale.ROOT, "%.1f%s MB  %.1f MB/s", done / 1e6, total > 0 ? String.format(Locale.ROOT, "/%.1f",
                    total / 1e6) : "", rate / 1e6));
        } else {
            line.append(String.format(Locale.ROOT, "%d/%d  %.1f images/s", done, total, rate));
        }
        if (total > 0 && rate > 0) {
            long eta = Math.round((total - done) / rate);
            line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta / 60, eta % 60));
        }
        out.print(line.append("\033[K"));
        out.flush();
        drawn = true;
        if (end) finish();
    }

    /** Wipes the bar (it is drawn again at the next update), so that a result line can be printed. */
    synchronized void clear() {
        if (!drawn) return;
        out.print("\r\033[K");
        out.flush();
        drawn = false;
    }

    /** Ends the bar: the line is wiped. */
    synchronized void finish() {
        clear();
    }
}
