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
 * become SiLU, HardSwish and Mish; the tanh GELU's eight or nine nodes become one Gelu with approximate="tanh";
 * GeM pooling, {@code mean(max(x, eps)^p)^(1/p)}, becomes one GeM; initializers nothing reads any more are dropped.
 */
public final class GraphOptimizer {
    private GraphOptimizer() {}

    public static Graph optimize(Graph g) {
        g = constantsToInitializers(g);
        g = foldBatchNorm(g);
        g = fuseGelu(g);
        g = fuseTanhGelu(g);
        g = fuseLayerNorm(g);
        g = fuseGem(g);
        g = fuseGatedActivations(g);
        g = fuseConvEpilogues(g);
        return pruneInitializers(g);
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

    /** One pass of pattern rewriting: the graph's look-ups, and the nodes the pass replaces and removes. */
    private static final class Rewrite {
        final Graph g;
        final Map<String, Node> producers;
        final Map<String, List<Node>> consumers;
        final Set<String> outs = new HashSet<>();
        final Map<String, Tensor> inits;
        final Map<Node, Node> replaced = new LinkedHashMap<>();
        final Set<Node> removed = new HashSet<>();

        Rewrite(Graph g) {
            this.g = g;
            producers = g.producers();
            consumers = g.consumers();
            inits = new LinkedHashMap<>(g.initializers());
            for (ValueInfo v : g.outputs()) outs.add(v.name());
        }

        /** True when {@code value} is read by exactly one node and is not a graph output. */
        boolean soleUse(String value) {
            List<Node> c = consumers.get(value);
            return c != null && c.size() == 1 && !outs.contains(value);
        }

        /** The sole reader of {@code value} when it is a default-domain {@code op} no rewrite took yet, else null. */
        Node sole(String value, String op) {
            if (!soleUse(value)) return null;
            Node n = consumers.get(value).get(0);
            return isDefault(n, op) && free(n) ? n : null;
        }

        /** The producer of {@code value} when it is a default-domain {@code op} no rewrite took and {@code value} has no other reader. */
        Node soleProducer(String value, String op) {
            Node n = producers.get(value);
            return n != null && isDefault(n, op) && free(n) && soleUse(value) ? n : null;
        }

        boolean free(Node n) {
            return !removed.contains(n) && !replaced.containsKey(n);
        }

        /** The single float value of an initializer, or NaN when {@code name} is not a one-element float constant. */
        double scalar(String name) {
            Tensor t = inits.get(name);
            return t == null || !t.dtype().isFloat() || t.numel() != 1 ? Double.NaN : t.toFloats()[0];
        }

        /** True for a float constant (an initializer) of any shape. */
        boolean floatConstant(String name) {
            Tensor t = inits.get(name);
            return t != null && t.dtype().isFloat();
        }

        /**
         * Replaces {@code chain}, whose last node gives the result, by one node in the last one's place, unless an
         * earlier match took one of them; true when it did.
         */
        boolean fuse(List<Node> chain, String op, String domain, List<String> inputs, Attributes attrs) {
            if (!chain.stream().allMatch(this::free) || new HashSet<>(chain).size() != chain.size()) return false;
            Node last = chain.get(chain.size() - 1);
            List<Node> absorbed = chain.subList(0, chain.size() - 1);
            removed.addAll(absorbed);
            replaced.put(last, last.rewrite(op, domain, inputs, List.of(last.output(0)), attrs, absorbed));
            return true;
        }

        /** The graph without the removed nodes and with the replaced ones swapped in, in the same order. */
        Graph result() {
            if (replaced.isEmpty()) return g;
            List<Node> nodes = new ArrayList<>();
            for (Node n : g.nodes()) {
                if (removed.contains(n)) continue;
                nodes.add(replaced.getOrDefault(n, n));
            }
            return g.withNodes(nodes, inits);
        }
    }

    static Graph foldBatchNorm(Graph g) {
        Rewrite r = new Rewrite(g);
        Map<String, Tensor> inits = r.inits;
        for (Node bn : g.nodes()) {
            if (!isDefault(bn, "BatchNormalization") || bn.attrs().getInt("training_mode", 0) != 0) continue;
            if (g.opset() < 9 && bn.attrs().getInt("spatial", 1) == 0) continue;
            Node conv = r.soleProducer(bn.input(0), "Conv");
            if (conv == null) continue;
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
            r.replaced.put(conv, conv.rewrite("Conv", "", List.of(conv.input(0), wName, bName), List.of(bn.output(0)), conv.attrs(),
                    List.of(bn)));
            r.removed.add(bn);
        }
        return r.result();
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
    private static String mulBy(Rewrite r, Node n, double c) {
        if (!isDefault(n, "Mul") || n.inputs().size() != 2) return null;
        if (near(r.scalar(n.input(1)), c)) return n.input(0);
        return near(r.scalar(n.input(0)), c) ? n.input(1) : null;
    }

    /** True when {@code n} adds the constant 1 to {@code value}. */
    private static boolean addsOne(Rewrite r, Node n, String value) {
        String one = n == null ? null : other(n, value);
        return one != null && near(r.scalar(one), 1);
    }

    /**
     * The factors of the product that Mul {@code root} computes: its operands, each opened further while it is the
     * sole-use output of a Mul no rewrite took, or of a Pow by the constant 2 or 3 (x * x, x * x * x); the nodes opened
     * are added to {@code nodes}, deepest first.
     */
    private static List<String> factors(Rewrite r, Node root, List<Node> nodes) {
        List<String> out = new ArrayList<>();
        for (String in : root.inputs()) {
            Node mul = r.soleProducer(in, "Mul"), pow = r.soleProducer(in, "Pow");
            double k = pow == null ? Double.NaN : r.scalar(pow.input(1));
            if (mul != null && mul.inputs().size() == 2) {
                out.addAll(factors(r, mul, nodes));
            } else if (k == 2 || k == 3) {
                for (int i = 0; i < k; i++) out.add(pow.input(0));
                nodes.add(pow);
            } else {
                out.add(in);
            }
        }
        nodes.add(root);
        return out;
    }

    /**
     * True when {@code factors} are {@code count} times {@code x} and one scalar constant near {@code c}, in any order;
     * {@code x} null takes the one non-constant factor as x.
     */
    private static boolean productOf(Rewrite r, List<String> factors, String x, int count, double c) {
        int xs = 0, cs = 0;
        for (String f : factors) {
            if (f.equals(x)) xs++;
            else if (near(r.scalar(f), c)) cs++;
            else return false;
        }
        return xs == count && cs == 1;
    }

    /**
     * Climbs from {@code a} through the chain of Mul nodes that read it (each the sole reader of the one before) to
     * the first whose product is exactly {@code a * x * c} in any grouping; its nodes, the result's last, or null.
     */
    private static List<Node> productTo(Rewrite r, String a, String x, double c) {
        Node m = r.sole(a, "Mul");
        for (int depth = 0; m != null && depth < 3; depth++) {
            List<Node> nodes = new ArrayList<>();
            List<String> f = factors(r, m, nodes);
            if (f.remove(a) && productOf(r, f, x, 1, c)) return nodes;
            m = r.sole(m.output(0), "Mul");
        }
        return null;
    }

    /** Adds {@code head}'s nodes before {@code tail}'s and returns them as one chain. */
    private static List<Node> chain(List<Node> head, List<Node> tail) {
        List<Node> all = new ArrayList<>(head);
        all.addAll(tail);
        return all;
    }

    /** Gelu of x, in the default domain from opset 20 and gapnet's before. */
    private static void fuseAsGelu(Rewrite r, List<Node> chain, String x, String approximate) {
        String domain = r.g.opset() >= 20 ? "" : OpSet.GAPNET_DOMAIN;
        r.fuse(chain, "Gelu", domain, List.of(x), approximate == null ? Attributes.none()
                : new Attributes(Map.of("approximate", approximate)));
    }

    /**
     * Recognises the exact GELU as exporters write it before opset 20: {@code Div(x, sqrt 2)} or {@code Mul(x, 1/sqrt 2)},
     * Erf, {@code Add 1}, then the product with x and 0.5 in any grouping and order.
     */
    static Graph fuseGelu(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node erf : g.nodes()) {
            if (!isDefault(erf, "Erf")) continue;
            Node scale = r.producers.get(erf.input(0));
            if (scale == null || !r.free(scale) || !r.soleUse(erf.input(0))) continue;
            String x = isDefault(scale, "Div") && near(r.scalar(scale.input(1)), Math.sqrt(2)) ? scale.input(0)
                    : mulBy(r, scale, Math.sqrt(0.5));
            Node add = x == null ? null : r.sole(erf.output(0), "Add");
            if (!addsOne(r, add, erf.output(0))) continue;
            List<Node> product = productTo(r, add.output(0), x, 0.5);
            if (product != null) fuseAsGelu(r, chain(List.of(scale, erf, add), product), x, null);
        }
        return r.result();
    }

    /**
     * Recognises the tanh GELU as exporters and hand-written models have it before opset 20:
     * {@code 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))}, the cube as Pow(x, 3) or products of x, every
     * product in any grouping and order.
     */
    static Graph fuseTanhGelu(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node tanh : g.nodes()) {
            if (!isDefault(tanh, "Tanh")) continue;
            Node scaled = r.soleProducer(tanh.input(0), "Mul");
            String sum = scaled == null ? null : mulBy(r, scaled, Math.sqrt(2 / Math.PI));
            Node add = sum == null ? null : r.soleProducer(sum, "Add");
            if (add == null || add.inputs().size() != 2) continue;
            String x = null;
            List<Node> cube = null;
            for (int side = 0; side < 2 && x == null; side++) {
                Node k = r.soleProducer(add.input(1 - side), "Mul");
                List<Node> nodes = new ArrayList<>();
                if (k != null && productOf(r, factors(r, k, nodes), add.input(side), 3, 0.044715)) {
                    x = add.input(side);
                    cube = nodes;
                }
            }
            if (x == null) continue;
            Node plus = r.sole(tanh.output(0), "Add");
            if (!addsOne(r, plus, tanh.output(0))) continue;
            List<Node> product = productTo(r, plus.output(0), x, 0.5);
            if (product == null) continue;
            fuseAsGelu(r, chain(chain(cube, List.of(add, scaled, tanh, plus)), product), x, "tanh");
        }
        return r.result();
    }
    /** The axes of a reduction (attribute, or constant int input from opset 13 or 18), or null. */
    static long[] meanAxes(Node n, Map<String, Tensor> inits) {
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

    /**
     * Recognises LayerNorm over the trailing axes as exporters write it before opset 17: {@code d = x - mean(x)},
     * {@code d / sqrt(mean(d^2) + eps) * scale (+ bias)}, scale and bias constants.
     */
    static Graph fuseLayerNorm(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node mean : g.nodes()) {
            if (!isDefault(mean, "ReduceMean") || mean.attrs().getInt("keepdims", 1) == 0) continue;
            int axis = trailingAxes(meanAxes(mean, r.inits));
            Node sub = r.sole(mean.output(0), "Sub");
            if (axis == 0 || sub == null || !sub.input(1).equals(mean.output(0)) || !sub.input(0).equals(mean.input(0))) continue;
            String x = mean.input(0), d = sub.output(0);
            List<Node> users = r.consumers.getOrDefault(d, List.of());
            if (users.size() != 2 || r.outs.contains(d)) continue;
            Node pow = users.stream().filter(n -> isDefault(n, "Pow")).findFirst().orElse(null);
            Node div = users.stream().filter(n -> isDefault(n, "Div")).findFirst().orElse(null);
            if (pow == null || div == null || !pow.input(0).equals(d) || !near(r.scalar(pow.input(1)), 2) || !div.input(0).equals(d)) continue;
            Node var = r.sole(pow.output(0), "ReduceMean");
            if (var == null || var.attrs().getInt("keepdims", 1) == 0 || trailingAxes(meanAxes(var, r.inits)) != axis) continue;
            Node add = r.sole(var.output(0), "Add");
            String epsName = add == null ? null : other(add, var.output(0));
            double eps = epsName == null ? Double.NaN : r.scalar(epsName);
            Node sqrt = add == null || !(eps >= 0) ? null : r.sole(add.output(0), "Sqrt");
            if (sqrt == null || !div.input(1).equals(sqrt.output(0)) || !r.soleUse(sqrt.output(0))) continue;
            Node mul = r.sole(div.output(0), "Mul");
            String scale = mul == null ? null : other(mul, div.output(0));
            if (scale == null || !r.floatConstant(scale)) continue;
            List<Node> chain = new ArrayList<>(List.of(mean, sub, pow, var, add, sqrt, div, mul));
            List<String> in = new ArrayList<>(List.of(x, scale));
            Node addBias = r.sole(mul.output(0), "Add");
            String bias = addBias == null ? null : other(addBias, mul.output(0));
            if (bias != null && r.floatConstant(bias)) {
                chain.add(addBias);
                in.add(bias);
            }
            Attributes attrs = new Attributes(Map.of("axis", (long) axis, "epsilon", (float) eps));
            r.fuse(chain, "LayerNormalization", g.opset() >= 17 ? "" : OpSet.GAPNET_DOMAIN, in, attrs);
        }
        return r.result();
    }

    /**
     * Recognises GeM pooling as exported: an optional clamp at eps (Clip with only a lower bound, or Max with a
     * constant), {@code Pow p}, the mean over the spatial positions (GlobalAveragePool, or ReduceMean over axes 2 and 3),
     * then {@code Pow 1/p}, p and eps constants: one gapnet GeM, which every backend runs as one kernel.
     */
    static Graph fuseGem(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node mean : g.nodes()) {
            boolean gap = isDefault(mean, "GlobalAveragePool");
            if (!gap && !(isDefault(mean, "ReduceMean") && GapHead.overSpatialAxes(g, mean))) continue;
            Node pow = r.soleProducer(mean.input(0), "Pow"), root = r.sole(mean.output(0), "Pow");
            double p = pow == null ? Double.NaN : r.scalar(pow.input(1)), q = root == null ? Double.NaN : r.scalar(root.input(1));
            if (!(p > 0) || root == null || !root.input(0).equals(mean.output(0)) || !near(p * q, 1)) continue;
            List<Node> chain = new ArrayList<>(List.of(pow, mean, root));
            Map<String, Object> attrs = new LinkedHashMap<>(Map.of("p", (float) p, "q", (float) q));
            String x = pow.input(0);
            Node clip = r.soleProducer(x, "Clip"), max = r.soleProducer(x, "Max");
            double eps = Double.NaN;
            if (clip != null && g.opset() >= 11 && clip.inputs().size() >= 2 && (clip.inputs().size() < 3 || clip.input(2).isEmpty())) {
                eps = r.scalar(clip.input(1));
            } else if (clip != null && g.opset() < 11 && !clip.attrs().has("max")) {
                eps = clip.attrs().getFloat("min", Float.NaN);
            } else if (max != null && max.inputs().size() == 2) {
                eps = r.scalar(max.input(1));
                clip = max;
            }
            if (!Double.isNaN(eps)) {
                chain.add(0, clip);
                attrs.put("eps", (float) eps);
                x = clip.input(0);
            }
            if (gap) {
                attrs.put("keepdims", 1L);
            } else {
                attrs.put("keepdims", mean.attrs().getInt("keepdims", 1));
                attrs.put("rank", 4L); // axes 2 and 3 (or -2 and -1) are all the spatial axes only of 4-D data
            }
            r.fuse(chain, "GeM", OpSet.GAPNET_DOMAIN, List.of(x), new Attributes(attrs));
        }
        return r.result();
    }

    /**
     * {@code Mul(x, f(x))} where f is Sigmoid (SiLU), HardSigmoid with alpha 1/6 and beta 1/2 (HardSwish) or
     * Tanh(Softplus) (Mish), f's nodes read by the Mul alone: one activation, which a Conv before it then absorbs.
     */
    static Graph fuseGatedActivations(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node mul : g.nodes()) {
            if (!isDefault(mul, "Mul") || mul.inputs().size() != 2 || mul.input(0).equals(mul.input(1))) continue;
            for (int side = 0; side < 2; side++) {
                String x = mul.input(side), gate = mul.input(1 - side);
                Node f = r.producers.get(gate);
                if (f == null || !r.free(f) || !r.soleUse(gate)) continue;
                String op = null;
                int since = 0;
                List<Node> chain = new ArrayList<>(List.of(f, mul));
                if (isDefault(f, "Sigmoid") && f.input(0).equals(x)) {
                    op = "Silu";
                    since = Integer.MAX_VALUE;
                } else if (isDefault(f, "HardSigmoid") && f.input(0).equals(x) && near(f.attrs().getFloat("alpha", 0.2f), 1 / 6.0)
                        && near(f.attrs().getFloat("beta", 0.5f), 0.5)) {
                    op = "HardSwish";
                    since = 14;
                } else if (isDefault(f, "Tanh")) {
                    Node sp = r.soleProducer(f.input(0), "Softplus");
                    if (sp != null && sp.input(0).equals(x)) {
                        op = "Mish";
                        since = 18;
                        chain.add(0, sp);
                    }
                }
                if (op != null && r.fuse(chain, op, g.opset() >= since ? "" : OpSet.GAPNET_DOMAIN, List.of(x), Attributes.none())) break;
            }
        }
        return r.result();
    }

    /** A Conv followed by a residual Add and/or an activation, each the sole reader of the value before: one FusedConv. */
    static Graph fuseConvEpilogues(Graph g) {
        Rewrite r = new Rewrite(g);
        for (Node conv : g.nodes()) {
            if (!isDefault(conv, "Conv")) continue;
            String out = conv.output(0);
            String residual = "";
            Activation act = Activation.NONE;
            List<Node> absorbed = new ArrayList<>();
            Node add = r.sole(out, "Add");
            if (add != null && !add.attrs().has("broadcast") && !add.input(0).equals(add.input(1))) {
                residual = add.input(0).equals(out) ? add.input(1) : add.input(0);
                absorbed.add(add);
                out = add.output(0);
            }
            Node next = r.soleUse(out) ? r.consumers.get(out).get(0) : null;
            Activation a = next != null && r.free(next) && Activations.isActivation(next)
                    ? Activations.of(next, r.inits::get, g.opset()) : null;
            if (a != null) {
                act = a;
                absorbed.add(next);
                out = next.output(0);
            }
            if (absorbed.isEmpty()) continue;
            // the FusedConv keeps the Conv's name (the graph re-sorts nodes, so a residual computed later is no matter)
            r.removed.addAll(absorbed);
            r.replaced.put(conv, conv.rewrite("FusedConv", OpSet.GAPNET_DOMAIN,
                    List.of(conv.input(0), conv.input(1), conv.input(2), residual), List.of(out),
                    Activations.withActivation(conv.attrs(), act), absorbed));
        }
        return r.result();
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
        Set<String> used = new HashSet<>();
        for (ValueInfo v : g.outputs()) used.add(v.name());
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
