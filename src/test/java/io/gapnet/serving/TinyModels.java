package io.gapnet.serving;

import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** Small models whose answers are easy to work out by hand. */
final class TinyModels {
    private TinyModels() {}

    /** x [N, C, H, W] -> GAP -> Flatten -> Gemm (weights w [classes, C], transB) -> logits: the features are the input. */
    static Graph gapLinear(float[] w, int classes, int channels) {
        List<Node> nodes = List.of(
                new Node("gap", "GlobalAveragePool", List.of("x"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc", "Gemm", List.of("f", "w"), List.of("logits"), new Attributes(Map.of("transB", 1L))));
        return new Graph("gap-linear", nodes, Map.of("w", Tensor.of(w, classes, channels)),
                List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, channels, -1, -1}, null)),
                List.of(new ValueInfo("logits", DType.FLOAT32, null, null)), 13);
    }

    /** A small CNN over RGB images: 1x1 conv to 4 channels, ReLU, GAP, linear to 3 classes. */
    static Graph rgbCnn() {
        float[] conv = {0.5f, -1, 2, 0.25f, 1, 1, -0.5f, 0.3f, 0.2f, 1, -1, 0.5f};
        float[] fc = {1, -1, 0.5f, 2, -2, 1, 0, 1, 0.3f, 0.3f, 0.3f, -1};
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "cw"), List.of("c"), Attributes.none()),
                new Node("relu", "Relu", List.of("c"), List.of("r"), Attributes.none()),
                new Node("gap", "GlobalAveragePool", List.of("r"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc", "Gemm", List.of("f", "fw"), List.of("logits"), new Attributes(Map.of("transB", 1L))));
        return new Graph("rgb-cnn", nodes, Map.of("cw", Tensor.of(conv, 4, 3, 1, 1), "fw", Tensor.of(fc, 3, 4)),
                List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, 3, -1, -1}, null)),
                List.of(new ValueInfo("logits", DType.FLOAT32, null, null)), 13);
    }
}
