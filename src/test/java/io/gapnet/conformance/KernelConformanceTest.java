package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.fail;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The conformance suite: every case of {@link KernelCases} on every accelerated backend against the CPU
 * reference, with |got - want| <= 1e-4 + 1e-3 * |want|, and a guard region after each output that must
 * come back untouched (catches out-of-bounds writes). A new backend needs no new test.
 */
class KernelConformanceTest {
    static final int GUARD = 67;
    static final float SENTINEL = -7654.321f;
    static final CpuBackend REFERENCE = new CpuBackend();
    static final List<Backend> OPEN = new ArrayList<>();

    @AfterAll
    static void closeBackends() {
        for (Backend b : OPEN) b.close();
    }

    @TestFactory
    Stream<DynamicTest> everyOpOnEveryBackend() {
        List<String> backends = Require.acceleratedBackends();
        if (backends.isEmpty()) {
            return Stream.of(DynamicTest.dynamicTest("no accelerated backend", () -> Require.assumeAny(backends)));
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : backends) {
            Backend b = Backends.open(name);
            OPEN.add(b);
            for (KernelCase c : KernelCases.all()) tests.add(DynamicTest.dynamicTest(name + ": " + c, () -> check(b, c)));
        }
        return tests.stream();
    }

    static float[][] inputs(KernelCase c) {
        Random r = new Random(c.name().hashCode());
        float[][] in = new float[c.inputs().length][];
        for (int i = 0; i < in.length; i++) {
            in[i] = new float[c.inputs()[i]];
            for (int j = 0; j < in[i].length; j++) {
                float v = (float) r.nextGaussian();
                in[i][j] = c.positive() ? Math.abs(v) + 0.1f : v;
            }
        }
        return in;
    }

    /** Runs the case on a backend; returns the output followed by the guard region. */
    static float[] run(Backend b, KernelCase c, float[][] in) {
        int total = (int) c.outputSize() + GUARD;
        DeviceBuffer[] bufs = new DeviceBuffer[in.length];
        DeviceBuffer out = null;
        try (Queue q = b.openQueue()) {
            for (int i = 0; i < in.length; i++) {
                bufs[i] = b.allocate(Math.max(1, in[i].length), "input " + i);
                q.upload(in[i], 0, bufs[i], 0, in[i].length);
            }
            out = b.allocate(total, "output");
            float[] guard = new float[total];
            java.util.Arrays.fill(guard, SENTINEL);
            q.upload(guard, 0, out, 0, total);
            c.launch().run(q.kernels(), bufs, out);
            float[] result = new float[total];
            q.download(out, 0, result, 0, total);
            q.synchronize();
            return result;
        } finally {
            for (DeviceBuffer d : bufs) if (d != null) d.close();
            if (out != null) out.close();
        }
    }

    static void check(Backend b, KernelCase c) {
        float[][] in = inputs(c);
        float[] want = run(REFERENCE, c, in);
        float[] got = run(b, c, in);
        int n = (int) c.outputSize();
        double maxErr = 0;
        int bad = -1;
        for (int i = 0; i < n; i++) {
            if (want[i] == got[i] || Float.isNaN(want[i]) && Float.isNaN(got[i])) continue;
            double err = Math.abs((double) got[i] - want[i]);
            if (Double.isNaN(err)) err = Double.POSITIVE_INFINITY;
            maxErr = Math.max(maxErr, err);
            if (bad < 0 && !(err <= 1e-4 + 1e-3 * Math.abs(want[i]))) bad = i;
        }
        if (bad >= 0) {
            fail(String.format("%s on %s: element %d of %d: got %s, want %s; max abs error %.3g", c, b.name(), bad, n,
                    got[bad], want[bad], maxErr));
        }
        for (int i = n; i < n + GUARD; i++) {
            if (got[i] != SENTINEL) fail(c + " on " + b.name() + " wrote past its output: guard element " + (i - n) + " = " + got[i]);
        }
    }
}
