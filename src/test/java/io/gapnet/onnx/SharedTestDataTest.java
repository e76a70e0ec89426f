package io.gapnet.onnx;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.TestData;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * External truth: every ONNX node test, PyTorch-converted test and shared model (mnist-8, ResNet-18/50)
 * on every available backend, at the default tolerances of the test data's README.
 */
class SharedTestDataTest {
    static Stream<DynamicTest> folders(String relative, double atol, double rtol) {
        Path root = TestData.require(relative);
        List<DynamicTest> tests = new ArrayList<>();
        for (String backend : Backends.available()) {
            for (Path folder : OnnxTestRunner.findTestFolders(root)) {
                tests.add(DynamicTest.dynamicTest(backend + ": " + root.relativize(folder.getParent()).resolve(folder.getFileName()), () -> {
                    try (Backend b = Backends.open(backend)) {
                        List<OnnxTestRunner.Result> results = OnnxTestRunner.run(folder, b, atol, rtol);
                        assertFalse(results.isEmpty(), "no test_data_set_* in " + folder);
                        for (OnnxTestRunner.Result r : results) assertTrue(r.passed(), r.test() + ": " + r.message());
                    }
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> onnxNodeTests() {
        return folders("onnx-node", 1e-4, 1e-3);
    }

    @TestFactory
    Stream<DynamicTest> pytorchConvertedTests() {
        return folders("onnx-pytorch-converted", 1e-4, 1e-3);
    }

    @TestFactory
    Stream<DynamicTest> mnist() {
        return folders("models/mnist-8", 1e-4, 1e-3);
    }

    @TestFactory
    Stream<DynamicTest> resnet18() {
        return folders("models/resnet18-torchvision", 1e-3, 1e-3);
    }

    @TestFactory
    Stream<DynamicTest> resnet50() {
        return folders("models/resnet50-torchvision", 1e-3, 1e-3);
    }
}
