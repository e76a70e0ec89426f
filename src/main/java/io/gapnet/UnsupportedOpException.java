package io.gapnet;

import java.util.List;
import java.util.Map;

/** The model uses operators gapnet does not implement. Lists every one of them at once, with node names. */
public class UnsupportedOpException extends ModelException {
    private final Map<String, List<String>> nodesByOp;

    public UnsupportedOpException(Map<String, List<String>> nodesByOp) {
        super(format(nodesByOp));
        this.nodesByOp = Map.copyOf(nodesByOp);
    }

    /** Unsupported op type (with domain if not the default one) to the names of the nodes that use it. */
    public Map<String, List<String>> nodesByOp() {
        return nodesByOp;
    }

    private static String format(Map<String, List<String>> nodesByOp) {
        StringBuilder sb = new StringBuilder("the model uses ").append(nodesByOp.size())
                .append(nodesByOp.size() == 1 ? " operator" : " operators").append(" gapnet does not support: ");
        String sep = "";
        for (Map.Entry<String, List<String>> e : nodesByOp.entrySet()) {
            List<String> nodes = e.getValue();
            sb.append(sep).append(e.getKey()).append(" (").append(nodes.size())
                    .append(nodes.size() == 1 ? " node: " : " nodes: ")
                    .append(String.join(", ", nodes.subList(0, Math.min(5, nodes.size()))))
                    .append(nodes.size() > 5 ? ", ..." : "").append(')');
            sep = "; ";
        }
        return sb.append(". See the README's list of supported operators; re-export the model with those")
                .append(" (for example a lower opset or torch.onnx options) or open an issue.").toString();
    }
}
