package io.gapnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Activation;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Regression test for a JVM crash: PoCL loads LLVM, whose crash handlers replaced the JVM's SIGSEGV handler,
 * and the JVM died at its next implicit null check or safepoint poll. After OpenCL has initialised, built a
 * program and run a kernel, the SIGSEGV and SIGQUIT handlers must still be the JVM's (code in libjvm.so).
 */
class SignalGuardTest {
    @Test
    void jvmSignalHandlersSurviveOpenCl() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "SKIPPED: the signal guard is for Linux");
        assumeTrue(Backends.available().contains("opencl"), "SKIPPED: no OpenCL device here");
        try (Backend b = Backends.open("opencl"); Queue q = b.openQueue();
             DeviceBuffer x = b.allocate(8, "x"); DeviceBuffer y = b.allocate(8, "y")) {
            q.kernels().activation(Activation.RELU, 8, x, y);
            q.kernels().softmax(1, 8, 1, x, y);
            q.synchronize();
        }
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        for (int signal : new int[] {11, 3}) {
            long handler = SignalGuard.handlerOf(signal);
            assertNotEquals(0, handler, "no handler for signal " + signal);
            String owner = owner(maps, handler);
            assertTrue(owner.endsWith("libjvm.so"), "signal " + signal + " is handled by " + owner + ", not the JVM");
        }
    }

    private static String owner(List<String> maps, long address) {
        for (String line : maps) {
            String[] f = line.split("\\s+");
            String[] range = f[0].split("-");
            long lo = Long.parseUnsignedLong(range[0], 16), hi = Long.parseUnsignedLong(range[1], 16);
            if (Long.compareUnsigned(address, lo) >= 0 && Long.compareUnsigned(address, hi) < 0) {
                return f.length > 5 ? f[5] : "(anonymous)";
            }
        }
        return "(unmapped)";
    }
}
