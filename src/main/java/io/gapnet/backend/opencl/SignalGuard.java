package io.gapnet.backend.opencl;

import java.nio.ByteBuffer;
import org.lwjgl.system.APIUtil;
import org.lwjgl.system.JNI;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.SharedLibrary;

/**
 * Keeps the JVM's signal handlers in place. Some OpenCL drivers load LLVM (PoCL does), and LLVM installs its
 * own crash handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGQUIT, SIGINT and SIGTERM. The JVM uses SIGSEGV
 * for null checks and safepoints, so with LLVM's handler in place the process dies at random. On Linux the
 * JVM's handlers are saved before the OpenCL library loads and put back after each driver call that may
 * load or run LLVM. (Preloading the JDK's libjsig.so is the other cure; this one needs no launcher change.)
 */
final class SignalGuard {
    private static final int[] SIGNALS = {1, 2, 3, 4, 7, 8, 11, 15}; // HUP INT QUIT ILL BUS FPE SEGV TERM
    private static final int SLOT = 256; // larger than struct sigaction on every Linux ABI
    private static long sigaction;
    private static ByteBuffer saved;
    private static SharedLibrary libc;

    private SignalGuard() {}

    /** Records the current (the JVM's) handlers; call before the OpenCL library is loaded. */
    static synchronized void save() {
        if (saved != null || !System.getProperty("os.name", "").startsWith("Linux")) return;
        try {
            libc = APIUtil.apiCreateLibrary("libc.so.6");
            sigaction = libc.getFunctionAddress("sigaction");
        } catch (Throwable t) {
            return; // not glibc: nothing to guard with
        }
        if (sigaction == 0) return;
        saved = MemoryUtil.memCalloc(SLOT * SIGNALS.length);
        for (int i = 0; i < SIGNALS.length; i++) {
            JNI.invokePPI(SIGNALS[i], 0L, MemoryUtil.memAddress(saved) + (long) i * SLOT, sigaction);
        }
    }

    /** The address of the handler now installed for {@code signal} (0 where this guard does not work). */
    static synchronized long handlerOf(int signal) {
        if (sigaction == 0) return 0;
        ByteBuffer current = MemoryUtil.memCalloc(SLOT);
        try {
            JNI.invokePPI(signal, 0L, MemoryUtil.memAddress(current), sigaction);
            return current.getLong(0); // sa_handler / sa_sigaction comes first in glibc's struct sigaction
        } finally {
            MemoryUtil.memFree(current);
        }
    }

    /** Puts the recorded handlers back. */
    static synchronized void restore() {
        if (saved == null) return;
        for (int i = 0; i < SIGNALS.length; i++) {
            JNI.invokePPI(SIGNALS[i], MemoryUtil.memAddress(saved) + (long) i * SLOT, 0L, sigaction);
        }
    }
}
