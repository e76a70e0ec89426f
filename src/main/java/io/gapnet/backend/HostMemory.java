package io.gapnet.backend;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This machine's physical memory, for devices whose "device memory" is this process's own host memory (an
 * OpenCL CPU device such as PoCL, an integrated GPU). Such a driver happily hands out buffers that, once
 * written, make the process large enough for the kernel's out-of-memory killer to end it: no exception, no
 * message, the whole service gone. Backends for such devices therefore keep their buffers within
 * {@link #shareForDevice()} and check {@link #available()} before each allocation, so that too large a batch
 * becomes a {@link io.gapnet.DeviceOutOfMemoryException} instead.
 */
public final class HostMemory {
    /** Physical memory does not change while the process runs: asked once. */
    private static final long PHYSICAL = totalMemory();

    private HostMemory() {}

    /** The machine's physical memory in bytes, or -1 where the JVM cannot tell. */
    public static long physical() {
        return PHYSICAL;
    }

    private static long totalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long total = os.getTotalMemorySize();
            return total > 0 ? total : -1;
        }
        return -1;
    }

    /**
     * Memory the kernel can still give this process without swapping or killing anything, in bytes: Linux's
     * {@code MemAvailable}, elsewhere the JVM's free-memory figure; -1 where neither is known.
     */
    public static long available() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] f = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return Long.parseLong(f[0]) * 1024; // the kernel writes kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a /proc without the field: fall through to the JVM's figure
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long free = os.getFreeMemorySize();
            return free > 0 ? free : -1;
        }
        return -1;
    }

    /** What is kept free of device buffers beyond the Java heap: an eighth of physical memory, at least 1 GiB. */
    public static long reserve() {
        long p = physical();
        return Math.max(1L << 30, p > 0 ? p / 8 : 0);
    }

    /**
     * How many bytes of device buffers a device that shares host memory may hold at once: physical memory less
     * the Java heap's maximum (which the JVM may grow into at any time) and {@link #reserve()}, but never less
     * than a quarter of physical memory (a heap sized at most of the machine is rarely full); -1 where physical
     * memory is unknown.
     */
    public static long shareForDevice() {
        long p = physical();
        if (p <= 0) return -1;
        long share = p - Runtime.getRuntime().maxMemory() - reserve();
        return Math.max(share, p / 4);
    }
}
