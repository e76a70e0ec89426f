package io.gapnet.model.zoo;

import io.gapnet.ModelException;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Built-in ResNets with torchvision's topology: 7x7/2 stem convolution, BatchNorm, ReLU, 3x3/2 max-pool,
 * four stages of basic (18, 34) or bottleneck (50, 101, 152) blocks with the stride in the 3x3
 * convolution and a 1x1 projection shortcut where shape changes, then GlobalAveragePool, Flatten and a
 * linear layer. Weights are seeded and deterministic (He-normal convolutions, BatchNorm with non-trivial
 * statistics); the input is [N, 3, H, W] with dynamic N, H, W (at least 32x32).
 */
public final class ResNets {
    public static final List<String> NAMES = List.of("resnet18", "resnet34", "resnet50", "resnet101", "resnet152");

    private ResNets() {}

    public static boolean isBuiltIn(String name) {
        return NAMES.contains(name);
    }

    /** Builds a model by name ({@code resnet18} ... {@code resnet152}) with 1000 classes and seed 0. */
    public static Graph build(String name) {
        return build(name, 1000, 0);
    }

    public static Graph build(String name, int classes, long seed) {
        switch (name) {
            case "resnet18": return build(name, false, new int[] {2, 2, 2, 2}, classes, seed);
            case "resnet34": return build(name, false, new int[] {3, 4, 6, 3}, classes, seed);
            case "resnet50": return build(name, true, new int[] {3, 4, 6, 3}, classes, seed);
            case "resnet101": return build(name, true, new int[] {3, 4, 23, 3}, classes, seed);
            case "resnet152": return build(name, true, new int[] {3, 8, 36, 3}, classes, seed);
            default: throw new ModelException("unknown built-in model '" + name + "'; built-in models are " + NAMES);
        }
    }

    private static final class Builder {
        final List<Node> nodes = new ArrayList<>();
        final Map<String, Tensor> weights = new LinkedHashMap<>();
        final Random rnd;
        int counter;

        Builder(long seed) {
            rnd = new Random(seed);
        }

        String conv(String prefix, String x, int cin, int cout, int k, int stride) {
            int fanOut = cout * k * k;
            float std = (float) Math.sqrt(2.0 / fanOut);
            float[] w = new float[cout * cin * k * k];
            for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * std;
            weights.put(prefix + ".weight", Tensor.of(w, cout, cin, k, k));
            int pad = k / 2;
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("kernel_shape", new long[] {k, k});
            a.put("strides", new long[] {stride, stride});
            a.put("pads", new long[] {pad, pad, pad, pad});
            a.put("dilations", new long[] {1, 1});
            a.put("group", 1L);
            String out = prefix + ".out";
            nodes.add(new Node(prefix, "Conv", List.of(x, prefix + ".weight"), List.of(out), new Attributes(a)));
            return out;
        }

        String bn(String prefix, String x, int c, boolean lastInBlock) {
            float[] gamma = new float[c], beta = new float[c], mean = new float[c], var = new float[c];
            for (int i = 0; i < c; i++) {
                // the last BN of a residual branch starts small, like zero-init-residual, so deep nets stay stable
                gamma[i] = lastInBlock ? 0.2f + 0.1f * rnd.nextFloat() : 0.5f + rnd.nextFloat();
                beta[i] = 0.1f * (float) rnd.nextGaussian();
                mean[i] = 0.1f * (float) rnd.nextGaussian();
                var[i] = 0.5f + rnd.nextFloat();
            }
            weights.put(prefix + ".weight", Tensor.of(gamma, c));
            weights.put(prefix + ".bias", Tensor.of(beta, c));
            weights.put(prefix + ".running_mean", Tensor.of(mean, c));
            weights.put(prefix + ".running_var", Tensor.of(var, c));
            String out = prefix + ".out";
            nodes.add(new Node(prefix, "BatchNormalization",
                    List.of(x, prefix + ".weight", prefix + ".bias", prefix + ".running_mean", prefix + ".running_var"),
                    List.of(out), new Attributes(Map.of("epsilon", 1e-5f))));
            return out;
        }

        String op(String op, String name, List<String> inputs, Map<String, Object> attrs) {
            String out = name + ".out";
            nodes.add(new Node(name, op, inputs, List.of(out), new Attributes(attrs)));
            return out;
        }

        String relu(String name, String x) {
            return op("Relu", name, List.of(x), Map.of());
        }
    }

    private static Graph build(String name, boolean bottleneck, int[] layers, int classes, long seed) {
        if (classes < 1) throw new ModelException("class count must be positive but is " + classes);
        Builder b = new Builder(seed);
        String x = b.conv("conv1", "input", 3, 64, 7, 2);
        x = b.relu("relu", b.bn("bn1", x, 64, false));
        Map<String, Object> pool = new LinkedHashMap<>();
        pool.put("kernel_shape", new long[] {3, 3});
        pool.put("strides", new long[] {2, 2});
        pool.put("pads", new long[] {1, 1, 1, 1});
        x = b.op("MaxPool", "maxpool", List.of(x), pool);
        int inplanes = 64;
        int expansion = bottleneck ? 4 : 1;
        for (int stage = 0; stage < 4; stage++) {
            int planes = 64 << stage;
            for (int blk = 0; blk < layers[stage]; blk++) {
                String p = "layer" + (stage + 1) + "." + blk;
                int stride = stage > 0 && blk == 0 ? 2 : 1;
                String identity = x;
                String y;
                if (bottleneck) {
                    y = b.relu(p + ".relu1", b.bn(p + ".bn1", b.conv(p + ".conv1", x, inplanes, planes, 1, 1), planes, false));
                    y = b.relu(p + ".relu2", b.bn(p + ".bn2", b.conv(p + ".conv2", y, planes, planes, 3, stride), planes, false));
                    y = b.bn(p + ".bn3", b.conv(p + ".conv3", y, planes, planes * 4, 1, 1), planes * 4, true);
                } else {
                    y = b.relu(p + ".relu1", b.bn(p + ".bn1", b.conv(p + ".conv1", x, inplanes, planes, 3, stride), planes, false));
                    y = b.bn(p + ".bn2", b.conv(p + ".conv2", y, planes, planes, 3, 1), planes, true);
                }
                if (stride != 1 || inplanes != planes * expansion) {
                    identity = b.bn(p + ".downsample.1",
                            b.conv(p + ".downsample.0", x, inplanes, planes * expansion, 1, stride), planes * expansion, false);
                }
                x = b.relu(p + ".relu", b.op("Add", p + ".add", List.of(y, identity), Map.of()));
                inplanes = planes * expansion;
            }
        }
        x = b.op("GlobalAveragePool", "avgpool", List.of(x), Map.of());
        x = b.op("Flatten", "flatten", List.of(x), Map.of("axis", 1L));
        float[] fc = new float[classes * inplanes];
        float bound = (float) (1 / Math.sqrt(inplanes));
        for (int i = 0; i < fc.length; i++) fc[i] = (b.rnd.nextFloat() * 2 - 1) * bound;
        float[] fcb = new float[classes];
        for (int i = 0; i < classes; i++) fcb[i] = (b.rnd.nextFloat() * 2 - 1) * bound;
        b.weights.put("fc.weight", Tensor.of(fc, classes, inplanes));
        b.weights.put("fc.bias", Tensor.of(fcb, classes));
        Map<String, Object> gemm = new LinkedHashMap<>();
        gemm.put("transB", 1L);
        b.nodes.add(new Node("fc", "Gemm", List.of(x, "fc.weight", "fc.bias"), List.of("logits"), new Attributes(gemm)));
        ValueInfo in = new ValueInfo("input", DType.FLOAT32, new long[] {-1, 3, -1, -1}, new String[] {"N", null, "H", "W"});
        ValueInfo out = new ValueInfo("logits", DType.FLOAT32, new long[] {-1, classes}, new String[] {"N", null});
        return new Graph(name, b.nodes, b.weights, List.of(in), List.of(out), 17);
    }
}
