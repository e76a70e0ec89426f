package io.gapnet;

import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.util.List;
import java.util.Map;

/** Small graphs that several test classes share. */
public final class TestGraphs {
    private TestGraphs() {}

    /** Conv (3 -> 2 channels, 1x1), Relu, GAP, Flatten, Gemm (2 -> 2): any N, H and W. */
    public static Graph tinyCnn() {
        Map<String, Tensor> w = Map.of("w", Tensor.of(new float[] {0.5f, -1, 2, 0.25f, 1, 1}, 2, 3, 1, 1),
                "fc", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        List<Node> nodes = List.of(
                new Node("conv", "Conv", List.of("x", "w"), List.of("c"), Attributes.none()),
                new Node("relu", "Relu", List.of("c"), List.of("r"), Attributes.none()),
                new Node("gap", "GlobalAveragePool", List.of("r"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc", "Gemm", List.of("f", "fc"), List.of("y"), new Attributes(Map.of("transB", 1L))));
        return new Graph("tiny", nodes, w, List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, 3, -1, -1}, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }
}
