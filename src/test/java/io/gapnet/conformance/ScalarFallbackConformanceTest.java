package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite on the fast CPU backend's scalar fallback (what a JVM without the jdk.incubator.vector
 * module runs: im2col and scalar SGEMM, the scalar Winograd micro-kernel, scalar pooling), which the tests' JVM
 * would otherwise never reach because it loads the module.
 */
class ScalarFallbackConformanceTest {
    private static final CpuBackend SCALAR = CpuBackend.fastScalar();

    @AfterAll
    static void close() {
        SCALAR.close();
    }

    @TestFactory
    Stream<DynamicTest> everyOpOnTheScalarFallback() {
        List<DynamicTest> tests = new ArrayList<>();
        List<KernelCase> cases = new ArrayList<>(KernelCases.all());
        cases.addAll(KernelCases.convPairs());
        for (KernelCase c : cases) {
            tests.add(DynamicTest.dynamicTest("cpu scalar fallback: " + c, () -> {
                Conformance.Result r = Conformance.check(SCALAR, c);
                assertTrue(r.passed(), c + " on the scalar fallback: " + r.message() + " (max abs error " + r.maxAbsError() + ")");
            }));
        }
        return tests.stream();
    }
}
