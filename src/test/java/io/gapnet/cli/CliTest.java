package io.gapnet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.TestData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    static CliRunner.Result cli(String... args) {
        return CliRunner.run(args);
    }

    @Test
    void testOnnxPrintsOneLinePerSetAndASummary() {
        Path node = TestData.require("onnx-node");
        CliRunner.Result r = cli("test-onnx", node.resolve("test_relu").toString(), node.resolve("test_gemm_alpha").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[0].startsWith("PASS test_relu/test_data_set_0 max_abs_err="), lines[0]);
        assertEquals("2 passed, 0 failed", lines[2]);
    }

    @Test
    void testOnnxFailsWithExitCodeOneOnWrongReference(@TempDir Path dir) throws Exception {
        Path src = TestData.require("onnx-node/test_relu");
        Path dst = dir.resolve("test_relu_wrong");
        Files.createDirectories(dst.resolve("test_data_set_0"));
        Files.copy(src.resolve("model.onnx"), dst.resolve("model.onnx"));
        Files.copy(src.resolve("test_data_set_0/input_0.pb"), dst.resolve("test_data_set_0/input_0.pb"));
        // the input is not the output of Relu (it has negative values), so this reference is wrong
        Files.copy(src.resolve("test_data_set_0/input_0.pb"), dst.resolve("test_data_set_0/output_0.pb"), StandardCopyOption.REPLACE_EXISTING);
        CliRunner.Result r = cli("test-onnx", dst.toString());
        assertEquals(1, r.code());
        assertTrue(r.out().contains("FAIL test_relu_wrong/test_data_set_0"), r.out());
        assertTrue(r.out().strip().endsWith("0 passed, 1 failed"), r.out());
    }

    @Test
    void classifyMnistEight() {
        Path model = TestData.require("models/mnist-8/model.onnx");
        Path image = TestData.require("images/mnist_digit8.png");
        CliRunner.Result r = cli("classify", "--model", model.toString(), "--grayscale", "--pixel-range", "255", "--mean", "0",
                "--std", "1", "--resize", "28", "--crop", "28", "--top", "1", "--json", image.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"top\":[{\"index\":8,\"label\":\"8\""), r.out());
    }

    @Test
    void classifyWithImagenetLabelsFile(@TempDir Path dir) throws Exception {
        Path labels = TestData.require("labels/imagenet-synsets.txt");
        Path image = TestData.require("images/mnist_digit8.png");
        CliRunner.Result r = cli("classify", "--model", "resnet18", "--labels", labels.toString(), "--resize", "40", "--crop", "32",
                "--top", "2", image.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(class "), r.out());
        assertEquals(3, r.out().strip().split("\n").length, r.out());
    }

    @Test
    void infoReportsParametersMacsAndMemory() {
        CliRunner.Result r = cli("info", "--model", "resnet50");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("parameters: 25,610,152"), r.out());
        assertTrue(r.out().contains("4.09 GMACs"), r.out());
        assertTrue(r.out().contains("peak activation memory: 9.63 MB"), r.out());
    }

    @Test
    void devicesListsEveryBackend() {
        CliRunner.Result r = cli("devices");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("cpu: available"), r.out());
        assertTrue(r.out().contains("opencl:"), r.out());
        assertTrue(r.out().contains("cuda:"), r.out());
        if (r.out().contains("gapnet CUDA simulator")) {
            // the simulated device says so, and names the CUDA backend's own GEMM path
            assertTrue(r.out().contains("simulated: yes"), r.out());
            assertTrue(r.out().matches("(?s).*cuda:0  gapnet CUDA simulator.*GEMM: (cuBLAS sgemm|gapnet tiled SGEMM).*"), r.out());
            // and why cuDNN is not used there, and in which precision
            assertTrue(r.out().contains("convolution: gapnet implicit-GEMM and direct kernels (cuDNN: not tried on the CUDA"
                    + " simulator"), r.out());
            assertTrue(r.out().contains("precision: float32 (TF32 off"), r.out());
        }
    }

    @Test
    void gapBandwidthChecksThePoolAndPrintsBothBandwidths() {
        CliRunner.Result r = cli("gap-bandwidth", "--backend", "cpu", "--shape", "3x5x7x9,2x3x1x1", "--iters", "3");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        assertTrue(lines[0].matches("gap 3x5x7x9 cpu: [0-9.]+ GB/s \\([0-9.]+ ms\\), copy [0-9.]+ GB/s \\([0-9.]+ ms\\),"
                + " gap/copy [0-9.]+"), lines[0]);
        assertTrue(lines[1].startsWith("gap 2x3x1x1 cpu: "), lines[1]);
        CliRunner.Result bad = cli("gap-bandwidth", "--backend", "cpu", "--shape", "4x4x0x7");
        assertEquals(2, bad.code(), bad.out());
        assertTrue(bad.err().contains("every size must be at least 1"), bad.err());
    }

    @Test
    void benchSkipsTheReferenceWithParityImagesZero() {
        CliRunner.Result r = cli("bench", "--size", "32,32", "--iters", "1", "--warmup", "0", "--parity-images", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*\\ncpu .* - .*"), r.out());
    }

    @Test
    void benchPrintsItsTable() {
        CliRunner.Result r = cli("bench", "--size", "64,64", "--iters", "2", "--batch", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("images/s"), r.out());
        assertTrue(r.out().contains("cpu "), r.out());
        assertTrue(r.out().contains("first-run") && r.out().contains("GFLOP/s") && r.out().contains("peak RSS"), r.out());
        // ResNet-18's 3x3 layers at 16x16 and batch 2 take Winograd: each shape's error against the reference is reported
        assertTrue(r.out().contains("by Winograd F(4x4,3x3)"), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\] -> \\[[^\\]]*\\] +(\\S+) +(\\S+) +(\\S+)\n").matcher(r.out());
        int shapes = 0;
        while (m.find()) {
            shapes++;
            double max = Double.parseDouble(m.group(1)), rms = Double.parseDouble(m.group(2)), rel = Double.parseDouble(m.group(3));
            assertTrue(rms > 0 && max >= 0 && rel < 1e-3, m.group());
        }
        assertTrue(shapes >= 1, r.out());
    }

    @Test
    void benchReportsWarmUpAndMemoryAndTheActivationBytesAreInfosPeak() {
        CliRunner.Result r = cli("bench", "--size", "64,64", "--iters", "1", "--parity-images", "0", "--json");
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"first_run_ms\":([0-9.]+).*\"gflops\":([0-9.]+)"
                + ".*\"activation_bytes\":([0-9]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Double.parseDouble(m.group(1)) > 0 && Double.parseDouble(m.group(2)) > 0, r.out());
        CliRunner.Result info = cli("info", "--size", "64,64");
        assertTrue(info.out().contains(String.format(java.util.Locale.ROOT, "peak activation memory: %.2f MB",
                Long.parseLong(m.group(3)) / 1e6)), info.out() + "\n" + r.out());
    }

    @Test
    void benchReportsTheHeapAllocatedPerRun() {
        CliRunner.Result r = cli("bench", "--size", "32,32", "--iters", "2", "--warmup", "1", "--parity-images", "0", "--json");
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"allocated_bytes_per_run\":([0-9]+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        // every run allocates at least its output (ResNet-18's 1000 class scores) and a map around it
        assertTrue(Long.parseLong(m.group(1)) >= 4000, r.out());
        CliRunner.Result table = cli("bench", "--size", "32,32", "--iters", "1", "--warmup", "1", "--parity-images", "0");
        assertTrue(table.out().contains("alloc/run") && table.out().matches("(?s).*\\d+\\.\\d KB\n.*"), table.out());
    }

    @Test
    void aSteadyStateThatStillAllocatesMegabytesIsWarnedAbout() {
        // ResNet-50 at batch 1 after 200 warm-up runs: 85 KB per run; a JVM with boxed vector kernels: gigabytes
        String w = BenchCommand.allocationWarning("cpu", 100, 30_000_000L, 4000);
        assertTrue(w != null && w.contains("30.0 MB") && w.contains("restart"), String.valueOf(w));
        assertEquals(null, BenchCommand.allocationWarning("cpu", 100, 85_000L, 4000), "a compiled steady state");
        assertEquals(null, BenchCommand.allocationWarning("cpu", 1, 30_000_000L, 4000), "one warm-up run: the JIT is still at work");
        // a large output (a segmentation map) is allocated by every run: that alone is no warning
        assertEquals(null, BenchCommand.allocationWarning("cpu", 100, 22_000_000L, 21_000_000L));
    }

    @Test
    void theAllocationMeterCountsOtherThreads() throws Exception {
        java.util.Map<Long, Long> before = BenchCommand.allocatedByThread();
        org.junit.jupiter.api.Assumptions.assumeTrue(before != null, "this JVM does not measure allocation per thread");
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1), measured = new java.util.concurrent.CountDownLatch(1);
        Object[] keep = new Object[1];
        Thread t = new Thread(() -> {
            keep[0] = new byte[8 << 20];
            done.countDown();
            try {
                measured.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        done.await();
        long bytes = BenchCommand.allocatedSince(before);
        measured.countDown();
        t.join();
        assertTrue(bytes >= 8 << 20, "8 MiB allocated on another thread, measured " + bytes);
        assertTrue(bytes < 64 << 20, "measured " + bytes);
    }

    @Test
    void badModelIsAnErrorWithExitCodeTwo(@TempDir Path dir) throws Exception {
        Path junk = dir.resolve("junk.onnx");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5});
        CliRunner.Result r = cli("info", "--model", junk.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("gapnet: junk.onnx"), r.err());
    }
}
