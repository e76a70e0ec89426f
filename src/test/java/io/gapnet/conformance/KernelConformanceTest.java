package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite: every case of {@link KernelCases} on every accelerated backend against the CPU
 * reference (see {@link Conformance}). A new backend needs no new test.
 */
class KernelConformanceTest {
    static final List<Backend> OPEN = new ArrayList<>();

    @AfterAll
    static void closeBackends() {
        for (Backend b : OPEN) b.close();
    }

    @TestFactory
    Stream<DynamicTest> everyOpOnEveryBackend() {
        List<String> backends = Require.acceleratedBackends();
        List<DynamicTest> tests = new ArrayList<>(Require.skipsForUnavailable("conformance suite"));
        for (String name : backends) {
            Backend b = Backends.open(name);
            OPEN.add(b);
            List<KernelCase> cases = new ArrayList<>(KernelCases.all());
            if (b.convPairs()) cases.addAll(KernelCases.convPairs());
            for (KernelCase c : cases) {
                tests.add(DynamicTest.dynamicTest(name + ": " + c, () -> {
                    Conformance.Result r = Conformance.check(b, c);
                    assertTrue(r.passed(), c + " on " + b.name() + ": " + r.message() + " (max abs error " + r.maxAbsError() + ")");
                }));
            }
        }
        return tests.stream();
    }
}
