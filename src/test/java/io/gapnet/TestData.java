package io.gapnet;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/testdata; tests that need it skip with a visible reason when it is absent. */
public final class TestData {
    private TestData() {}

    public static Path root() {
        String prop = System.getProperty("gapnet.testdata");
        return Path.of(prop != null && !prop.isEmpty() ? prop : "../shared/testdata").toAbsolutePath().normalize();
    }

    /** The path under the test data, or a skipped test saying where it was looked for. */
    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assumeTrue(Files.exists(p), () -> "SKIPPED: shared test data not found at " + p
                + " (set -Dgapnet.testdata=DIR; CI provides ../shared/testdata)");
        return p;
    }

    public static boolean present() {
        return Files.isDirectory(root());
    }
}
