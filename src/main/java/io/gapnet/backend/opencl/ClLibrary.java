package io.gapnet.backend.opencl;

import static org.lwjgl.opencl.CL10.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NAME;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ALL;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_GPU;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_CPU;
import static org.lwjgl.opencl.CL10.CL_DRIVER_VERSION;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_NAME;
import static org.lwjgl.opencl.CL10.clGetDeviceIDs;
import static org.lwjgl.opencl.CL11.CL_DEVICE_HOST_UNIFIED_MEMORY;
import static org.lwjgl.opencl.CL10.clGetDeviceInfo;
import static org.lwjgl.opencl.CL10.clGetPlatformIDs;
import static org.lwjgl.opencl.CL10.clGetPlatformInfo;

import io.gapnet.BackendUnavailableException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;

/**
 * Loads the OpenCL ICD loader once and lists the devices. LWJGL looks for {@code libOpenCL.so}, which
 * Debian ships only in the -dev package, so the runtime name {@code libOpenCL.so.1} is tried first; the
 * property {@code gapnet.opencl.library} (or the environment variable GAPNET_OPENCL_LIBRARY) names another.
 */
final class ClLibrary {
    private static final int CL_DEVICE_OPENCL_C_VERSION = 0x103D;
    private static boolean loaded;
    private static BackendUnavailableException failure;
    private static List<ClDevice> devices;

    private ClLibrary() {}

    static synchronized void load() {
        if (loaded) return;
        if (failure != null) throw failure;
        String configured = System.getProperty("gapnet.opencl.library", System.getenv("GAPNET_OPENCL_LIBRARY"));
        List<String> names = configured != null && !configured.isEmpty() ? List.of(configured)
                : List.of("libOpenCL.so.1", "libOpenCL.so", "/System/Library/Frameworks/OpenCL.framework/OpenCL", "OpenCL");
        Configuration.OPENCL_EXPLICIT_INIT.set(true);
        SignalGuard.save();
        if (!Boolean.getBoolean("org.lwjgl.util.Debug") && Configuration.DEBUG_STREAM.get() == null) {
            // the names that fail to load are expected; gapnet reports the outcome itself
            Configuration.DEBUG_STREAM.set(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        }
        StringBuilder tried = new StringBuilder();
        for (String name : names) {
            try {
                CL.create(name);
                loaded = true;
                return;
            } catch (Throwable t) { // UnsatisfiedLinkError, IllegalStateException from the loader
                tried.append(tried.length() > 0 ? "; " : "").append(name).append(": ").append(t.getMessage());
            }
        }
        failure = new BackendUnavailableException("no OpenCL library could be loaded (" + tried + "); install an ICD"
                + " loader and a driver (Debian: apt-get install ocl-icd-libopencl1 pocl-opencl-icd) or set"
                + " -Dgapnet.opencl.library=PATH");
        throw failure;
    }

    /** Every device of every platform, in platform order. */
    static synchronized List<ClDevice> devices() {
        load();
        if (devices != null) return devices;
        List<ClDevice> out = new ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            int err = clGetPlatformIDs(null, count);
            SignalGuard.restore();
            if (err == -1001 || (err == 0 && count.get(0) == 0)) {
                throw new BackendUnavailableException("no OpenCL platform found: install a driver (PoCL for CPUs:"
                        + " apt-get install pocl-opencl-icd; or the GPU vendor's OpenCL driver)");
            }
            ClCheck.check(err, "clGetPlatformIDs");
            PointerBuffer platforms = stack.mallocPointer(count.get(0));
            ClCheck.check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
            for (int p = 0; p < platforms.capacity(); p++) {
                long platform = platforms.get(p);
                String platformName = platformString(platform, CL_PLATFORM_NAME);
                IntBuffer n = stack.mallocInt(1);
                int e = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, n);
                if (e == -1 || n.get(0) == 0) continue; // CL_DEVICE_NOT_FOUND
                ClCheck.check(e, "clGetDeviceIDs");
                PointerBuffer ids = stack.mallocPointer(n.get(0));
                ClCheck.check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids, (IntBuffer) null), "clGetDeviceIDs");
                for (int d = 0; d < ids.capacity(); d++) {
                    long dev = ids.get(d);
                    long type = deviceLong(dev, CL_DEVICE_TYPE);
                    boolean gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
                    out.add(new ClDevice(out.size(), platform, dev, platformName, deviceString(dev, CL_DEVICE_NAME), gpu,
                            gpu ? "GPU" : (type & CL_DEVICE_TYPE_CPU) != 0 ? "CPU" : "accelerator",
                            deviceInt(dev, CL_DEVICE_MAX_COMPUTE_UNITS), deviceLong(dev, CL_DEVICE_GLOBAL_MEM_SIZE),
                            deviceLong(dev, CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                            devicePointer(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE), deviceString(dev, CL_DEVICE_OPENCL_C_VERSION),
                            deviceString(dev, CL_DRIVER_VERSION),
                            (type & CL_DEVICE_TYPE_CPU) != 0 || hostUnified(dev)));
                }
            }
        }
        SignalGuard.restore(); // the platforms are initialised now: drivers that bring LLVM have loaded it
        devices = List.copyOf(out);
        return devices;
    }

    private static String platformString(long platform, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClCheck.check(clGetPlatformInfo(platform, param, (ByteBuffer) null, size), "clGetPlatformInfo");
            ByteBuffer buf = stack.malloc((int) size.get(0));
            ClCheck.check(clGetPlatformInfo(platform, param, buf, null), "clGetPlatformInfo");
            return text(buf);
        }
    }

    private static String deviceString(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClCheck.check(clGetDeviceInfo(device, param, (ByteBuffer) null, size), "clGetDeviceInfo");
            ByteBuffer buf = stack.malloc((int) size.get(0));
            ClCheck.check(clGetDeviceInfo(device, param, buf, null), "clGetDeviceInfo");
            return text(buf);
        }
    }

    private static String text(ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.get(b);
        int len = b.length;
        while (len > 0 && b[len - 1] == 0) len--;
        return new String(b, 0, len, StandardCharsets.UTF_8).trim();
    }

    private static long deviceLong(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            ClCheck.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    /** Whether the device's memory is the host's (an integrated GPU); false where the driver does not say. */
    private static boolean hostUnified(long device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer v = stack.mallocInt(1);
            return clGetDeviceInfo(device, CL_DEVICE_HOST_UNIFIED_MEMORY, v, null) == 0 && v.get(0) != 0;
        }
    }

    private static int deviceInt(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer v = stack.mallocInt(1);
            ClCheck.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }

    private static long devicePointer(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer v = stack.mallocPointer(1);
            ClCheck.check(clGetDeviceInfo(device, param, v, null), "clGetDeviceInfo");
            return v.get(0);
        }
    }
}
