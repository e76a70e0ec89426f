package io.gapnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.GapnetException;
import io.gapnet.backend.Activation;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.conformance.Require;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CUDA simulator itself (src/test/cuda-sim), through the real JCuda natives: barriers, shared memory and warp
 * shuffles compute what a GPU computes; the failures a GPU reports (a read past an allocation, a pointer to freed
 * memory, a barrier divergent threads never complete, an integer division by zero, a call without a current
 * context, a kernel the module lacks, a copy outside an allocation) are reported as the driver would, a kernel
 * fault being sticky until its context goes; the JVM's own use of SIGSEGV survives the simulator's fault handler;
 * and every driver and cuBLAS function JCuda imports exists in the stand-in libraries. Each test works in a
 * context of its own, so that a sticky error ends with it. Skipped where CUDA is a real GPU (or absent).
 */
class CudaSimulatorTest {
    /** The self-test kernels (src/test/cuda-sim/selftest.cu) as a PTX module: the simulator reads the entry names. */
    static final byte[] SELFTEST = (".version 8.0\n.target sm_90\n.address_size 64\n"
            + ".visible .entry sim_block_reverse()\n.visible .entry sim_warp_ops()\n.visible .entry sim_read_past_end()\n"
            + ".visible .entry sim_divergent_barrier()\n.visible .entry sim_integer_divide()\n\0").getBytes(StandardCharsets.US_ASCII);

    CUcontext ctx;
    CUmodule module;

    static boolean simulated() {
        if (!Require.acceleratedBackends().contains("cuda")) return false;
        return CudaLibrary.devices().get(0).simulated();
    }

    @BeforeEach
    void context() {
        assumeTrue(simulated(), "SKIPPED: CUDA here is not the simulator (mvn verify builds it when g++ is installed)");
        ctx = new CUcontext();
        CUdevice dev = new CUdevice();
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuDeviceGet(dev, 0));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuCtxCreate(ctx, 0, dev));
        module = new CUmodule();
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuModuleLoadData(module, SELFTEST));
    }

    @AfterEach
    void destroy() {
        if (ctx != null) assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuCtxDestroy(ctx));
    }

    CUdeviceptr upload(float[] values) {
        CUdeviceptr p = new CUdeviceptr();
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuMemAlloc(p, (long) values.length * Sizeof.FLOAT));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuMemcpyHtoD(p, Pointer.to(values), (long) values.length * Sizeof.FLOAT));
        return p;
    }

    float[] download(CUdeviceptr p, int n) {
        float[] out = new float[n];
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuMemcpyDtoH(Pointer.to(out), p, (long) n * Sizeof.FLOAT));
        return out;
    }

    int launch(String kernel, int blocks, int threads, Pointer... args) {
        CUfunction f = new CUfunction();
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuModuleGetFunction(f, module, kernel));
        return JCudaDriver.cuLaunchKernel(f, blocks, 1, 1, threads, 1, 1, 0, null, Pointer.to(args), null);
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void barriersAndSharedMemoryWorkPerBlock() {
        float[] x = random(3 * 256, 1);
        CUdeviceptr xp = upload(x), yp = upload(new float[x.length]);
        assertEquals(CUresult.CUDA_SUCCESS, launch("sim_block_reverse", 3, 256, Pointer.to(xp), Pointer.to(yp)));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuCtxSynchronize());
        float[] y = download(yp, x.length), want = new float[x.length];
        for (int b = 0; b < 3; b++) for (int t = 0; t < 256; t++) want[b * 256 + t] = x[b * 256 + 255 - t];
        assertArrayEquals(want, y);
    }

    @Test
    void warpShufflesAndBallotsMatchTheirDefinitions() {
        float[] x = random(128, 2);
        CUdeviceptr xp = upload(x), out = upload(new float[20]);
        assertEquals(CUresult.CUDA_SUCCESS, launch("sim_warp_ops", 2, 64, Pointer.to(xp), Pointer.to(out)));
        float[] got = download(out, 20);
        for (int w = 0; w < 4; w++) {
            double sum = 0;
            int ballot = 0;
            for (int l = 0; l < 32; l++) {
                sum += x[32 * w + l];
                if (x[32 * w + l] > 0) ballot |= 1 << l;
            }
            assertEquals(sum, got[5 * w], 1e-4, "shuffle-down sum of warp " + w);
            assertEquals(sum, got[5 * w + 1], 1e-4, "butterfly sum of warp " + w);
            assertEquals(x[32 * w + 7], got[5 * w + 2], "lane 7 broadcast in warp " + w);
            assertEquals(ballot & 0xffff, (int) got[5 * w + 3], "ballot low bits of warp " + w);
            assertEquals(ballot >>> 16, (int) got[5 * w + 4], "ballot high bits of warp " + w);
        }
    }

    @Test
    void readingPastAnAllocationIsAStickyIllegalAddress() {
        CUdeviceptr x = upload(new float[100]), y = upload(new float[100]);
        // a launch that faults returns success, as on a GPU; the fault shows at the next synchronising call
        assertEquals(CUresult.CUDA_SUCCESS, launch("sim_read_past_end", 1, 128, Pointer.to(x), Pointer.to(y),
                Pointer.to(new int[] {100})));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, JCudaDriver.cuCtxSynchronize());
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, JCudaDriver.cuMemAlloc(new CUdeviceptr(), 16), "sticky");
        // one element fewer stays inside: a fresh context has no error
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuCtxDestroy(ctx));
        context();
        x = upload(new float[100]);
        y = upload(new float[100]);
        assertEquals(CUresult.CUDA_SUCCESS, launch("sim_read_past_end", 1, 128, Pointer.to(x), Pointer.to(y),
                Pointer.to(new int[] {99})));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuCtxSynchronize());
    }

    @Test
    void aPointerToFreedMemoryIsAnIllegalAddress() {
        CUdeviceptr x = upload(new float[8]), y = upload(new float[8]);
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuMemFree(x));
        assertEquals(CUresult.CUDA_ERROR_INVALID_VALUE, JCudaDriver.cuMemFree(x), "double free");
        launch("sim_read_past_end", 1, 8, Pointer.to(x), Pointer.to(y), Pointer.to(new int[] {4}));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, JCudaDriver.cuCtxSynchronize());
    }

    @Test
    void aBarrierThatDivergentThreadsNeverCompleteFailsTheLaunch() {
        CUdeviceptr y = upload(new float[32]);
        launch("sim_divergent_barrier", 1, 32, Pointer.to(y));
        assertEquals(CUresult.CUDA_ERROR_LAUNCH_FAILED, JCudaDriver.cuCtxSynchronize());
    }

    @Test
    void integerDivisionByZeroFailsTheLaunch() {
        CUdeviceptr y = upload(new float[4]);
        launch("sim_integer_divide", 1, 4, Pointer.to(y), Pointer.to(new int[] {0}));
        assertEquals(CUresult.CUDA_ERROR_LAUNCH_FAILED, JCudaDriver.cuCtxSynchronize());
    }

    @Test
    void theJvmStillTurnsFaultsIntoNullPointerExceptions() {
        CUdeviceptr x = upload(new float[4]), y = upload(new float[4]);
        launch("sim_read_past_end", 1, 4, Pointer.to(x), Pointer.to(y), Pointer.to(new int[] {4}));
        assertEquals(CUresult.CUDA_ERROR_ILLEGAL_ADDRESS, JCudaDriver.cuCtxSynchronize());
        // compiled code checks for null by letting the access fault (SIGSEGV), which the JVM's handler turns into
        // an exception: with the simulator's handler in front, that must still happen
        AtomicInteger npes = new AtomicInteger();
        String[] values = {"a", "bb", null};
        long sum = 0;
        for (int i = 0; i < 300_000; i++) {
            try {
                sum += length(values[i % 3]);
            } catch (NullPointerException e) {
                npes.incrementAndGet();
            }
        }
        assertEquals(100_000, npes.get());
        assertEquals(300_000, sum);
    }

    private static int length(String s) {
        return s.length();
    }

    @Test
    void callsWithoutACurrentContextAreRefused() throws Exception {
        int[] result = new int[1];
        Thread t = new Thread(() -> result[0] = JCudaDriver.cuMemAlloc(new CUdeviceptr(), 16));
        t.start();
        t.join();
        assertEquals(CUresult.CUDA_ERROR_INVALID_CONTEXT, result[0], "a new thread has no current context");
    }

    @Test
    void kernelsAreLookedUpInTheFatbinsSymbolTable() throws Exception {
        byte[] fatbin;
        try (InputStream in = CudaBackend.class.getResourceAsStream("/cuda/gap.fatbin")) {
            fatbin = in.readAllBytes();
        }
        CUmodule gap = new CUmodule();
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuModuleLoadData(gap, fatbin));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuModuleGetFunction(new CUfunction(), gap, "gap_nchw_f32"));
        // compiled into the simulator, but not in this fatbin: exactly what a GPU would say
        assertEquals(CUresult.CUDA_ERROR_NOT_FOUND, JCudaDriver.cuModuleGetFunction(new CUfunction(), gap, "conv2d_nchw_f32"));
        assertEquals(CUresult.CUDA_ERROR_NOT_FOUND, JCudaDriver.cuModuleGetFunction(new CUfunction(), module, "no_such_kernel"));
        assertEquals(CUresult.CUDA_ERROR_INVALID_IMAGE, JCudaDriver.cuModuleLoadData(new CUmodule(), new byte[] {1, 2, 3, 4, 0}));
    }

    @Test
    void copiesOutsideAnAllocationAreRefused() {
        CUdeviceptr x = upload(new float[10]);
        assertEquals(CUresult.CUDA_ERROR_INVALID_VALUE, JCudaDriver.cuMemcpyHtoD(x, Pointer.to(new float[11]), 11L * Sizeof.FLOAT));
        assertEquals(CUresult.CUDA_ERROR_INVALID_VALUE, JCudaDriver.cuMemcpyDtoH(Pointer.to(new float[11]), x, 11L * Sizeof.FLOAT));
        assertEquals(CUresult.CUDA_ERROR_INVALID_VALUE, JCudaDriver.cuMemsetD32(x.withByteOffset(4), 0, 10));
        assertEquals(CUresult.CUDA_SUCCESS, JCudaDriver.cuMemsetD32(x.withByteOffset(4), 0, 9));
    }

    @Test
    void syncEachLaunchNamesTheKernelThatFaulted() {
        // gapnet's own launcher, on the primary context: a gather index one past its axis reads past the input
        System.setProperty("gapnet.cuda.syncEachLaunch", "true");
        try (Backend b = Backends.open("cuda"); Queue q = b.openQueue(); DeviceBuffer x = b.allocate(5, "x");
             DeviceBuffer y = b.allocate(1, "y")) {
            GapnetException e = assertThrows(GapnetException.class,
                    () -> q.kernels().gather(new int[] {5}, 0, new int[] {5}, new int[] {1}, x, y));
            assertTrue(e.getMessage().contains("kernel gather_f32 <<<(1,1,1), (256,1,1)>>>"), e.getMessage());
            assertTrue(e.getMessage().contains("CUDA_ERROR_ILLEGAL_ADDRESS"), e.getMessage());
            assertTrue(e.getMessage().contains("syncEachLaunch"), e.getMessage());
        } finally {
            System.clearProperty("gapnet.cuda.syncEachLaunch");
        }
        // the primary context went with the last backend that held it: a new one works
        try (Backend b = Backends.open("cuda"); Queue q = b.openQueue(); DeviceBuffer x = b.allocate(3, "x");
             DeviceBuffer y = b.allocate(3, "y")) {
            q.upload(new float[] {-1, 2, -3}, 0, x, 0, 3);
            q.kernels().activation(Activation.RELU, 3, x, y);
            float[] out = new float[3];
            q.download(y, 0, out, 0, 3);
            assertArrayEquals(new float[] {0, 2, 0}, out);
        }
    }

    @Test
    void everyFunctionJCudaImportsExists() throws Exception {
        Path sim = Path.of(System.getProperty("gapnet.cudaSim", "target/cuda-sim"));
        for (String[] pair : new String[][] {{"libJCudaDriver-12.6.0-linux-x86_64.so", "libcuda.so.1"},
                                             {"libJCublas2-12.6.0-linux-x86_64.so", "libcublas.so.12"}}) {
            Path natives = Files.createTempFile("jcuda-natives", ".so");
            try (InputStream in = CudaSimulatorTest.class.getResourceAsStream("/lib/" + pair[0])) {
                assumeTrue(in != null, "SKIPPED: " + pair[0] + " is not on the test class path");
                Files.copy(in, natives, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Set<String> imported = symbols("--undefined-only", natives);
            imported.removeIf(s -> !s.contains("@" + pair[1]) && !(pair[1].startsWith("libcuda") && s.startsWith("cu") && !s.contains("@")));
            Set<String> defined = new TreeSet<>();
            for (String s : symbols("--defined-only", sim.resolve(pair[1]))) defined.add(s.replaceAll("@.*", ""));
            Set<String> missing = new TreeSet<>();
            for (String s : imported) if (!defined.contains(s.replaceAll("@.*", ""))) missing.add(s);
            assertTrue(imported.size() > 300, pair[0] + " imports " + imported.size() + " functions?");
            assertTrue(missing.isEmpty(), pair[1] + " lacks " + missing + ": add them to src/test/cuda-sim/"
                    + (pair[1].startsWith("libcuda") ? "libcuda" : "libcublas") + "-imports.txt");
            Files.delete(natives);
        }
    }

    static Set<String> symbols(String which, Path library) throws Exception {
        Process p = new ProcessBuilder("nm", "-D", which, "--with-symbol-versions", library.toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "nm " + library);
        Set<String> names = new TreeSet<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2) names.add(f[f.length - 1]);
        }
        return names;
    }
}
