package io.gapnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Activation;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.conformance.Require;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where gapnet looks for NVIDIA's cuBLAS 13 and cuDNN 9, what it says when they are missing or broken, which
 * convolutions cuDNN may take, and the epilogue kernel that finishes a cuDNN convolution (run on the CUDA device,
 * the simulator in CI, against the CPU reference).
 */
class CudaLibrariesTest {
    @TempDir
    Path tmp;

    @Test
    void findsPyTorchsWheelFolders() throws Exception {
        Path site = tmp.resolve("lib/python3.12/site-packages");
        Path cudnn = Files.createDirectories(site.resolve("nvidia/cudnn/lib"));
        Path cu13 = Files.createDirectories(site.resolve("nvidia/cu13/lib"));
        Files.createDirectories(tmp.resolve("lib/python3.11/dist-packages"));
        Files.writeString(cudnn.resolve("libcudnn.so.9"), "");
        Files.writeString(cu13.resolve("libcublas.so.13"), "");

        assertEquals(List.of(site, tmp.resolve("lib/python3.12/dist-packages"), tmp.resolve("lib/python3.11/site-packages"),
                tmp.resolve("lib/python3.11/dist-packages")).stream().sorted().toList(),
                VendorLibraries.pythonSitePackages(tmp.resolve("lib")).stream().sorted().toList());
        List<Path> dirs = VendorLibraries.nvidiaLibDirs(site);
        assertTrue(dirs.contains(cudnn) && dirs.contains(cu13), dirs.toString());
        assertEquals(cudnn.resolve("libcudnn.so.9").toAbsolutePath(), VendorLibraries.find("libcudnn.so.9", dirs));
        assertEquals(cu13.resolve("libcublas.so.13").toAbsolutePath(), VendorLibraries.find("libcublas.so.13", dirs));
        assertNull(VendorLibraries.find("libcudnn_cnn.so.9", dirs));
    }

    @Test
    void theLibraryPathPropertyComesFirst() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a")), b = Files.createDirectories(tmp.resolve("b"));
        String old = System.getProperty("gapnet.cuda.libraryPath");
        System.setProperty("gapnet.cuda.libraryPath", a + java.io.File.pathSeparator + tmp.resolve("absent")
                + java.io.File.pathSeparator + b);
        try {
            List<Path> dirs = VendorLibraries.searchDirs();
            assertEquals(a, dirs.get(0));
            assertEquals(b, dirs.get(1)); // a folder that does not exist is left out
        } finally {
            if (old == null) System.clearProperty("gapnet.cuda.libraryPath");
            else System.setProperty("gapnet.cuda.libraryPath", old);
        }
    }

    @Test
    void aMissingOrBrokenLibraryIsAReasonNotACrash() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(dir.resolve("libgapnet-test-broken.so.1"), "not an ELF file");
        String old = System.getProperty("gapnet.cuda.libraryPath");
        System.setProperty("gapnet.cuda.libraryPath", dir.toString());
        try {
            String missing = VendorLibraries.loadAll(List.of("libgapnet-test-absent.so.1"), List.of());
            assertNotNull(missing);
            assertTrue(missing.startsWith("libgapnet-test-absent.so.1 not found") && missing.contains("-Dgapnet.cuda.libraryPath"),
                    missing);
            String broken = VendorLibraries.loadAll(List.of("libgapnet-test-broken.so.1"), List.of());
            assertNotNull(broken);
            assertTrue(broken.startsWith("cannot load " + dir.resolve("libgapnet-test-broken.so.1")), broken);
            // an optional library that is absent is no failure
            assertNull(VendorLibraries.loadAll(List.of(), List.of("libgapnet-test-absent.so.1")));
        } finally {
            if (old == null) System.clearProperty("gapnet.cuda.libraryPath");
            else System.setProperty("gapnet.cuda.libraryPath", old);
        }
    }

    @Test
    void addressesPassBetweenTheTwoBindingsUnchanged() {
        // JCuda prints a pointer as "CUdeviceptr[nativePointer=0x...,byteOffset=0]"; javacpp keeps a raw address
        jcuda.driver.CUdeviceptr p = new jcuda.driver.CUdeviceptr();
        assertEquals(0L, Native.address(p));
        jcuda.Pointer host = jcuda.Pointer.to(new float[4]); // a Java-heap pointer has no native address either
        assertEquals(0L, Native.address(host));
        long addr = 0x7f00_1234_5670L;
        assertEquals(addr, Native.at(addr).address());
        assertEquals(addr + 12 * Float.BYTES, new org.bytedeco.javacpp.FloatPointer(Native.at(addr + 12 * Float.BYTES)).address());
    }

    @Test
    void aDevicePointersAddressIsTheOneTheDriverGave() {
        assumeTrue(Require.acceleratedBackends().contains("cuda"), "SKIPPED: no CUDA device (nor the simulator)");
        try (Backend b = Backends.open("cuda"); DeviceBuffer buf = b.allocate(16, "probe")) {
            jcuda.driver.CUdeviceptr p = ((CudaBuffer) buf).ptr();
            String printed = p.toString().replaceAll("^.*nativePointer=0x([0-9a-fA-F]+).*$", "$1");
            assertEquals(Long.parseUnsignedLong(printed, 16), Native.address(p));
            assertEquals(Native.address(p) + 40, Native.floats(p, 10).address());
        }
    }

    static ConvDesc conv(int pt, int pl, int pb, int pr, int group, Activation act) {
        return new ConvDesc(2, 4, 7, 6, 6, 3, 3, 1, 2, 1, 1, pt, pl, pb, pr, group, act);
    }

    @Test
    void cuDnnTakesSymmetricPaddingOnly() {
        assertTrue(Cudnn.supports(conv(1, 1, 1, 1, 1, Activation.NONE)));
        assertTrue(Cudnn.supports(conv(0, 2, 0, 2, 2, Activation.RELU)));
        assertFalse(Cudnn.supports(conv(0, 0, 1, 1, 1, Activation.NONE))); // SAME_UPPER with an even kernel
        assertFalse(Cudnn.supports(conv(1, 0, 1, 1, 1, Activation.NONE)));
        assertTrue(Cudnn.fusesActivation(Activation.RELU));
        assertFalse(Cudnn.fusesActivation(Activation.NONE)); // IDENTITY fuses only with one algorithm: the epilogue runs
        assertFalse(Cudnn.fusesActivation(Activation.leakyRelu(0.1f)));
    }

    @Test
    void epilogueFinishesAConvolutionAsTheReferenceFusesIt() {
        assumeTrue(Require.acceleratedBackends().contains("cuda"), "SKIPPED: no CUDA device (nor the simulator)");
        Random r = new Random(7);
        for (Activation act : new Activation[] {Activation.NONE, Activation.RELU, Activation.leakyRelu(0.2f),
                Activation.of(Activation.Kind.SIGMOID)}) {
            for (int parts = 0; parts < 4; parts++) {
                boolean hasBias = (parts & 1) != 0, hasRes = (parts & 2) != 0;
                ConvDesc d = conv(1, 0, 1, 0, 2, act);
                float[] x = random(r, (int) d.inputSize()), w = random(r, (int) d.weightSize());
                float[] bias = random(r, d.oc()), res = random(r, (int) d.outputSize());
                float[] want = run("cpu-ref", d, x, w, hasBias ? bias : null, hasRes ? res : null, false);
                float[] got = run("cuda", d, x, w, hasBias ? bias : null, hasRes ? res : null, true);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-5f + 1e-5f * Math.abs(want[i]),
                            act + " bias " + hasBias + " residual " + hasRes + " at " + i);
                }
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** The convolution fused (reference), or plain and then finished by conv_epilogue_nchw_f32 (CUDA). */
    private static float[] run(String backend, ConvDesc d, float[] x, float[] w, float[] bias, float[] res, boolean epilogue) {
        try (Backend b = Backends.open(backend); Queue q = b.openQueue();
             DeviceBuffer xb = put(b, q, x); DeviceBuffer wb = put(b, q, w); DeviceBuffer bb = put(b, q, bias);
             DeviceBuffer rb = put(b, q, res); DeviceBuffer y = b.allocate(d.outputSize(), "y")) {
            if (epilogue) {
                q.kernels().conv2d(d.withAct(Activation.NONE), xb, wb, null, null, y);
                ((CudaKernels) q.kernels()).convEpilogue(d, bb, rb, y);
            } else {
                q.kernels().conv2d(d, xb, wb, bb, rb, y);
            }
            float[] out = new float[(int) d.outputSize()];
            q.download(y, 0, out, 0, out.length);
            return out;
        }
    }

    private static DeviceBuffer put(Backend b, Queue q, float[] v) {
        if (v == null) return null;
        DeviceBuffer buf = b.allocate(v.length, "input");
        q.upload(v, 0, buf, 0, v.length);
        return buf;
    }
}
