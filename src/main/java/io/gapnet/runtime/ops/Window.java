package io.gapnet.runtime.ops;

import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;

/**
 * The sliding-window attributes shared by Conv, MaxPool and AveragePool (2-D): strides, dilations and
 * pads, with auto_pad resolved for the actual input size.
 */
record Window(int strideH, int strideW, int dilationH, int dilationW, int padTop, int padLeft, int padBottom, int padRight) {

    static Window of(PlanBuilder b, int h, int w, int kh, int kw) {
        Attributes a = b.node().attrs();
        long[] strides = ints(b, a, "strides", new long[] {1, 1}, 2, 1);
        long[] dil = ints(b, a, "dilations", new long[] {1, 1}, 2, 1);
        long[] pads = ints(b, a, "pads", new long[] {0, 0, 0, 0}, 4, 0);
        String autoPad = a.getString("auto_pad", "NOTSET");
        int[] p = new int[4];
        switch (autoPad) {
            case "NOTSET":
                for (int i = 0; i < 4; i++) p[i] = (int) pads[i];
                break;
            case "VALID":
                break;
            case "SAME_UPPER":
            case "SAME_LOWER": {
                int[] in = {h, w}, k = {kh, kw};
                for (int i = 0; i < 2; i++) {
                    int s = (int) strides[i];
                    int out = (in[i] + s - 1) / s;
                    int total = Math.max(0, (out - 1) * s + (k[i] - 1) * (int) dil[i] + 1 - in[i]);
                    int small = total / 2;
                    p[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    p[i + 2] = total - p[i];
                }
                break;
            }
            default:
                throw b.error("auto_pad '" + autoPad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        }
        return new Window((int) strides[0], (int) strides[1], (int) dil[0], (int) dil[1], p[0], p[1], p[2], p[3]);
    }

    private static long[] ints(PlanBuilder b, Attributes a, String name, long[] dflt, int len, long min) {
        long[] v = a.getInts(name);
        if (v == null) return dflt;
        if (v.length != len) {
            throw b.error("attribute '" + name + "' has " + v.length + " values " + java.util.Arrays.toString(v)
                    + " but a 2-D window needs " + len);
        }
        for (long x : v) {
            if (x < min || x > 1 << 20) throw b.error("attribute '" + name + "' value " + x + " in "
                    + java.util.Arrays.toString(v) + " is out of range");
        }
        return v;
    }

    /** Output length along one axis; ceil mode drops a last window that would start in the end padding. */
    static int outSize(int in, int k, int stride, int dilation, int padBegin, int padEnd, boolean ceil) {
        int span = in + padBegin + padEnd - ((k - 1) * dilation + 1);
        if (span < 0) return 0;
        if (!ceil) return span / stride + 1;
        int out = (span + stride - 1) / stride + 1;
        if ((out - 1) * stride >= in + padBegin) out--;
        return out;
    }
}
