package io.gapnet.cli;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.onnx.OnnxTestRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "test-onnx", mixinStandardHelpOptions = true,
        description = {"Run ONNX test folders (model.onnx, test_data_set_*/input_*.pb, output_*.pb) and compare",
            "every output with |got - want| <= atol + rtol * |want|. A folder of test folders runs them all."})
final class TestOnnxCommand implements Callable<Integer> {
    @Option(names = "--backend", description = "backend to run on (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--atol", description = "absolute tolerance (default: ${DEFAULT-VALUE})")
    double atol = 1e-4;

    @Option(names = "--rtol", description = "relative tolerance (default: ${DEFAULT-VALUE})")
    double rtol = 1e-3;

    @Parameters(arity = "1..*", paramLabel = "DIR")
    List<Path> dirs;

    @Override
    public Integer call() {
        int passed = 0, failed = 0;
        try (Backend b = Backends.open(backend)) {
            for (Path dir : dirs) {
                List<Path> folders = OnnxTestRunner.findTestFolders(dir);
                if (folders.isEmpty()) {
                    System.out.println("FAIL " + dir + ": no model.onnx found here or below");
                    failed++;
                }
                for (Path folder : folders) {
                    for (OnnxTestRunner.Result r : OnnxTestRunner.run(folder, b, atol, rtol)) {
                        if (r.passed()) {
                            passed++;
                            System.out.printf("PASS %s max_abs_err=%.3g%n", r.test(), r.maxAbsError());
                        } else {
                            failed++;
                            System.out.printf("FAIL %s max_abs_err=%.3g %s%n", r.test(), r.maxAbsError(), r.message());
                        }
                    }
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
