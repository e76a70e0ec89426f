package io.gapnet.backend.cuda;

import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static jcuda.driver.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;

import io.gapnet.BackendUnavailableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import jcuda.jcublas.JCublas2;

/**
 * Loads the CUDA driver API through JCuda (which needs only the NVIDIA driver, libcuda.so.1) and lists the
 * devices. The NVIDIA libraries are loaded separately and only when present: cuBLAS 13 and cuDNN 9 through the
 * bytedeco presets ({@link VendorLibraries}), cuBLAS 12 through JCublas2 (libcublas.so.12, CUDA 12 machines);
 * without them gapnet's own kernels run everything.
 */
final class CudaLibrary {
    private static boolean initialised;
    private static BackendUnavailableException failure;
    private static List<CudaDevice> devices;
    private static Boolean cublas;
    private static String cublasReason;

    private CudaLibrary() {}

    static synchronized void load() {
        if (initialised) return;
        if (failure != null) throw failure;
        int result;
        try {
            JCudaDriver.setExceptionsEnabled(false);
            result = JCudaDriver.cuInit(0);
        } catch (Throwable t) { // UnsatisfiedLinkError when libcuda.so.1 is missing
            failure = new BackendUnavailableException("the NVIDIA driver library (libcuda.so.1) could not be loaded ("
                    + linkError(t) + "); install the NVIDIA driver to use CUDA");
            throw failure;
        }
        if (result != CUresult.CUDA_SUCCESS) {
            failure = new BackendUnavailableException("cuInit failed: " + CUresult.stringFor(result)
                    + (result == CUresult.CUDA_ERROR_NO_DEVICE ? " (no NVIDIA GPU is visible)" : ""));
            throw failure;
        }
        initialised = true;
    }

    static synchronized List<CudaDevice> devices() {
        load();
        if (devices != null) return devices;
        int[] count = new int[1];
        CuCheck.check(JCudaDriver.cuDeviceGetCount(count), "cuDeviceGetCount");
        int[] driver = new int[1];
        CuCheck.check(JCudaDriver.cuDriverGetVersion(driver), "cuDriverGetVersion");
        List<CudaDevice> out = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            CUdevice dev = new CUdevice();
            CuCheck.check(JCudaDriver.cuDeviceGet(dev, i), "cuDeviceGet " + i);
            byte[] name = new byte[256];
            CuCheck.check(JCudaDriver.cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            long[] mem = new long[1];
            CuCheck.check(JCudaDriver.cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
            out.add(new CudaDevice(i, new String(name, 0, len, StandardCharsets.UTF_8), mem[0],
                    attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
                    attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR), driver[0]));
        }
        devices = List.copyOf(out);
        return devices;
    }

    private static int attribute(CUdevice dev, int attr) {
        int[] v = new int[1];
        CuCheck.check(JCudaDriver.cuDeviceGetAttribute(v, attr, dev), "cuDeviceGetAttribute " + attr);
        return v[0];
    }

    /** Which library runs a queue's sgemm. */
    enum Gemm { CUBLAS13, CUBLAS12, OWN }

    /**
     * The GEMM library a queue opened now takes: cuBLAS 13 (bytedeco, CUDA 13 machines) when it loads, else cuBLAS 12
     * (JCublas2) when libcublas.so.12 loads, else gapnet's own SGEMM kernel; {@code -Dgapnet.cuda.cublas=false} forces
     * the last. The libraries are loaded once; the property is read at every call, so a queue opened after it changes
     * takes the other path.
     */
    static synchronized Gemm gemm() {
        if (disabled("gapnet.cuda.cublas")) return Gemm.OWN;
        if (vendorReason() == null && VendorLibraries.cublas()) return Gemm.CUBLAS13;
        if (cublas == null) {
            try {
                JCublas2.setExceptionsEnabled(false);
                JCublas2.initialize();
                cublas = true;
            } catch (Throwable t) { // UnsatisfiedLinkError: libcublas.so.12 (CUDA 12) is not installed
                cublasReason = "cuBLAS 12 not loaded: " + linkError(t);
                cublas = false;
            }
        }
        return cublas ? Gemm.CUBLAS12 : Gemm.OWN;
    }

    /** Whether a queue opened now runs its convolutions on cuDNN 9 (when it loads and -Dgapnet.cuda.cudnn is not false). */
    static synchronized boolean cudnn() {
        return !disabled("gapnet.cuda.cudnn") && vendorReason() == null && VendorLibraries.cudnn();
    }

    /** Whether plans replay as CUDA graphs ({@code -Dgapnet.cuda.graphs=false} turns it off). */
    static boolean graphs() {
        return !disabled("gapnet.cuda.graphs");
    }

    /** How plans run, for the device report. */
    static String graphPath() {
        if (!graphs()) return "off (-Dgapnet.cuda.graphs=false): every kernel launched from Java at every run";
        String failed = CudaQueue.lastGraphFailure;
        return "on: each execution context's plan runs directly once, is captured at its second run and replayed with one"
                + " cuGraphLaunch after that (-Dgapnet.cuda.graphs=false turns it off)"
                + (failed == null ? "" : "; a capture failed, so that plan runs directly: " + failed);
    }

    /** {@code -Dgapnet.cuda.tf32=true}: cuBLAS and cuDNN may use TF32 tensor cores (10-bit mantissa products). */
    static boolean tf32() {
        return Boolean.getBoolean("gapnet.cuda.tf32");
    }

    /**
     * Why the NVIDIA libraries (cuBLAS 13, cuDNN) are not even tried, or null: the CUDA simulator's stand-in driver
     * cannot host the CUDA runtime they need.
     */
    private static String vendorReason() {
        List<CudaDevice> ds = devices();
        return !ds.isEmpty() && ds.get(0).simulated() ? "not tried on the CUDA simulator, which runs gapnet's own kernels" : null;
    }

    private static boolean disabled(String property) {
        return !Boolean.parseBoolean(System.getProperty(property, "true"));
    }

    private static final java.util.regex.Pattern MISSING_LIBRARY =
            java.util.regex.Pattern.compile("([\\w.+-]+\\.so[\\w.]*): cannot open shared object file[^\\n]*");

    /** The useful line of JCuda's long load-failure message: which shared library is missing. */
    static String linkError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = String.valueOf(c.getMessage());
            java.util.regex.Matcher matcher = MISSING_LIBRARY.matcher(m);
            if (matcher.find()) return matcher.group();
        }
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** Which path dense layers take, as `gapnet devices` and `bench` report it. */
    static String gemmPath() {
        return switch (gemm()) {
            case CUBLAS13 -> "cuBLAS 13 sgemm (" + VendorLibraries.where("libcublas.so.13") + ")";
            case CUBLAS12 -> "cuBLAS sgemm (libcublas.so.12)";
            case OWN -> "gapnet tiled SGEMM kernel (" + (disabled("gapnet.cuda.cublas")
                    ? "cuBLAS turned off with -Dgapnet.cuda.cublas=false"
                    : "cuBLAS 13: " + (vendorReason() != null ? vendorReason() : VendorLibraries.cublasReason()) + "; "
                    + cublasReason) + ")";
        };
    }

    /** Which path convolutions take. */
    static String convPath() {
        if (cudnn()) {
            return "cuDNN " + VendorLibraries.cudnnVersion() + " (" + VendorLibraries.where("libcudnn.so.9").getParent()
                    + "), the fastest algorithm per shape measured once (cudnnFindConvolutionForwardAlgorithm); gapnet's"
                    + " kernels where the padding differs between sides";
        }
        return "gapnet implicit-GEMM and direct kernels (" + (disabled("gapnet.cuda.cudnn")
                ? "cuDNN turned off with -Dgapnet.cuda.cudnn=false"
                : "cuDNN: " + (vendorReason() != null ? vendorReason() : VendorLibraries.cudnnReason())) + ")";
    }

    /** The arithmetic the NVIDIA libraries may use. */
    static String precision() {
        return tf32() ? "TF32 tensor cores allowed in cuBLAS and cuDNN (-Dgapnet.cuda.tf32=true)"
                : "float32 (TF32 off; -Dgapnet.cuda.tf32=true allows TF32 tensor cores in cuBLAS and cuDNN)";
    }
}
