package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;
import io.gapnet.runtime.Step;

/**
 * The launch of one convolution step: inputs X, W, B, residual (each but X may be absent), {@link Kernels#conv2d}.
 * The compiler recognises it to run a projection shortcut together with the block's last convolution
 * ({@link #pair}).
 */
public record ConvLaunch(ConvDesc d) implements Step.Preparing {
    @Override
    public void run(Kernels k, DeviceBuffer[] in, DeviceBuffer out) {
        k.conv2d(d, in[0], in[1], in[2], in[3], out);
    }

    @Override
    public void prepare(Kernels k, DeviceBuffer[] in) {
        if (in[1] != null) k.prepareConv2d(d, in[1]);
    }

    /**
     * Whether {@code shortcut}'s output, added as the residual of {@code main}, can be computed in the same launch: both
     * 1x1, unpadded and ungrouped with the same output (ResNet's bottleneck output and its projection shortcut), the
     * shortcut without residual or activation of its own.
     */
    public static boolean pairs(ConvDesc main, ConvDesc shortcut) {
        return plain1x1(main) && plain1x1(shortcut) && shortcut.act().kind() == Activation.Kind.NONE
                && main.n() == shortcut.n() && main.oc() == shortcut.oc() && main.outH() == shortcut.outH()
                && main.outW() == shortcut.outW();
    }

    private static boolean plain1x1(ConvDesc d) {
        return d.kh() == 1 && d.kw() == 1 && d.group() == 1 && d.padTop() == 0 && d.padLeft() == 0 && d.padBottom() == 0
                && d.padRight() == 0;
    }

    /**
     * The launch of main with shortcut's output as its residual, both in one {@link Kernels#conv2dPair}: inputs X, W, B
     * of main, then X, W, B of shortcut.
     */
    public static Step.Preparing pair(ConvDesc main, ConvDesc shortcut) {
        return new Step.Preparing() {
            @Override
            public void run(Kernels k, DeviceBuffer[] in, DeviceBuffer out) {
                k.conv2dPair(main, in[0], in[1], in[2], shortcut, in[3], in[4], in[5], out);
            }

            @Override
            public void prepare(Kernels k, DeviceBuffer[] in) {
                if (in[1] != null) k.prepareConv2d(main, in[1]);
                if (in[4] != null) k.prepareConv2d(shortcut, in[4]);
            }
        };
    }
}
