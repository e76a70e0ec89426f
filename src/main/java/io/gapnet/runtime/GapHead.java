package io.gapnet.runtime;

import io.gapnet.ModelException;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.tensor.Tensor;
import java.util.Map;

/**
 * The head of a GAP classifier: global average pooling of the last feature maps, optionally flattened,
 * then a linear layer (Gemm or MatMul with constant weights, optionally + bias), optionally softmax or
 * sigmoid. It gives the embedding (the pooled vector) and the class activation maps
 * {@code cam_c(y, x) = sum_k W[c, k] * F[k, y, x]}.
 *
 * @param features the feature maps that GAP pools ([N, C, H, W])
 * @param pooled the GAP output (the embedding)
 * @param weights the linear layer as [classes][C], or null when its weights are not constants
 */
public record GapHead(String features, String pooled, float[][] weights) {

    /** Finds the head that produces the graph's first output, or explains why there is none. */
    public static GapHead find(Graph g) {
        Map<String, Node> producers = g.producers();
        String out = g.outputs().get(0).name();
        Node n = producers.get(out);
        Node linear = null;
        String trail = "output '" + out + "'";
        while (n != null) {
            trail = n.describe();
            String op = n.opType();
            if (op.equals("GlobalAveragePool") || op.equals("ReduceMean")) {
                if (linear == null) break;
                return new GapHead(n.input(0), n.output(0), weights(g, linear));
            }
            boolean passThrough = op.equals("Softmax") || op.equals("Sigmoid") || op.equals("Flatten")
                    || op.equals("Reshape") || op.equals("Squeeze") || op.equals("Identity") || op.equals("Dropout");
            if (op.equals("Gemm") || op.equals("MatMul")) {
                if (linear != null) break;
                linear = n;
            } else if (!(passThrough || (op.equals("Add") && linear != null))) {
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

    private static float[][] weights(Graph g, Node linear) {
        Tensor w = g.initializers().get(linear.input(1));
        if (w == null || w.rank() != 2 || !w.dtype().isFloat()) return null;
        boolean transposed = linear.opType().equals("Gemm") && linear.attrs().getInt("transB", 0) != 0;
        int classes = transposed ? w.dim(0) : w.dim(1), channels = transposed ? w.dim(1) : w.dim(0);
        float[] v = w.floats();
        float[][] r = new float[classes][channels];
        for (int c = 0; c < classes; c++) {
            for (int k = 0; k < channels; k++) r[c][k] = transposed ? v[c * channels + k] : v[k * classes + c];
        }
        return r;
    }

    /** The class activation map of class {@code c} for image {@code n} of feature maps [N, C, H, W]. */
    public float[] cam(Tensor features, int n, int c) {
        if (weights == null) throw new ModelException("the linear layer's weights are not constants: no class activation map");
        int ch = features.dim(1), hw = features.numel() / features.dim(0) / ch;
        if (ch != weights[c].length) {
            throw new ModelException("the feature maps have " + ch + " channels but the linear layer takes " + weights[c].length);
        }
        float[] f = features.floats();
        float[] map = new float[hw];
        for (int k = 0; k < ch; k++) {
            float w = weights[c][k];
            int base = (n * ch + k) * hw;
            for (int i = 0; i < hw; i++) map[i] += w * f[base + i];
        }
        return map;
    }
}
