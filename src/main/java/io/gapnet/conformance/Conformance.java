package io.gapnet.conformance;

import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import java.util.Arrays;
import java.util.Random;

/**
 * Runs a {@link KernelCase} on a backend and on the CPU reference with the same seeded random inputs and
 * compares: every output element within {@code |got - want| <= 1e-4 + 1e-3 * |want|}, and the guard region
 * after the output (pre-filled with a sentinel) untouched, which catches out-of-bounds writes.
 */
public final class Conformance {
    public static final double ATOL = 1e-4, RTOL = 1e-3;
    static final int GUARD = 67;
    static final float SENTINEL = -7654.321f;
    private static final CpuBackend REFERENCE = new CpuBackend();

    /** The outcome of one case on one backend. */
    public record Result(KernelCase kernelCase, String backend, boolean passed, double maxAbsError, String message) {}

    private Conformance() {}

    /** What {@link KernelCase#withSpecialValues} mixes in, one in every 7 elements of the first input. */
    static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1e30f, -1e30f};

    static float[][] inputs(KernelCase c) {
        Random r = new Random(c.name().hashCode());
        float[][] in = new float[c.inputs().length][];
        for (int i = 0; i < in.length; i++) {
            in[i] = new float[c.inputs()[i]];
            for (int j = 0; j < in[i].length; j++) {
                float v = (float) r.nextGaussian();
                in[i][j] = (c.positive() ? Math.abs(v) + 0.1f : v) * c.scale(i);
                if (c.specials() && i == 0 && j % 7 == 3) in[i][j] = SPECIALS[(j / 7) % SPECIALS.length];
            }
        }
        return in;
    }

    /** Runs the case; returns the output followed by the guard region. */
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
            Arrays.fill(guard, SENTINEL);
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

    public static Result check(Backend b, KernelCase c) {
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
            if (bad < 0 && !(err <= ATOL + RTOL * Math.abs(want[i]))) bad = i;
        }
        if (bad >= 0) {
            return new Result(c, b.name(), false, maxErr, String.format("element %d of %d: got %s, want %s", bad, n, got[bad], want[bad]));
        }
        for (int i = n; i < n + GUARD; i++) {
            if (got[i] != SENTINEL) {
                return new Result(c, b.name(), false, maxErr, "wrote past its output: guard element " + (i - n) + " = " + got[i]);
            }
        }
        return new Result(c, b.name(), true, maxErr, "");
    }
}
