package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Backends;
import java.util.ArrayList;
import java.util.List;

/**
 * Which backends the suites run on. Every available backend other than the CPU reference (cpu-ref) is tested; a
 * missing backend is a visible skip, unless {@code -Dgapnet.require=opencl,cuda} (or the environment variable
 * GAPNET_REQUIRE) names it: then it fails.
 */
public final class Require {
    /** Names in {@code -Dgapnet.require} that are tools the tests use, not backends. */
    static final java.util.Set<String> TOOLS = java.util.Set.of("nvcc");

    private Require() {}

    public static List<String> required() {
        String p = System.getProperty("gapnet.require", "");
        if (p.isBlank()) p = System.getenv().getOrDefault("GAPNET_REQUIRE", "");
        List<String> r = new ArrayList<>();
        for (String s : p.split(",")) if (!s.isBlank()) r.add(s.trim());
        return r;
    }

    /**
     * Skips the calling test visibly when a tool it needs is missing, or fails it when {@code -Dgapnet.require}
     * names that tool (as CI names {@code nvcc}).
     */
    public static void tool(String name, boolean present, String reason) {
        if (present) return;
        if (required().contains(name)) fail("-Dgapnet.require names '" + name + "' but " + reason);
        assumeTrue(false, "SKIPPED: " + reason);
    }

    /** The accelerated backends to test: available ones except the reference; fails for required ones that are missing. */
    public static List<String> acceleratedBackends() {
        List<String> available = Backends.available();
        for (String need : required()) {
            if (TOOLS.contains(need)) continue;
            if (!available.contains(need)) {
                String reason = Backends.list().stream().filter(e -> e.name().equals(need)).map(Backends.Entry::reason)
                        .findFirst().orElse("unknown backend");
                fail("-Dgapnet.require names '" + need + "' but it is unavailable: " + reason);
            }
        }
        List<String> out = new ArrayList<>(available);
        out.remove("cpu-ref");
        return out;
    }

    /**
     * One dynamic test per backend that can run here (the CPU reference first), each given an open backend,
     * plus a visibly skipped test for each known backend that cannot.
     */
    public static java.util.stream.Stream<org.junit.jupiter.api.DynamicTest> perBackend(
            String what, java.util.function.Consumer<io.gapnet.backend.Backend> body) {
        List<String> names = new ArrayList<>(acceleratedBackends());
        names.add(0, "cpu-ref");
        return java.util.stream.Stream.concat(names.stream().map(n -> org.junit.jupiter.api.DynamicTest.dynamicTest(n + ": " + what, () -> {
            try (io.gapnet.backend.Backend b = Backends.open(n)) {
                body.accept(b);
            }
        })), skipsForUnavailable(what).stream());
    }

    /**
     * One visibly skipped test per known accelerated backend that cannot run here, naming the reason (a
     * required one has already failed in {@link #acceleratedBackends()}).
     */
    public static List<org.junit.jupiter.api.DynamicTest> skipsForUnavailable(String what) {
        List<org.junit.jupiter.api.DynamicTest> out = new ArrayList<>();
        for (Backends.Entry e : Backends.list()) {
            if (e.available() || e.name().startsWith("cpu")) continue;
            out.add(org.junit.jupiter.api.DynamicTest.dynamicTest(e.name() + ": " + what, () ->
                    assumeTrue(false, "SKIPPED: " + e.name() + " is unavailable here: " + e.reason())));
        }
        return out;
    }

}
