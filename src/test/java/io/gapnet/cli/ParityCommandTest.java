package io.gapnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.TestData;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.conformance.Require;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.runtime.Session;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gapnet parity}: on every built-in and shared model and every accelerated backend it passes against the CPU
 * reference and lists every value; with a tolerance of zero it fails and names where divergence starts (rounding
 * differs somewhere); --json, --save (replayed with test-onnx), --plot, --input and argument errors.
 */
class ParityCommandTest {
    static CliRunner.Result cli(String... args) {
        return CliRunner.run(args);
    }

    /** The values a model's optimised graph computes, which the report must list one per line. */
    static int values(String model) {
        try (CpuBackend cpu = new CpuBackend(); Session s = Session.open(Models.load(model), cpu)) {
            Graph g = s.graph();
            int n = 0;
            for (Node node : g.nodes()) for (String o : node.outputs()) if (!o.isEmpty()) n++;
            return n;
        }
    }

    static long valueLines(String out) {
        return out.lines().filter(l -> l.matches("\\d+ +\\S.*")).count();
    }

    static final List<String> SHARED = List.of("models/mnist-8", "models/resnet18-torchvision", "models/resnet50-torchvision");

    static List<String> models() {
        List<String> m = new ArrayList<>(List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152"));
        for (String shared : SHARED) {
            Path p = TestData.root().resolve(shared);
            if (Files.isDirectory(p)) m.add(p.toString());
        }
        return m;
    }

    @TestFactory
    Stream<DynamicTest> everyModelOnEveryBackendMatchesAndZeroToleranceFinds() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String shared : SHARED) {
            Path p = TestData.root().resolve(shared);
            if (!Files.isDirectory(p)) {
                tests.add(DynamicTest.dynamicTest(shared, () -> assumeTrue(false, "SKIPPED: shared test data not found at " + p)));
            }
        }
        for (String backend : Require.acceleratedBackends()) {
            for (String model : models()) {
                String label = backend + ": " + (model.contains("/") ? Path.of(model).getFileName() : model);
                tests.add(DynamicTest.dynamicTest(label, () -> {
                    CliRunner.Result r = cli("parity", "--model", model, "--backend", backend, "--size", "32,32");
                    assertEquals(0, r.code(), r.out() + r.err());
                    int n = values(model);
                    assertEquals(n, valueLines(r.out()), "one line per value:\n" + r.out());
                    assertTrue(r.out().contains("verdict: all " + n + " values within tolerance; the outputs match"), r.out());

                    CliRunner.Result zero = cli("parity", "--model", model, "--backend", backend, "--size", "32,32", "--atol", "0",
                            "--rtol", "0");
                    assertEquals(1, zero.code(), zero.out() + zero.err());
                    assertTrue(zero.out().matches("(?s).*verdict: divergence starts at #\\d+ '.+'.*"), zero.out());
                }));
            }
        }
        return tests.stream();
    }

    @Test
    void jsonSaveAndPlot(@TempDir Path dir) throws Exception {
        Path save = dir.resolve("repro"), png = dir.resolve("p.png");
        CliRunner.Result r = cli("parity", "--backend", "cpu", "--size", "32,32", "--atol", "0", "--rtol", "0", "--json",
                "--save", save.toString(), "--plot", png.toString());
        assertEquals(1, r.code(), r.err());
        String json = r.out().trim();
        assertTrue(json.startsWith("{\"model\":\"resnet18\",\"backend\":\"cpu\",\"against\":\"cpu-ref\""), json);
        assertTrue(json.endsWith("}") && json.lines().count() == 1, "one JSON object");
        Matcher first = Pattern.compile("\"first_divergent\":(\\d+)").matcher(json);
        assertTrue(first.find(), json);
        assertEquals(values("resnet18"), Pattern.compile("\\{\"index\":").matcher(json).results().count() - 1,
                "every value, and the isolated layer");
        assertTrue(Files.size(png) > 10_000, "a plot");
        // the saved layer replays with test-onnx: exactly on the reference, and not exactly on the fast path
        CliRunner.Result ref = cli("test-onnx", "--backend", "cpu-ref", "--atol", "0", "--rtol", "0", save.toString());
        assertEquals(0, ref.code(), ref.out());
        CliRunner.Result fast = cli("test-onnx", "--backend", "cpu", "--atol", "0", "--rtol", "0", save.toString());
        assertEquals(1, fast.code(), fast.out());
        assertTrue(Files.readString(save.resolve("README.txt")).contains("Replay: gapnet test-onnx --backend cpu"));
    }

    @Test
    void inputsFromATensorFileAndFromAnImage() {
        Path mnist = TestData.root().resolve("models/mnist-8");
        assumeTrue(Files.isDirectory(mnist), "SKIPPED: " + mnist + " is absent");
        CliRunner.Result pb = cli("parity", "--model", mnist.toString(), "--input",
                mnist.resolve("test_data_set_0/input_0.pb").toString());
        assertEquals(0, pb.code(), pb.out() + pb.err());
        assertTrue(pb.out().contains("input_0.pb)"), pb.out());
        CliRunner.Result img = cli("parity", "--model", mnist.toString(), "--input",
                TestData.root().resolve("images/mnist_digit8.png").toString(), "--grayscale", "--pixel-range", "255", "--mean", "0",
                "--std", "1", "--resize", "28", "--crop", "28");
        assertEquals(0, img.code(), img.out() + img.err());
        assertTrue(img.out().contains("[1, 1, 28, 28]"), img.out());
    }

    @Test
    void badArgumentsGetOneLine() {
        CliRunner.Result metric = cli("parity", "--metric", "l2");
        assertEquals(2, metric.code());
        assertTrue(metric.err().startsWith("gapnet: --metric must be max, nmse or cosine"), metric.err());
        CliRunner.Result backend = cli("parity", "--backend", "tpu");
        assertEquals(2, backend.code());
        assertTrue(backend.err().contains("backend 'tpu' is unknown"), backend.err());
        CliRunner.Result negative = cli("parity", "--atol", "-1");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("tolerances must be 0 or more"), negative.err());
    }
}
