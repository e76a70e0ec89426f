package io.gapnet.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.cli.CliRunner;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.onnx.OnnxWriter;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny models that ask for something absurd, and command lines that cannot work: each gets one line that names the
 * problem, exit code 2, and no Java stack trace; nothing is allocated for the absurd part.
 */
class HostileModelTest {
    static final List<ValueInfo> X = List.of(new ValueInfo("x", DType.FLOAT32, new long[] {1, 3, 4, 4}, null));

    static CliRunner.Result info(Path dir, Graph g) {
        Path f = dir.resolve(g.name() + ".onnx");
        OnnxWriter.writeModel(g, f);
        return CliRunner.run("info", "--model", f.toString());
    }

    static void assertOneLine(CliRunner.Result r, String expected) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("gapnet: "), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    @Test
    void aHugeConstantIsRefusedBeforeItIsAllocated(@TempDir Path dir) throws Exception {
        // ConstantOfShape [2^28, 3]: 3 GiB of floats from a file of a few hundred bytes, under the element limit, over the
        // host bytes limit (a quarter of the test JVM's heap)
        assertTrue(io.gapnet.Limits.current().maxHostTensorBytes() < 3L << 30);
        Graph g = new Graph("bomb", List.of(new Node("c", "ConstantOfShape", List.of("shape"), List.of("y"), Attributes.none())),
                Map.of("shape", Tensor.ofLongs(new long[] {1L << 28, 3}, 2)), List.of(), List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        CliRunner.Result r = info(dir, g);
        assertTrue(Files.size(dir.resolve("bomb.onnx")) < 300);
        assertOneLine(r, "gapnet.limits.maxHostTensorBytes");
        // Expand of an int64 constant to a huge shape is the same class
        Graph e = new Graph("expand", List.of(new Node("e", "Expand", List.of("v", "shape"), List.of("y"), Attributes.none())),
                Map.of("v", Tensor.ofLongs(new long[] {7}, 1), "shape", Tensor.ofLongs(new long[] {1L << 27, 3}, 2)), List.of(),
                List.of(new ValueInfo("y", DType.INT64, null, null)), 13);
        assertOneLine(info(dir, e), "gapnet.limits.maxHostTensorBytes");
    }

    @Test
    void intAttributesBeyond32BitsAreRefusedNotTruncated(@TempDir Path dir) {
        Map<String, Tensor> w = Map.of("w", Tensor.of(new float[3 * 3], 3, 3, 1, 1));
        Graph g = new Graph("group", List.of(new Node("conv", "Conv", List.of("x", "w"), List.of("y"),
                new Attributes(Map.of("group", (1L << 32) + 1)))), w, X, List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        assertOneLine(info(dir, g), "attribute 'group' is 4294967297, outside [1, 2147483647] (it does not even fit a 32-bit int)");
        Graph cast = new Graph("cast", List.of(new Node("cast", "Cast", List.of("x"), List.of("y"),
                new Attributes(Map.of("to", (1L << 32) + 1)))), Map.of(), X, List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        assertOneLine(info(dir, cast), "attribute 'to' is 4294967297");
    }

    @Test
    void aConvolutionWithoutChannelsIsRefusedWhereBatchNormWouldDivideByZero(@TempDir Path dir) {
        Map<String, Tensor> w = Map.of("w", Tensor.of(new float[0], 0, 3, 1, 1), "s", Tensor.of(new float[0], 0),
                "b", Tensor.of(new float[0], 0), "m", Tensor.of(new float[0], 0), "v", Tensor.of(new float[0], 0));
        Graph g = new Graph("empty", List.of(new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.none()),
                new Node("bn", "BatchNormalization", List.of("c", "s", "b", "m", "v"), List.of("y"), Attributes.none())), w, X,
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
        assertOneLine(info(dir, g), "has no output or input channels");
    }

    @Test
    void serverArgumentsThatCannotWorkGetOneLine() throws Exception {
        assertOneLine(CliRunner.run("serve", "--port", "70000"), "--port must be 0 to 65535");
        assertOneLine(CliRunner.run("serve", "--max-batch", "0"), "--max-batch must be at least 1");
        assertOneLine(CliRunner.run("serve", "--parallel-batches", "0"), "--parallel-batches must be at least 1");
        assertOneLine(CliRunner.run("serve", "--max-requests", "0"), "--max-requests must be at least 1");
        assertOneLine(CliRunner.run("serve", "--host", "no-such-host.invalid", "--port", "0"), "no such host name or address");
        assertOneLine(CliRunner.run("serve", "--host", "192.0.2.1", "--port", "0"), "cannot listen");
        System.setProperty("gapnet.server.bodyTimeoutMs", "-5");
        try {
            assertOneLine(CliRunner.run("serve", "--port", "0"), "gapnet.server.bodyTimeoutMs must be a positive whole number");
        } finally {
            System.clearProperty("gapnet.server.bodyTimeoutMs");
        }
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertOneLine(CliRunner.run("serve", "--port", Integer.toString(taken.getLocalPort())), "choose another with --port");
        }
    }

    @Test
    void outputPathsThatCannotBeWrittenGetOneLine(@TempDir Path dir) {
        Path eight = io.gapnet.TestData.require("images/mnist_digit8.png");
        Path nowhere = dir.resolve("no/such/folder/e.npy");
        assertOneLine(CliRunner.run("embed", "--resize", "40", "--crop", "32", "--format", "npy", "-o", nowhere.toString(),
                eight.toString()), "the folder " + nowhere.getParent() + " does not exist");
        assertOneLine(CliRunner.run("classify", dir.resolve("missing-folder").toString() + "/"), "no such file or folder");
    }
}
