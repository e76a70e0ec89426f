package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import io.gapnet.backend.ConvDesc;
import io.gapnet.model.Attributes;
import io.gapnet.runtime.PlanBuilder;
import io.gapnet.runtime.Value;
import io.gapnet.tensor.Shapes;
import java.util.Arrays;
import java.util.Map;

/**
 * Conv, and gapnet's FusedConv: a Conv whose output goes through an optional residual Add and an
 * activation, created by the graph optimiser. Inputs of FusedConv: X, W, B (may be omitted), residual
 * (may be omitted); attributes: Conv's plus {@code activation}, {@code activation_alpha}, {@code activation_beta}.
 */
final class ConvOps {
    private ConvOps() {}

    static void register(Map<String, OpLowering> ops, Map<String, OpLowering> gapnet) {
        ops.put("Conv", b -> b.output(conv(b, false)));
        gapnet.put("FusedConv", b -> b.output(conv(b, true)));
    }

    private static Value conv(PlanBuilder b, boolean fused) {
        Attributes a = b.node().attrs();
        Value x = b.floatIn(0), w = b.floatIn(1), bias = b.opt(2);
        Value residual = fused ? b.opt(3) : null;
        if (x.rank() != 4) {
            throw b.error("only 2-D convolution is supported (a 4-D NCHW input); the input has shape " + Shapes.str(x.shape()));
        }
        if (w.rank() != 4) throw b.error("weight must be 4-D [M, C/group, kH, kW] but has shape " + Shapes.str(w.shape()));
        long[] ks = a.getInts("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != w.dim(2) || ks[1] != w.dim(3))) {
            throw b.error("kernel_shape " + Arrays.toString(ks) + " does not match weight shape " + Shapes.str(w.shape()));
        }
        int group = a.getInt32("group", 1, 1, Integer.MAX_VALUE);
        int c = x.dim(1), oc = w.dim(0);
        if (oc == 0 || w.dim(1) == 0) throw b.error("weight " + Shapes.str(w.shape()) + " has no output or input channels");
        if (c != (long) w.dim(1) * group || oc % group != 0) {
            throw b.error("input has " + c + " channels but weight " + Shapes.str(w.shape()) + " with group " + group
                    + " expects " + (long) w.dim(1) * group + " (and output channels divisible by the group count)");
        }
        if (bias != null && (bias.rank() != 1 || bias.dim(0) != oc)) {
            throw b.error("bias must have shape [" + oc + "] but has " + Shapes.str(bias.shape()));
        }
        Window win = Window.of(b, x.dim(2), x.dim(3), w.dim(2), w.dim(3));
        Activation act = fused ? Activations.fromAttributes(a) : Activation.NONE;
        ConvDesc d = new ConvDesc(x.dim(0), c, x.dim(2), x.dim(3), oc, w.dim(2), w.dim(3), win.strideH(), win.strideW(),
                win.dilationH(), win.dilationW(), win.padTop(), win.padLeft(), win.padBottom(), win.padRight(), group, act);
        if (d.outH() <= 0 || d.outW() <= 0) {
            throw b.error("the output would be empty: input " + x.dim(2) + "x" + x.dim(3) + " is smaller than the "
                    + d.kh() + "x" + d.kw() + " kernel (dilation " + d.dilationH() + "x" + d.dilationW() + ", pads "
                    + Arrays.toString(new int[] {d.padTop(), d.padLeft(), d.padBottom(), d.padRight()})
                    + "); use a larger input image");
        }
        int[] out = {d.n(), oc, d.outH(), d.outW()};
        if (residual != null && !Arrays.equals(residual.shape(), out)) {
            // the Add broadcasts: run it as its own step after a plain convolution
            Value y = emit(b, d.withAct(Activation.NONE), out, x, w, bias, null);
            int[] rs = residual.shape();
            int[] sum = Shapes.broadcast(out, rs, b.node().describe());
            Value added = b.emit("Add", sum, 0, (k, in, o) -> k.binary(BinaryOp.ADD, out, in[0], rs, in[1], sum, o), y, residual);
            return act.kind() == Activation.Kind.NONE ? added : ElementwiseOps.apply(b, act, added);
        }
        return emit(b, d, out, x, w, bias, residual);
    }

    private static Value emit(PlanBuilder b, ConvDesc d, int[] out, Value x, Value w, Value bias, Value residual) {
        String name = "Conv" + (residual != null ? "+Add" : "") + (d.act().kind() != Activation.Kind.NONE ? "+" + d.act() : "");
        return b.emit(name, out, d.macs(), new ConvLaunch(d), x, w, bias, residual);
    }

}
