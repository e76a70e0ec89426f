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
            "HardSwish", "Tanh", "Elu", "Selu", "Softplus", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal", "Erf", "Gelu",
            "Mish", "Softsign", "ThresholdedRelu", "Celu", "Floor", "Ceil", "Round");

    /**
     * The activations the optimiser creates from their exported patterns in gapnet's domain, where the model's opset
     * has no such op (Gelu before 20, HardSwish before 14, Mish before 18; Silu has none).
     */
    public static final java.util.List<String> GAPNET_OPS = java.util.List.of("Gelu", "Silu", "HardSwish", "Mish");

    /** True for a node {@link #of} maps: a default-domain activation, or one of {@link #GAPNET_OPS}. */
    public static boolean isActivation(Node n) {
        return n.domain().isEmpty() ? OPS.contains(n.opType()) : n.domain().equals(OpSet.GAPNET_DOMAIN) && GAPNET_OPS.contains(n.opType());
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
            case "Erf": return Activation.of(Activation.Kind.ERF);
            case "Gelu": { // opset 20, and gapnet's own op for the erf pattern the optimiser recognises at earlier opsets
                String approx = a.getString("approximate", "none");
                if (approx.equals("none")) return Activation.of(Activation.Kind.GELU);
                if (approx.equals("tanh")) return Activation.of(Activation.Kind.GELU_TANH);
                throw new io.gapnet.ModelException(n.describe() + ": attribute 'approximate' must be \"none\" or \"tanh\" but is \""
                        + approx + "\"");
            }
            case "Mish": return Activation.of(Activation.Kind.MISH);
            case "Softsign": return Activation.of(Activation.Kind.SOFTSIGN);
            case "ThresholdedRelu": return new Activation(Activation.Kind.THRESHOLDED_RELU, a.getFloat("alpha", 1f), 0);
            case "Celu": {
                float alpha = a.getFloat("alpha", 1f);
                if (alpha == 0 || !Float.isFinite(alpha)) {
                    throw new io.gapnet.ModelException(n.describe() + ": Celu's alpha must be finite and non-zero but is " + alpha);
                }
                return new Activation(Activation.Kind.CELU, alpha, 0);
            }
            case "Floor": return Activation.of(Activation.Kind.FLOOR);
            case "Ceil": return Activation.of(Activation.Kind.CEIL);
            case "Round": return Activation.of(Activation.Kind.ROUND);
            case "Silu": return Activation.of(Activation.Kind.SILU); // gapnet's own, fused from x * Sigmoid(x)
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

    /** Base attributes plus an activation, as FusedConv stores it ({@code activation}, {@code activation_alpha/beta}). */
    public static Attributes withActivation(Attributes base, Activation act) {
        return base.with("activation", act.kind().name()).with("activation_alpha", act.alpha()).with("activation_beta", act.beta());
    }

    /** The activation of a FusedConv's attributes (none when absent). */
    public static Activation fromAttributes(Attributes a) {
        Activation.Kind kind = Activation.Kind.valueOf(a.getString("activation", "NONE"));
        return new Activation(kind, a.getFloat("activation_alpha", 0f), a.getFloat("activation_beta", 0f));
    }

    /** Attributes without the activation that {@link #withActivation} added: a fused node's own op's attributes. */
    public static Attributes withoutActivation(Attributes a) {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>(a.asMap());
        m.keySet().removeAll(java.util.List.of("activation", "activation_alpha", "activation_beta"));
        return new Attributes(m);
    }

    /**
     * The ONNX node that computes {@code act} (the inverse of {@link #of}); Clip's bounds become initializers in
     * {@code initializers} from opset 11 on, attributes before. Null for {@link Activation#NONE}.
     */
    public static Node node(Activation act, String name, String input, String output, java.util.Map<String, Tensor> initializers,
                            int opset) {
        java.util.Map<String, Object> a = new java.util.LinkedHashMap<>();
        java.util.List<String> in = new java.util.ArrayList<>(java.util.List.of(input));
        String op, domain = "";
        switch (act.kind()) {
            case NONE: return null;
            case RELU: op = "Relu"; break;
            case LEAKY_RELU: op = "LeakyRelu"; a.put("alpha", act.alpha()); break;
            case SIGMOID: op = "Sigmoid"; break;
            case TANH: op = "Tanh"; break;
            case HARD_SWISH: op = "HardSwish"; if (opset < 14) domain = OpSet.GAPNET_DOMAIN; break;
            case ELU: op = "Elu"; a.put("alpha", act.alpha()); break;
            case SELU: op = "Selu"; a.put("alpha", act.alpha()); a.put("gamma", act.beta()); break;
            case SOFTPLUS: op = "Softplus"; break;
            case EXP: op = "Exp"; break;
            case LOG: op = "Log"; break;
            case SQRT: op = "Sqrt"; break;
            case NEG: op = "Neg"; break;
            case ABS: op = "Abs"; break;
            case RECIPROCAL: op = "Reciprocal"; break;
            case HARD_SIGMOID: op = "HardSigmoid"; a.put("alpha", act.alpha()); a.put("beta", act.beta()); break;
            case ERF: op = "Erf"; break;
            case GELU: case GELU_TANH: // ONNX has Gelu from opset 20; before that it is gapnet's own op
                op = "Gelu";
                if (act.kind() == Activation.Kind.GELU_TANH) a.put("approximate", "tanh");
                if (opset < 20) domain = OpSet.GAPNET_DOMAIN;
                break;
            case MISH: op = "Mish"; if (opset < 18) domain = OpSet.GAPNET_DOMAIN; break;
            case SOFTSIGN: op = "Softsign"; break;
            case THRESHOLDED_RELU: op = "ThresholdedRelu"; a.put("alpha", act.alpha()); break;
            case CELU: op = "Celu"; a.put("alpha", act.alpha()); break;
            case FLOOR: op = "Floor"; break;
            case CEIL: op = "Ceil"; break;
            case ROUND: op = "Round"; break;
            case SILU: op = "Silu"; domain = OpSet.GAPNET_DOMAIN; break; // no ONNX op: Sigmoid and Mul
            case CLIP:
                op = "Clip";
                if (opset < 11) {
                    a.put("min", act.alpha());
                    a.put("max", act.beta());
                } else {
                    initializers.put(name + "_min", Tensor.scalar(act.alpha()));
                    initializers.put(name + "_max", Tensor.scalar(act.beta()));
                    in.add(name + "_min");
                    in.add(name + "_max");
                }
                break;
            default: throw new IllegalArgumentException("no ONNX op for activation " + act.kind());
        }
        return new Node(name, op, domain, in, java.util.List.of(output), new Attributes(a));
    }

    private static Float bound(String name, Function<String, Tensor> constants, float dflt) {
        if (name.isEmpty()) return dflt;
        Tensor t = constants.apply(name);
        if (t == null || t.numel() != 1) return null;
        return t.toFloats()[0];
    }
}
