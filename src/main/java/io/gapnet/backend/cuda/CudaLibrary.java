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
 * devices. cuBLAS (JCublas2, which links libcublas.so.12, a CUDA 12 library) is loaded separately and only
 * when present; without it dense layers run on gapnet's own SGEMM kernel.
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

    /**
     * Whether cuBLAS can be used: JCublas2 loads (libcublas.so.12 present) and {@code -Dgapnet.cuda.cublas=false}
     * does not turn it off. The library is loaded once; the property is read at every call, so a queue opened after
     * it changes takes the other path.
     */
    static synchronized boolean cublas() {
        if (cublasDisabled()) return false;
        if (cublas != null) return cublas;
        try {
            JCublas2.setExceptionsEnabled(false);
            JCublas2.initialize();
            cublas = true;
        } catch (Throwable t) { // UnsatisfiedLinkError: libcublas.so.12 (CUDA 12) is not installed
            cublasReason = "cuBLAS not loaded: " + linkError(t);
            cublas = false;
        }
        return cublas;
    }

    private static boolean cublasDisabled() {
        return !Boolean.parseBoolean(System.getProperty("gapnet.cuda.cublas", "true"));
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
        if (cublas()) return "cuBLAS sgemm (libcublas.so.12)";
        return "gapnet tiled SGEMM kernel (" + (cublasDisabled() ? "cuBLAS turned off with -Dgapnet.cuda.cublas=false"
                : cublasReason) + ")";
    }
}
