package io.gapnet.runtime;

import io.gapnet.ModelException;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.runtime.ops.Activations;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The head of a GAP classifier, of one of two kinds:
 * <ul>
 *   <li>{@link Kind#LINEAR}: global average pooling of the last feature maps, optionally flattened, then a linear
 *   layer (Gemm or MatMul with constant weights, optionally + bias), optionally softmax or sigmoid. It gives the
 *   embedding (the pooled vector), the class activation maps {@code cam_c(y, x) = sum_k W[c, k] * F[k, y, x]}, and
 *   each channel's part of a class's logit, {@code logit_c = sum_k W[c, k] * gap_k + b_c};</li>
 *   <li>{@link Kind#CLASS_MAPS}: GAP straight to the scores (Network in Network, SqueezeNet): the last convolution
 *   makes one map per class and the class's score is its mean, so the class's map is its activation map.</li>
 * </ul>
 *
 * @param kind which of the two
 * @param features the feature maps that GAP pools ([N, C, H, W])
 * @param pooled the GAP output (the embedding)
 * @param weights the linear layer as [classes][C] (Gemm's alpha applied), or null when its weights are not constants
 *                or the head has no linear layer
 * @param bias the linear layer's bias per class (Gemm's beta applied), or null when it has none or it is not constant
 */
public record GapHead(Kind kind, String features, String pooled, float[][] weights, float[] bias, Hidden hidden) {
    /** How the scores come from the GAP vector. */
    public enum Kind {
        /** scores = W * gap + b */
        LINEAR,
        /** scores = gap: one feature map per class */
        CLASS_MAPS,
        /**
         * scores = W * act(W1 * gap + b1) + b: not linear. For one image each hidden unit j acts as the line through
         * the origin with slope act(h_j) / h_j, so the scores are exactly a linear map of that image's GAP vector, which
         * the CAM and the per-channel explanation use (true for that image alone)
         */
        MLP
    }

    /**
     * The first layer of an {@link Kind#MLP} head.
     *
     * @param weights [hidden][C]
     * @param bias [hidden], or null
     * @param act the activation after it
     */
    public record Hidden(float[][] weights, float[] bias, io.gapnet.backend.Activation act) {}

    GapHead(Kind kind, String features, String pooled, float[][] weights, float[] bias) {
        this(kind, features, pooled, weights, bias, null);
    }

    /**
     * One channel's part in a class's logit.
     *
     * @param channel the channel of the GAP vector
     * @param weight the linear layer's weight {@code W[c, k]} (for an {@link Kind#MLP} head, its linearisation at the image)
     * @param mean the channel's GAP value (the mean of its feature map)
     * @param max the largest value of its feature map
     * @param contribution {@code weight * mean}, its term of the logit
     * @param share {@code contribution / logit}
     */
    public record Channel(int channel, float weight, float mean, float max, float contribution, float share) {}

    /**
     * A class's logit taken apart over the GAP channels: {@code logit = sum of every channel's contribution + bias}.
     *
     * @param classIndex the class explained
     * @param logit the logit, before any softmax or sigmoid
     * @param bias the bias term (0 without one)
     * @param channels every channel, largest contribution first
     */
    public record Explanation(int classIndex, float logit, float bias, List<Channel> channels) {
        /** The first {@code k} channels (those that raised the logit most). */
        public List<Channel> top(int k) {
            return channels.subList(0, Math.min(k, channels.size()));
        }
    }

    /** Finds the head that produces the graph's first output, or explains why there is none. */
    public static GapHead find(Graph g) {
        Walk w = walk(g);
        if (w.head() != null) return w.head();
        throw w.error();
    }

    /** Where the walk back from the output ended: at a head, or at node {@code stop} with {@code error}. */
    private record Walk(GapHead head, String stop, ModelException error) {}

    private static Walk walk(Graph g) {
        Map<String, Node> producers = g.producers();
        String out = g.outputs().get(0).name();
        Node n = producers.get(out);
        Node linear = null, biasAdd = null, act = null, inner = null, innerAdd = null;
        String trail = "output '" + out + "'";
        while (n != null) {
            trail = n.describe();
            String op = n.opType();
            if (isGap(g, n)) {
                if (linear == null && biasAdd == null) {
                    return new Walk(new GapHead(Kind.CLASS_MAPS, n.input(0), n.output(0), null, null), null, null);
                }
                if (linear == null || (act != null && inner == null)) break;
                if (inner != null) {
                    Hidden hidden = new Hidden(weights(g, inner), bias(g, inner, innerAdd),
                            Activations.of(act, g.initializers()::get, g.opset()));
                    boolean constant = hidden.weights() != null && hidden.act() != null;
                    GapHead h = new GapHead(Kind.MLP, n.input(0), n.output(0), constant ? weights(g, linear) : null,
                            bias(g, linear, biasAdd), constant ? hidden : null);
                    return new Walk(h, null, null);
                }
                return new Walk(new GapHead(Kind.LINEAR, n.input(0), n.output(0), weights(g, linear), bias(g, linear, biasAdd)), null, null);
            }
            if (isGem(n)) {
                return new Walk(null, trail, new ModelException(String.format("this model's head pools with GeM (p = %.3g): a class"
                        + " activation map and the per-channel explanation need average pooling, where a class's logit is a weighted"
                        + " mean of the maps; GeM's mean of x^p weights each position by its own size, so no map sums to the"
                        + " logit. The embedding is there: gapnet embed gives the GeM vector '%s'", n.attrs().getFloat("p", 1f),
                        n.output(0))));
            }
            if (op.equals("GlobalMaxPool")) {
                return new Walk(null, trail, new ModelException("this model's head pools with GlobalMaxPool: a class activation"
                        + " map and the per-channel explanation need average pooling, where a class's logit is a weighted mean over"
                        + " every position; after max pooling only one position per channel counts. The embedding is still there:"
                        + " gapnet embed --layer " + n.output(0)));
            }
            // a Softmax or Sigmoid only after the (last) linear layer; between the two of an MLP head an activation
            boolean passThrough = (linear == null && (op.equals("Softmax") || op.equals("Sigmoid"))) || op.equals("Flatten")
                    || op.equals("Reshape") || op.equals("Squeeze") || op.equals("Identity") || op.equals("Dropout");
            if (op.equals("Gemm") || op.equals("MatMul")) {
                if (linear == null) linear = n;
                else if (act != null && inner == null) inner = n;
                else break;
            } else if (op.equals("Add") && linear == null && biasAdd == null) {
                biasAdd = n; // MatMul + Add, met from the output side first
            } else if (op.equals("Add") && act != null && inner == null && innerAdd == null) {
                innerAdd = n;
            } else if (linear != null && act == null && Activations.isActivation(n)
                    && Activations.of(n, g.initializers()::get, g.opset()) != null) {
                act = n;
            } else if (!passThrough) {
                break;
            }
            String next = null;
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !g.initializers().containsKey(in)) {
                    next = in;
                    break;
                }
            }
            n = next == null ? null : producers.get(next);
        }
        return new Walk(null, trail, new ModelException("this model does not end in GAP and a linear layer: embeddings and class"
                + " activation maps need GlobalAveragePool -> (Flatten) -> Gemm/MatMul at the output, or GlobalAveragePool of one"
                + " map per class, but the chain back from the output stops at " + trail + " (gapnet embed --layer NAME takes any"
                + " named value)"));
    }

    /**
     * The output of the global average pooling nearest the graph's first output (breadth first over the non-constant
     * inputs, so that a squeeze-and-excitation block's GAP deeper in the network loses to the head's), or null; for GeM
     * pooling (the optimiser's GeM node, or its exported Pow, mean, Pow) the vector after the last power.
     */
    public static String nearestPooling(Graph g) {
        Map<String, Node> producers = g.producers();
        Map<String, List<Node>> consumers = g.consumers();
        java.util.ArrayDeque<String> queue = new java.util.ArrayDeque<>(List.of(g.outputs().get(0).name()));
        java.util.Set<String> seen = new java.util.HashSet<>(queue);
        while (!queue.isEmpty()) {
            Node n = producers.get(queue.poll());
            if (n == null) continue;
            if (isGem(n)) return n.output(0);
            if (isGap(g, n)) {
                List<Node> next = consumers.getOrDefault(n.output(0), List.of());
                boolean gem = next.size() == 1 && next.get(0).opType().equals("Pow") && g.initializers().containsKey(next.get(0).input(1));
                return gem ? next.get(0).output(0) : n.output(0);
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !g.initializers().containsKey(in) && seen.add(in)) queue.add(in);
            }
        }
        return null;
    }

    private static boolean isGem(Node n) {
        return n.domain().equals(io.gapnet.runtime.ops.OpSet.GAPNET_DOMAIN) && n.opType().equals("GeM");
    }

    private static boolean isGap(Graph g, Node n) {
        return n.opType().equals("GlobalAveragePool") || (n.opType().equals("ReduceMean") && overSpatialAxes(g, n));
    }

    /**
     * What {@code gapnet info} says of the head: the pooling, what follows it, whether class activation maps, the
     * per-channel explanation and embeddings are available and why not, and the GAPs inside the network
     * (squeeze-and-excitation blocks).
     */
    public static List<String> summary(Graph g) {
        List<String> lines = new ArrayList<>();
        Walk w = walk(g);
        GapHead h = w.head();
        String pooled;
        if (h != null && h.kind() == Kind.CLASS_MAPS) {
            pooled = h.pooled();
            lines.add("head: GAP of one map per class (Network in Network, SqueezeNet): a class's score is the mean of its map");
            lines.add("class activation maps: yes (each class's own map); per-channel explanation: no (no linear layer);"
                    + " embedding: the GAP vector '" + pooled + "'");
        } else if (h != null && h.kind() == Kind.MLP) {
            pooled = h.pooled();
            lines.add("head: GAP -> linear layer -> " + (h.hidden() == null ? "activation" : h.hidden().act()) + " -> linear layer"
                    + " (not linear)");
            lines.add((h.weights() == null ? "class activation maps and per-channel explanation: no (the weights are not constants)"
                    : "class activation maps and per-channel explanation: yes, from the head linearised at each image (each hidden"
                    + " unit's slope act(h)/h), exact for that image") + "; embedding: the GAP vector '" + pooled + "'");
        } else if (h != null) {
            pooled = h.pooled();
            lines.add("head: GAP -> linear layer" + (h.weights() == null ? " (weights not constant)" : String.format(" from %d channels"
                    + " to %d classes%s", h.weights()[0].length, h.weights().length, h.bias() == null ? ", no bias" : " + bias")));
            lines.add((h.weights() == null ? "class activation maps and per-channel explanation: no (the linear layer's weights are"
                    + " not constants)" : "class activation maps: yes; per-channel explanation: yes") + "; embedding: the GAP vector '"
                    + pooled + "'");
        } else {
            pooled = nearestPooling(g);
            Node p = pooled == null ? null : g.producers().get(pooled);
            boolean gem = p != null && (isGem(p) || p.opType().equals("Pow"));
            if (w.error().getMessage().contains("GlobalMaxPool")) {
                lines.add("head: GlobalMaxPool (" + w.stop() + ")");
                lines.add("class activation maps and per-channel explanation: no (after max pooling only one position per channel"
                        + " counts); embedding: gapnet embed --layer NAME");
            } else if (pooled == null) {
                lines.add("head: no global average pooling near the output (the walk back stops at " + w.stop() + ")");
                lines.add("class activation maps, per-channel explanation and embedding: no; gapnet embed --layer NAME takes any value");
            } else {
                lines.add("head: " + (gem ? "GeM pooling, mean(x^p)^(1/p)" + (isGem(p) ? String.format(" with p = %.3g",
                        p.attrs().getFloat("p", 1f)) : "") + ", then the classifier" : "GAP then a classifier that is not"
                        + " one linear layer (the walk back from the output stops at " + w.stop() + ")"));
                lines.add("class activation maps and per-channel explanation: no (the scores are not a weighted mean of the maps);"
                        + " embedding: the " + (gem ? "GeM" : "GAP") + " vector '" + pooled + "'");
            }
        }
        int inside = 0;
        for (Node n : g.nodes()) {
            boolean head = pooled != null && (n.output(0).equals(pooled) || g.consumers().getOrDefault(n.output(0), List.of()).stream()
                    .anyMatch(c -> c.output(0).equals(pooled)));
            if (isGap(g, n) && !head) inside++;
        }
        if (inside > 0) lines.add("GAP inside the network: " + inside + " (squeeze-and-excitation or other channel attention)");
        return lines;
    }

    /** True for a ReduceMean over exactly the spatial axes (2 and on) of a 4-D input, as GAP written as ReduceMean is. */
    static boolean overSpatialAxes(Graph g, Node n) {
        long[] axes = GraphOptimizer.meanAxes(n, g.initializers());
        if (axes == null || axes.length != 2) return false;
        java.util.Set<Long> s = new java.util.HashSet<>();
        for (long a : axes) s.add(a < 0 ? a + 4 : a);
        return s.equals(java.util.Set.of(2L, 3L));
    }

    private static boolean isGemm(Node linear) {
        return linear.opType().equals("Gemm");
    }

    private static float[][] weights(Graph g, Node linear) {
        Tensor w = g.initializers().get(linear.input(1));
        if (w == null || w.rank() != 2 || !w.dtype().isFloat()) return null;
        boolean transposed = isGemm(linear) && linear.attrs().getInt("transB", 0) != 0;
        float alpha = isGemm(linear) ? linear.attrs().getFloat("alpha", 1f) : 1f;
        int classes = transposed ? w.dim(0) : w.dim(1), channels = transposed ? w.dim(1) : w.dim(0);
        float[] v = w.floats();
        float[][] r = new float[classes][channels];
        for (int c = 0; c < classes; c++) {
            for (int k = 0; k < channels; k++) r[c][k] = alpha * (transposed ? v[c * channels + k] : v[k * classes + c]);
        }
        return r;
    }

    /** Gemm's beta * C, or the constant operand of the Add after a MatMul; null when absent, not constant, or not per class. */
    private static float[] bias(Graph g, Node linear, Node add) {
        Tensor b;
        float beta = 1;
        if (isGemm(linear) && linear.inputs().size() > 2 && !linear.input(2).isEmpty()) {
            b = g.initializers().get(linear.input(2));
            beta = linear.attrs().getFloat("beta", 1f);
        } else if (add != null) {
            b = g.initializers().get(add.input(0));
            if (b == null) b = g.initializers().get(add.input(1));
        } else {
            return null;
        }
        if (b == null || !b.dtype().isFloat()) return null;
        float[] v = b.toFloats();
        for (int i = 0; i < v.length; i++) v[i] *= beta;
        return v;
    }

    /** Throws, with the reason, unless {@link #explain} can take this head's logits apart over the channels. */
    public void requireChannels() {
        if (kind == Kind.CLASS_MAPS) {
            throw new ModelException("this head has one feature map per class and no linear layer: a class's score is the mean"
                    + " of its own map, so there are no channels to take apart (the class activation map is that map)");
        }
        if (weights == null) throw new ModelException("the linear layer's weights are not constants: no per-channel explanation");
    }

    private float[] classWeights(int c, int channels, String what) {
        if (kind == Kind.CLASS_MAPS) requireChannels(); // cam() answers class maps itself
        if (weights == null) throw new ModelException("the linear layer's weights are not constants: no " + what);
        if (c < 0 || c >= weights.length) throw new ModelException("class " + c + " is not in 0.." + (weights.length - 1));
        if (channels != weights[c].length) {
            throw new ModelException("the feature maps have " + channels + " channels but the linear layer takes " + weights[c].length);
        }
        return weights[c];
    }

    /**
     * Class c's weights over the GAP channels and its bias for the image whose GAP vector is {@code gap} (from
     * {@code offset}): the linear layer's row, or for an MLP head its exact linearisation at that image.
     */
    private double[] effective(int c, float[] w2row, float[] gap, int offset, int channels) {
        double[] r = new double[channels + 1]; // weights, then the bias
        r[channels] = biasOf(bias, c);
        if (kind != Kind.MLP) {
            for (int k = 0; k < channels; k++) r[k] = w2row[k];
            return r;
        }
        float[][] w1 = hidden.weights();
        if (w1[0].length != channels) {
            throw new ModelException("the feature maps have " + channels + " channels but the head's first layer takes " + w1[0].length);
        }
        for (int j = 0; j < w1.length; j++) {
            double b1 = biasOf(hidden.bias(), j), h = b1;
            for (int k = 0; k < channels; k++) h += (double) w1[j][k] * gap[offset + k];
            double a = hidden.act().apply((float) h);
            if (h == 0) { // the unit's value is act(0), a constant
                r[channels] += w2row[j] * a;
                continue;
            }
            double slope = w2row[j] * (a / h);
            for (int k = 0; k < channels; k++) r[k] += slope * w1[j][k];
            r[channels] += slope * b1;
        }
        return r;
    }

    /** Unit i's bias: 0 without one, the one value of a broadcast bias, else its i-th. */
    private static double biasOf(float[] bias, int i) {
        return bias == null ? 0 : bias[bias.length == 1 ? 0 : i];
    }

    /** The GAP vector of image n, recomputed from its feature maps. */
    private static float[] gapOf(Tensor features, int n) {
        int ch = features.dim(1), hw = features.numel() / features.dim(0) / ch;
        float[] f = features.floats(), gap = new float[ch];
        for (int k = 0; k < ch; k++) {
            double sum = 0;
            for (int i = 0; i < hw; i++) sum += f[(n * ch + k) * hw + i];
            gap[k] = (float) (sum / hw);
        }
        return gap;
    }

    /** The class activation map of class {@code c} for image {@code n} of feature maps [N, C, H, W]. */
    public float[] cam(Tensor features, int n, int c) {
        int ch = features.dim(1), hw = features.numel() / features.dim(0) / ch;
        if (kind == Kind.CLASS_MAPS) {
            if (c < 0 || c >= ch) throw new ModelException("class " + c + " is not in 0.." + (ch - 1));
            return channelMap(features, n, c);
        }
        float[] w = classWeights(c, kind == Kind.MLP ? hidden.weights().length : ch, "class activation map");
        if (kind == Kind.MLP) {
            double[] e = effective(c, w, gapOf(features, n), 0, ch);
            w = new float[ch];
            for (int k = 0; k < ch; k++) w[k] = (float) e[k];
        }
        float[] f = features.floats();
        float[] map = new float[hw];
        for (int k = 0; k < ch; k++) {
            int base = (n * ch + k) * hw;
            for (int i = 0; i < hw; i++) map[i] += w[k] * f[base + i];
        }
        return map;
    }

    /** Feature map {@code k} of image {@code n} of feature maps [N, C, H, W]. */
    public static float[] channelMap(Tensor features, int n, int k) {
        int ch = features.dim(1), hw = features.numel() / features.dim(0) / ch;
        float[] map = new float[hw];
        System.arraycopy(features.floats(), (n * ch + k) * hw, map, 0, hw);
        return map;
    }

    /**
     * Class {@code c}'s logit for image {@code n}, channel by channel: {@code pooled} is the GAP output
     * ([N, C] or [N, C, 1, 1]), {@code features} the maps it pooled (for each channel's max).
     */
    public Explanation explain(Tensor pooled, Tensor features, int n, int c) {
        int ch = pooled.numel() / pooled.dim(0);
        float[] row = classWeights(c, kind == Kind.MLP ? hidden.weights().length : ch, "per-channel explanation");
        float[] gap = pooled.toFloats();
        if (bias != null && bias.length != 1 && bias.length != weights.length) {
            throw new ModelException("the linear layer's bias has " + bias.length + " values for " + weights.length + " classes");
        }
        double[] e = effective(c, row, gap, n * ch, ch);
        float[] w = new float[ch];
        for (int k = 0; k < ch; k++) w[k] = (float) e[k];
        float b = (float) e[ch];
        double logit = e[ch];
        float[] contrib = new float[ch];
        for (int k = 0; k < ch; k++) {
            contrib[k] = (float) (e[k] * gap[n * ch + k]);
            logit += e[k] * gap[n * ch + k];
        }
        float[] f = features.floats();
        int hw = features.numel() / features.dim(0) / features.dim(1);
        List<Channel> channels = new ArrayList<>(ch);
        for (int k = 0; k < ch; k++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0, base = (n * ch + k) * hw; i < hw; i++) max = Math.max(max, f[base + i]);
            channels.add(new Channel(k, w[k], gap[n * ch + k], max, contrib[k], (float) (contrib[k] / logit)));
        }
        channels.sort(Comparator.comparingDouble(Channel::contribution).reversed());
        return new Explanation(c, (float) logit, b, List.copyOf(channels));
    }
}
