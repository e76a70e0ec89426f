package io.gapnet.runtime.ops;

import io.gapnet.backend.Activation;
import io.gapnet.model.Attributes;
import io.gapnet.model.Node;
import io.gapnet.tensor.Tensor;
import java.util.function.Function;

/** Maps element-wise single-input nodes (Relu, Clip, Sigmoid, HardSwish, Exp, Sqrt...) to {@link Activation}s. */
public final class Activations {
    private Activations() {}

    /** The element-wise single-input ops this class maps. */
    public static final java.util.List<String> OPS = java.util.List.of("Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid",
            "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal");

    public static boolean isActivation(String opType) {
        return OPS.contains(opType);
    }

    /**
     * The activation a node computes, or null when it is not an activation or its parameters (Clip's
     * min and max inputs) are not constants. {@code constants} gives constant tensors by value name.
     */
    public static Activation of(Node n, Function<String, Tensor> constants, int opset) {
        Attributes a = n.attrs();
        switch (n.opType()) {
            case "Relu": return Activation.RELU;
            case "LeakyRelu": return Activation.leakyRelu(a.getFloat("alpha", 0.01f));
            case "Sigmoid": return Activation.of(Activation.Kind.SIGMOID);
            case "Tanh": return Activation.of(Activation.Kind.TANH);
            case "HardSwish": return Activation.of(Activation.Kind.HARD_SWISH);
            case "Elu": return new Activation(Activation.Kind.ELU, a.getFloat("alpha", 1f), 0);
            case "Selu": return new Activation(Activation.Kind.SELU, a.getFloat("alpha", 1.67326319217681884765625f),
                    a.getFloat("gamma", 1.05070102214813232421875f));
            case "Softplus": return Activation.of(Activation.Kind.SOFTPLUS);
            case "Exp": return Activation.of(Activation.Kind.EXP);
            case "Log": return Activation.of(Activation.Kind.LOG);
            case "Sqrt": return Activation.of(Activation.Kind.SQRT);
            case "Neg": return Activation.of(Activation.Kind.NEG);
            case "Abs": return Activation.of(Activation.Kind.ABS);
            case "Reciprocal": return Activation.of(Activation.Kind.RECIPROCAL);
            case "HardSigmoid": return Activation.hardSigmoid(a.getFloat("alpha", 0.2f), a.getFloat("beta", 0.5f));
            case "Clip": {
                if (opset < 11) {
                    return Activation.clip(a.getFloat("min", -Float.MAX_VALUE), a.getFloat("max", Float.MAX_VALUE));
                }
                Float min = bound(n.input(1), constants, -Float.MAX_VALUE);
                Float max = bound(n.input(2), constants, Float.MAX_VALUE);
                return min == null || max == null ? null : Activation.clip(min, max);
            }
            default:
                return null;
        }
    }

    private static Float bound(String name, Function<String, Tensor> constants, float dflt) {
        if (name.isEmpty()) return dflt;
        Tensor t = constants.apply(name);
        if (t == null || t.numel() != 1) return null;
        return t.toFloats()[0];
    }
}
