package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which backends the suites run on. Every available backend other than the CPU reference is tested; a
 * missing backend is a visible skip, unless {@code -Dgapnet.require=opencl,cuda} (or the environment variable
 * GAPNET_REQUIRE) names it: then it fails.
 */
public final class Require {
    private Require() {}

    public static List<String> required() {
        String p = System.getProperty("gapnet.require", "");
        if (p.isBlank()) p = System.getenv().getOrDefault("GAPNET_REQUIRE", "");
        List<String> r = new ArrayList<>();
        for (String s : p.split(",")) if (!s.isBlank()) r.add(s.trim());
        return r;
    }

    /** The accelerated backends to test: available ones except the reference; fails for required ones that are missing. */
    public static List<String> acceleratedBackends() {
        List<String> available = Backends.available();
        for (String need : required()) {
            if (!available.contains(need)) {
                String reason = Backends.list().stream().filter(e -> e.name().equals(need)).map(Backends.Entry::reason)
                        .findFirst().orElse("unknown backend");
                fail("-Dgapnet.require names '" + need + "' but it is unavailable: " + reason);
            }
        }
        List<String> out = new ArrayList<>(available);
        out.remove("cpu");
        return out;
    }

    /** Skips visibly (or fails, if required) when the list is empty. */
    public static void assumeAny(List<String> backends) {
        assumeTrue(!backends.isEmpty(), () -> "SKIPPED: no accelerated backend is available here ("
                + Arrays.toString(Backends.list().stream().filter(e -> !e.available())
                        .map(e -> e.name() + ": " + e.reason()).toArray()) + ")");
    }
}
