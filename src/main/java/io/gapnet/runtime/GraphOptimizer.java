package io.gapnet.runtime;

import io.gapnet.backend.Activation;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.ops.Activations;
import io.gapnet.runtime.ops.ConstantOp;
import io.gapnet.runtime.ops.OpSet;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shape-independent rewrites, run once per Session: Constant nodes become initializers; BatchNormalization
 * after a Conv is folded into the Conv's weights and bias; a Conv followed by a residual Add and/or an
 * activation becomes one FusedConv; GELU exported as {@code x * 0.5 * (1 + erf(x / sqrt 2))} becomes one Gelu
 * (gapnet's own before opset 20); LayerNorm exported as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add becomes
 * one LayerNormalization (gapnet's own before opset 17); x * Sigmoid(x), x * HardSigmoid(x) and x * Tanh(Softplus(x))
 * become SiLU, HardSwish and Mish; initializers nothing reads any more are dropped.
 */
public final class GraphOptimizer {
    private GraphOptimizer() {}

    public static Graph optimize(Graph g) {
        g = constantsToInitializers(g);
        g = foldBatchNorm(g);
        g = fuseGelu(g);
        g = fuseLayerNorm(g);
        g = fuseGatedActivations(g);
        g = fuseConvEpilogues(g);
        return pruneInitializers(g);
    }

    /** g without the removed nodes and with the replaced ones swapped in, in the same order; g itself when nothing changed. */
    private static Graph rebuilt(Graph g, Map<Node, Node> replaced, Set<Node> removed, Map<String, Tensor> inits) {
        if (replaced.isEmpty()) return g;
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (removed.contains(n)) continue;
            nodes.add(replaced.getOrDefault(n, n));
        }
        return g.withNodes(nodes, inits);
    }

    private static boolean isDefault(Node n, String op) {
        return n.domain().isEmpty() && n.opType().equals(op);
    }

    static Graph constantsToInitializers(Graph g) {
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (isDefault(n, "Constant")) inits.put(n.output(0), ConstantOp.value(n));
            else nodes.add(n);
        }
        return nodes.size() == g.nodes().size() ? g : g.withNodes(nodes, inits);
    }

    private static Set<String> graphOutputs(Graph g) {
        Set<String> s = new HashSet<>();
        for (ValueInfo v : g.outputs()) s.add(v.name());
        return s;
    }

    /** True when {@code value} is read by exactly one node and is not a graph output. */
    private static boolean soleUse(Graph g, Map<String, List<Node>> consumers, Set<String> outs, String value) {
        List<Node> c = consumers.get(value);
        return c != null && c.size() == 1 && !outs.contains(value);
    }

    static Graph foldBatchNorm(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = graphOutputs(g);
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node bn : g.nodes()) {
            if (!isDefault(bn, "BatchNormalization") || bn.attrs().getInt("training_mode", 0) != 0) continue;
            if (g.opset() < 9 && bn.attrs().getInt("spatial", 1) == 0) continue;
            Node conv = producers.get(bn.input(0));
            if (conv == null || !isDefault(conv, "Conv") || replaced.containsKey(conv)) continue;
            if (!soleUse(g, consumers, outs, conv.output(0))) continue;
            Tensor w = inits.get(conv.input(1));
            Tensor bias = conv.input(2).isEmpty() ? null : inits.get(conv.input(2));
            if (w == null || !w.dtype().isFloat() || w.rank() != 4 || w.numel() == 0 || (!conv.input(2).isEmpty() && bias == null)) {
                continue; // not foldable here; an empty weight is refused, with its shape, when the Conv is compiled
            }
            Tensor[] p = new Tensor[4];
            boolean ok = true;
            for (int i = 0; i < 4; i++) {
                p[i] = inits.get(bn.input(i + 1));
                ok &= p[i] != null && p[i].dtype().isFloat() && p[i].numel() == w.dim(0);
            }
            if (!ok || (bias != null && bias.numel() != w.dim(0))) continue;
            float eps = bn.attrs().getFloat("epsilon", 1e-5f);
            int oc = w.dim(0), per = w.numel() / oc;
            float[] wv = w.floats(), nw = new float[wv.length], nb = new float[oc];
            float[] scale = p[0].floats(), beta = p[1].floats(), mean = p[2].floats(), var = p[3].floats();
            for (int o = 0; o < oc; o++) {
                double s = scale[o] / Math.sqrt((double) var[o] + eps);
                for (int j = 0; j < per; j++) nw[o * per + j] = (float) (wv[o * per + j] * s);
                double b0 = bias == null ? 0 : bias.floats()[o];
                nb[o] = (float) ((b0 - mean[o]) * s + beta[o]);
            }
            String wName = unique(inits, conv.input(1) + "::bn_folded");
            inits.put(wName, Tensor.of(nw, w.shape()));
            String bName = unique(inits, bn.name() + "::bias_folded");
            inits.put(bName, Tensor.of(nb, oc));
            replaced.put(conv, conv.rewrite("Conv", "", List.of(conv.input(0), wName, bName), List.of(bn.output(0)), conv.attrs(),
                    List.of(bn)));
            removed.add(bn);
        }
        return rebuilt(g, replaced, removed, inits);
    }

    /** The single float value of an initializer, or NaN when {@code name} is not a one-element float constant. */
    private static double scalar(Map<String, Tensor> inits, String name) {
        Tensor t = inits.get(name);
        return t == null || !t.dtype().isFloat() || t.numel() != 1 ? Double.NaN : t.toFloats()[0];
    }

    private static boolean near(double v, double target) {
        return Math.abs(v - target) <= 1e-5 * Math.abs(target);
    }

    /** The operand of binary node {@code n} other than {@code value}, or null when neither input is {@code value}. */
    private static String other(Node n, String value) {
        if (n.inputs().size() != 2) return null;
        if (n.input(0).equals(value)) return n.input(1);
        return n.input(1).equals(value) ? n.input(0) : null;
    }

    /** The non-constant operand of Mul {@code n} whose other operand is the constant {@code c}, or null. */
    private static String mulBy(Node n, Map<String, Tensor> inits, double c) {
        if (!isDefault(n, "Mul") || n.inputs().size() != 2) return null;
        if (near(scalar(inits, n.input(1)), c)) return n.input(0);
        return near(scalar(inits, n.input(0)), c) ? n.input(1) : null;
    }

    /**
     * Recognises the exact GELU as exporters write it before opset 20: {@code Div(x, sqrt 2)} or {@code Mul(x, 1/sqrt 2)},
     * Erf, {@code Add 1}, then the product with x and 0.5 in any of its three orders.
     */
    static Graph fuseGelu(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = graphOutputs(g);
        Map<String, Tensor> inits = g.initializers();
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node erf : g.nodes()) {
            if (!isDefault(erf, "Erf")) continue;
            Node scale = producers.get(erf.input(0));
            if (scale == null || removed.contains(scale) || !soleUse(g, consumers, outs, scale.output(0))) continue;
            String x = isDefault(scale, "Div") && near(scalar(inits, scale.input(1)), Math.sqrt(2)) ? scale.input(0)
                    : mulBy(scale, inits, Math.sqrt(0.5));
            if (x == null || !soleUse(g, consumers, outs, erf.output(0))) continue;
            Node add = consumers.get(erf.output(0)).get(0);
            String one = isDefault(add, "Add") ? other(add, erf.output(0)) : null;
            if (one == null || !near(scalar(inits, one), 1) || !soleUse(g, consumers, outs, add.output(0))) continue;
            Node m1 = consumers.get(add.output(0)).get(0);
            String o = isDefault(m1, "Mul") ? other(m1, add.output(0)) : null;
            if (o == null) continue;
            List<Node> chain = new ArrayList<>(List.of(scale, erf, add, m1));
            Node last = m1;
            Node half = producers.get(o);
            if (o.equals(x) || near(scalar(inits, o), 0.5)) { // (1 + erf) * x then * 0.5, or * 0.5 then * x
                if (!soleUse(g, consumers, outs, m1.output(0))) continue;
                Node m2 = consumers.get(m1.output(0)).get(0);
                String rest = o.equals(x) ? mulBy(m2, inits, 0.5) : isDefault(m2, "Mul") ? other(m2, m1.output(0)) : null;
                if (rest == null || !rest.equals(o.equals(x) ? m1.output(0) : x)) continue;
                chain.add(m2);
                last = m2;
            } else if (half != null && x.equals(mulBy(half, inits, 0.5)) && soleUse(g, consumers, outs, o)) { // (x * 0.5) * (1 + erf)
                chain.add(0, half);
            } else {
                continue;
            }
            if (chain.stream().anyMatch(removed::contains)) continue;
            chain.remove(last);
            removed.addAll(chain);
            String domain = g.opset() >= 20 ? "" : OpSet.GAPNET_DOMAIN;
            replaced.put(last, last.rewrite("Gelu", domain, List.of(x), List.of(last.output(0)), Attributes.none(), chain));
        }
        return rebuilt(g, replaced, removed, inits);
    }

    /** The axes of a ReduceMean (attribute, or constant input from opset 18), or null. */
    private static long[] meanAxes(Node n, Map<String, Tensor> inits) {
        if (n.attrs().has("axes")) return n.attrs().getInts("axes");
        Tensor t = n.inputs().size() > 1 ? inits.get(n.input(1)) : null;
        return t == null || t.dtype().isFloat() ? null : t.toLongs();
    }

    /** -k for axes {-k, ..., -1} (the trailing axes, whatever the rank), else 0. */
    private static int trailingAxes(long[] axes) {
        if (axes == null || axes.length == 0) return 0;
        long[] sorted = axes.clone();
        java.util.Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) if (sorted[i] != i - sorted.length) return 0;
        return -sorted.length;
    }

    private static Node sole(Graph g, Map<String, List<Node>> consumers, Set<String> outs, String value, String op) {
        if (!soleUse(g, consumers, outs, value)) return null;
        Node n = consumers.get(value).get(0);
        return isDefault(n, op) ? n : null;
    }

    /**
     * Recognises LayerNorm over the trailing axes as exporters write it before opset 17: {@code d = x - mean(x)},
     * {@code d / sqrt(mean(d^2) + eps) * scale (+ bias)}, scale and bias constants.
     */
    static Graph fuseLayerNorm(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = graphOutputs(g);
        Map<String, Tensor> inits = g.initializers();
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node mean : g.nodes()) {
            if (!isDefault(mean, "ReduceMean") || mean.attrs().getInt("keepdims", 1) == 0) continue;
            int axis = trailingAxes(meanAxes(mean, inits));
            Node sub = sole(g, consumers, outs, mean.output(0), "Sub");
            if (axis == 0 || sub == null || !sub.input(1).equals(mean.output(0)) || !sub.input(0).equals(mean.input(0))) continue;
            String x = mean.input(0), d = sub.output(0);
            List<Node> users = consumers.getOrDefault(d, List.of());
            if (users.size() != 2 || outs.contains(d)) continue;
            Node pow = users.stream().filter(n -> isDefault(n, "Pow")).findFirst().orElse(null);
            Node div = users.stream().filter(n -> isDefault(n, "Div")).findFirst().orElse(null);
            if (pow == null || div == null || !pow.input(0).equals(d) || !near(scalar(inits, pow.input(1)), 2) || !div.input(0).equals(d)) continue;
            Node var = sole(g, consumers, outs, pow.output(0), "ReduceMean");
            if (var == null || var.attrs().getInt("keepdims", 1) == 0 || trailingAxes(meanAxes(var, inits)) != axis) continue;
            Node add = sole(g, consumers, outs, var.output(0), "Add");
            String epsName = add == null ? null : other(add, var.output(0));
            double eps = epsName == null ? Double.NaN : scalar(inits, epsName);
            Node sqrt = add == null || !(eps >= 0) ? null : sole(g, consumers, outs, add.output(0), "Sqrt");
            if (sqrt == null || !div.input(1).equals(sqrt.output(0)) || !soleUse(g, consumers, outs, sqrt.output(0))) continue;
            Node mul = sole(g, consumers, outs, div.output(0), "Mul");
            String scale = mul == null ? null : other(mul, div.output(0));
            if (scale == null || !inits.containsKey(scale) || !inits.get(scale).dtype().isFloat()) continue;
            List<Node> chain = new ArrayList<>(List.of(mean, sub, pow, var, add, sqrt, div, mul));
            Node last = mul;
            String bias = "";
            Node addBias = sole(g, consumers, outs, mul.output(0), "Add");
            String b = addBias == null ? null : other(addBias, mul.output(0));
            if (b != null && inits.containsKey(b) && inits.get(b).dtype().isFloat()) {
                chain.add(addBias);
                last = addBias;
                bias = b;
            }
            if (chain.stream().anyMatch(removed::contains)) continue;
            chain.remove(last);
            removed.addAll(chain);
            Attributes attrs = new Attributes(Map.of("axis", (long) axis, "epsilon", (float) eps));
            String domain = g.opset() >= 17 ? "" : OpSet.GAPNET_DOMAIN;
            List<String> in = bias.isEmpty() ? List.of(x, scale) : List.of(x, scale, bias);
            replaced.put(last, last.rewrite("LayerNormalization", domain, in, List.of(last.output(0)), attrs, chain));
        }
        return rebuilt(g, replaced, removed, inits);
    }

    /**
     * {@code Mul(x, f(x))} where f is Sigmoid (SiLU), HardSigmoid with alpha 1/6 and beta 1/2 (HardSwish) or
     * Tanh(Softplus) (Mish), f's nodes read by the Mul alone: one activation, which a Conv before it then absorbs.
     */
    static Graph fuseGatedActivations(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = graphOutputs(g);
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node mul : g.nodes()) {
            if (!isDefault(mul, "Mul") || mul.inputs().size() != 2 || mul.input(0).equals(mul.input(1))) continue;
            for (int side = 0; side < 2; side++) {
                String x = mul.input(side), gate = mul.input(1 - side);
                Node f = producers.get(gate);
                if (f == null || removed.contains(f) || !soleUse(g, consumers, outs, gate)) continue;
                String op = null;
                int since = 0;
                List<Node> chain = new ArrayList<>(List.of(f));
                if (isDefault(f, "Sigmoid") && f.input(0).equals(x)) {
                    op = "Silu";
                    since = Integer.MAX_VALUE;
                } else if (isDefault(f, "HardSigmoid") && f.input(0).equals(x) && near(f.attrs().getFloat("alpha", 0.2f), 1 / 6.0)
                        && near(f.attrs().getFloat("beta", 0.5f), 0.5)) {
                    op = "HardSwish";
                    since = 14;
                } else if (isDefault(f, "Tanh")) {
                    Node sp = producers.get(f.input(0));
                    if (sp != null && isDefault(sp, "Softplus") && sp.input(0).equals(x) && !removed.contains(sp)
                            && soleUse(g, consumers, outs, sp.output(0))) {
                        op = "Mish";
                        since = 18;
                        chain.add(0, sp);
                    }
                }
                if (op == null) continue;
                removed.addAll(chain);
                String domain = g.opset() >= since ? "" : OpSet.GAPNET_DOMAIN;
                replaced.put(mul, mul.rewrite(op, domain, List.of(x), List.of(mul.output(0)), Attributes.none(), chain));
                break;
            }
        }
        return rebuilt(g, replaced, removed, g.initializers());
    }

    static Graph fuseConvEpilogues(Graph g) {
        Map<String, List<Node>> consumers = g.consumers();
        Set<String> outs = graphOutputs(g);
        Map<String, Tensor> inits = g.initializers();
        Map<Node, Node> replaced = new LinkedHashMap<>();
        Set<Node> removed = new HashSet<>();
        for (Node conv : g.nodes()) {
            if (!isDefault(conv, "Conv")) continue;
            String out = conv.output(0);
            String residual = "";
            Activation act = Activation.NONE;
            List<Node> absorbed = new ArrayList<>();
            if (soleUse(g, consumers, outs, out)) {
                Node next = consumers.get(out).get(0);
                if (isDefault(next, "Add") && !removed.contains(next) && !next.attrs().has("broadcast")
                        && !next.input(0).equals(next.input(1))) {
                    residual = next.input(0).equals(out) ? next.input(1) : next.input(0);
                    removed.add(next);
                    absorbed.add(next);
                    out = next.output(0);
                }
            }
            if (soleUse(g, consumers, outs, out)) {
                Node next = consumers.get(out).get(0);
                Activation a = Activations.isActivation(next)
                        ? Activations.of(next, inits::get, g.opset()) : null;
                if (a != null && !removed.contains(next)) {
                    act = a;
                    removed.add(next);
                    absorbed.add(next);
                    out = next.output(0);
                }
            }
            if (out.equals(conv.output(0))) continue;
            Attributes attrs = Activations.withActivation(conv.attrs(), act);
            replaced.put(conv, conv.rewrite("FusedConv", OpSet.GAPNET_DOMAIN,
                    List.of(conv.input(0), conv.input(1), conv.input(2), residual), List.of(out), attrs, absorbed));
        }
        return rebuilt(g, replaced, removed, g.initializers());
    }

    /**
     * The default-domain ONNX nodes that compute what {@code n} computes: {@code n} itself, or for a FusedConv its
     * Conv (with the folded weights it reads), residual Add and activation. Initializers the nodes need besides the
     * graph's (Clip's bounds) go into {@code initializers}.
     */
    public static List<Node> unfuse(Node n, Map<String, Tensor> initializers, int opset) {
        if (!n.domain().equals(OpSet.GAPNET_DOMAIN) || !n.opType().equals("FusedConv")) return List.of(n);
        List<Node> out = new ArrayList<>();
        String y = n.output(0), value = y + "::conv";
        Activation act = Activations.fromAttributes(n.attrs());
        boolean residual = !n.input(3).isEmpty();
        List<String> convIn = n.input(2).isEmpty() ? List.of(n.input(0), n.input(1)) : List.of(n.input(0), n.input(1), n.input(2));
        String convOut = residual || act.kind() != Activation.Kind.NONE ? value : y;
        out.add(new Node(n.name(), "Conv", convIn, List.of(convOut), Activations.withoutActivation(n.attrs())));
        if (residual) {
            String sum = act.kind() != Activation.Kind.NONE ? y + "::sum" : y;
            out.add(new Node(n.name() + "::add", "Add", List.of(convOut, n.input(3)), List.of(sum), Attributes.none()));
            convOut = sum;
        }
        Node a = Activations.node(act, n.name() + "::act", convOut, y, initializers, opset);
        if (a != null) out.add(a);
        return out;
    }

    static Graph pruneInitializers(Graph g) {
        Set<String> used = new HashSet<>(graphOutputs(g));
        for (Node n : g.nodes()) used.addAll(n.inputs());
        Map<String, Tensor> inits = new LinkedHashMap<>();
        g.initializers().forEach((k, v) -> {
            if (used.contains(k)) inits.put(k, v);
        });
        return inits.size() == g.initializers().size() ? g : g.withNodes(g.nodes(), inits);
    }

    private static String unique(Map<String, Tensor> names, String base) {
        String n = base;
        for (int i = 2; names.containsKey(n); i++) n = base + i;
        return n;
    }
}
