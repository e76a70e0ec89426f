package io.gapnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The progress bar on a terminal: shown, wiped before each result line, and absent from pipes and logs. */
class ProgressTest {
    /** Runs the CLI with standard output and standard error going to one stream, as on a terminal. */
    static String terminal(boolean tty, String... args) {
        String old = System.getProperty("gapnet.stderrTty");
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(both, true, StandardCharsets.UTF_8);
        System.setProperty("gapnet.stderrTty", Boolean.toString(tty));
        synchronized (CliRunner.class) {
            System.setOut(ps);
            System.setErr(ps);
            try {
                assertEquals(0, Main.execute(args));
            } finally {
                System.setOut(oldOut);
                System.setErr(oldErr);
                if (old == null) System.clearProperty("gapnet.stderrTty");
                else System.setProperty("gapnet.stderrTty", old);
            }
        }
        return both.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theBarIsWipedBeforeEveryResultLineAndNeverShownInPipes(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 4; i++) AdoptionCliTest.png(dir, "img" + i + ".png");
        List<String> args = List.of("classify", "--model", "resnet18", "--resize", "32", "--crop", "32", "--format", "jsonl",
                "--threads", "1", dir.toString());
        String tty = terminal(true, args.toArray(String[]::new));
        assertTrue(tty.contains("images/s"), "a bar on a terminal:\n" + tty);
        // every result row starts on a clean line: after a newline or after the bar was wiped with ESC[K
        int rows = 0;
        for (int at = tty.indexOf("{\"image\""); at >= 0; at = tty.indexOf("{\"image\"", at + 1)) {
            rows++;
            assertTrue(at == 0 || tty.charAt(at - 1) == '\n' || tty.startsWith("\r\033[K", at - 4),
                    "row " + rows + " shares a line with the bar:\n" + tty.replace("\033", "ESC").replace("\r", "\\r"));
            int eol = tty.indexOf('\n', at);
            assertFalse(tty.substring(at, eol).contains("\r"), "a bar inside a row");
        }
        assertEquals(4, rows);
        assertTrue(tty.endsWith("\r\033[K") || tty.endsWith("}\n"), "the bar is wiped at the end");
        String pipe = terminal(false, args.toArray(String[]::new));
        assertFalse(pipe.contains("\r") || pipe.contains("images/s"), "no bar in a pipe:\n" + pipe);
    }
}
