package io.gapnet.runtime;

import io.gapnet.ModelException;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The head of a GAP classifier: global average pooling of the last feature maps, optionally flattened,
 * then a linear layer (Gemm or MatMul with constant weights, optionally + bias), optionally softmax or
 * sigmoid. It gives the embedding (the pooled vector), the class activation maps
 * {@code cam_c(y, x) = sum_k W[c, k] * F[k, y, x]}, and each channel's part of a class's logit,
 * {@code logit_c = sum_k W[c, k] * gap_k + b_c}.
 *
 * @param features the feature maps that GAP pools ([N, C, H, W])
 * @param pooled the GAP output (the embedding)
 * @param weights the linear layer as [classes][C] (Gemm's alpha applied), or null when its weights are not constants
 * @param bias the linear layer's bias per class (Gemm's beta applied), or null when it has none or it is not constant
 */
public record GapHead(String features, String pooled, float[][] weights, float[] bias) {

    /**
     * One channel's part in a class's logit.
     *
     * @param channel the channel of the GAP vector
     * @param weight the linear layer's weight {@code W[c, k]}
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
        Map<String, Node> producers = g.producers();
        String out = g.outputs().get(0).name();
        Node n = producers.get(out);
        Node linear = null, biasAdd = null;
        String trail = "output '" + out + "'";
        while (n != null) {
            trail = n.describe();
            String op = n.opType();
            if (op.equals("GlobalAveragePool") || op.equals("ReduceMean")) {
                if (linear == null) break;
                return new GapHead(n.input(0), n.output(0), weights(g, linear), bias(g, linear, biasAdd));
            }
            boolean passThrough = op.equals("Softmax") || op.equals("Sigmoid") || op.equals("Flatten")
                    || op.equals("Reshape") || op.equals("Squeeze") || op.equals("Identity") || op.equals("Dropout");
            if (op.equals("Gemm") || op.equals("MatMul")) {
                if (linear != null) break;
                linear = n;
            } else if (op.equals("Add") && linear == null && biasAdd == null) {
                biasAdd = n; // MatMul + Add, met from the output side first
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
        throw new ModelException("this model does not end in GAP and a linear layer: embeddings and class activation maps"
                + " need GlobalAveragePool -> (Flatten) -> Gemm/MatMul at the output, but the chain back from the output"
                + " stops at " + trail);
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

    private float[] classWeights(int c, int channels, String what) {
        if (weights == null) throw new ModelException("the linear layer's weights are not constants: no " + what);
        if (c < 0 || c >= weights.length) throw new ModelException("class " + c + " is not in 0.." + (weights.length - 1));
        if (channels != weights[c].length) {
            throw new ModelException("the feature maps have " + channels + " channels but the linear layer takes " + weights[c].length);
        }
        return weights[c];
    }

    /** The class activation map of class {@code c} for image {@code n} of feature maps [N, C, H, W]. */
    public float[] cam(Tensor features, int n, int c) {
        int ch = features.dim(1), hw = features.numel() / features.dim(0) / ch;
        float[] w = classWeights(c, ch, "class activation map");
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
        float[] w = classWeights(c, ch, "per-channel explanation");
        float[] gap = pooled.toFloats();
        if (bias != null && bias.length != 1 && bias.length != weights.length) {
            throw new ModelException("the linear layer's bias has " + bias.length + " values for " + weights.length + " classes");
        }
        float b = bias == null ? 0 : bias[bias.length == 1 ? 0 : c];
        double logit = b;
        float[] contrib = new float[ch];
        for (int k = 0; k < ch; k++) {
            contrib[k] = w[k] * gap[n * ch + k];
            logit += contrib[k];
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
