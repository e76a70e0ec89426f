package io.gapnet.cli;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.conformance.Conformance;
import io.gapnet.conformance.KernelCase;
import io.gapnet.conformance.KernelCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Run every kernel with odd shapes on a backend and compare with the CPU reference",
            "(|got - want| <= 1e-4 + 1e-3 * |want|, and no write past the output). Exit 0 iff all pass."})
final class ConformanceCommand implements Callable<Integer> {
    @Option(names = "--backend", description = "a backend, or 'all' for every available one but the reference (default: ${DEFAULT-VALUE})")
    String backend = "all";

    @Override
    public Integer call() {
        List<String> names = new ArrayList<>();
        if (backend.equals("all")) {
            names.addAll(Backends.available());
            names.remove("cpu-ref");
        } else {
            names.add(backend);
        }
        if (names.isEmpty()) {
            System.out.println("no accelerated backend is available here (see `gapnet devices`)");
            System.out.println("0 passed, 0 failed");
            return 0;
        }
        int passed = 0, failed = 0;
        for (String name : names) {
            try (Backend b = Backends.open(name)) {
                for (KernelCase c : KernelCases.all()) {
                    Conformance.Result r;
                    try {
                        r = Conformance.check(b, c);
                    } catch (RuntimeException e) {
                        r = new Conformance.Result(c, b.name(), false, Double.NaN, e.toString());
                    }
                    if (r.passed()) passed++;
                    else failed++;
                    System.out.printf(Locale.ROOT, "%s %s: %s max_abs_err=%.3g %s%n", r.passed() ? "PASS" : "FAIL", b.name(), c,
                            r.maxAbsError(), r.message());
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
