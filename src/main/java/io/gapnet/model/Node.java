package io.gapnet.model;

import java.util.List;

/**
 * One operator application. Inputs and outputs are value names; an empty input name marks an omitted
 * optional input. {@code domain} is "" for the default ONNX domain.
 */
public final class Node {
    private final String name;
    private final String opType;
    private final String domain;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Attributes attrs;
    private final String displayOp;
    private final List<String> origins;

    public Node(String name, String opType, String domain, List<String> inputs, List<String> outputs, Attributes attrs) {
        this(name, opType, domain, inputs, outputs, attrs, opType, List.of(name));
    }

    private Node(String name, String opType, String domain, List<String> inputs, List<String> outputs, Attributes attrs,
                 String displayOp, List<String> origins) {
        this.displayOp = displayOp;
        this.origins = List.copyOf(origins);
        this.name = name;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.attrs = attrs.owner(displayOp + " node '" + name + "'");
    }

    public Node(String name, String opType, List<String> inputs, List<String> outputs, Attributes attrs) {
        this(name, opType, "", inputs, outputs, attrs);
    }

    public String name() {
        return name;
    }

    public String opType() {
        return opType;
    }

    public String domain() {
        return domain;
    }

    public List<String> inputs() {
        return inputs;
    }

    /** Input i's name, or "" when absent (omitted optional input). */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public List<String> outputs() {
        return outputs;
    }

    public String output(int i) {
        return i < outputs.size() ? outputs.get(i) : "";
    }

    public Attributes attrs() {
        return attrs;
    }

    /**
     * "Conv node 'layer1.0.conv1'", for error messages. Nodes the optimiser created from a model's nodes
     * keep the op the model used, so messages name what the user wrote.
     */
    public String describe() {
        return displayOp + " node '" + name + "'";
    }

    /** A node that replaces this one (a fusion), with other op, inputs, outputs and attributes, described as this one. */
    public Node rewrite(String newOp, String newDomain, List<String> newInputs, List<String> newOutputs, Attributes newAttrs) {
        return rewrite(newOp, newDomain, newInputs, newOutputs, newAttrs, List.of());
    }

    /** As {@link #rewrite(String, String, List, List, Attributes)}, standing for {@code absorbed} nodes too. */
    public Node rewrite(String newOp, String newDomain, List<String> newInputs, List<String> newOutputs, Attributes newAttrs,
                        List<Node> absorbed) {
        List<String> all = new java.util.ArrayList<>(origins);
        for (Node n : absorbed) all.addAll(n.origins);
        return new Node(name, newOp, newDomain, newInputs, newOutputs, newAttrs, displayOp, all);
    }

    /**
     * The names of the model's nodes this node computes: itself, and those the optimiser fused into it (a Conv's
     * BatchNormalization, residual Add and activation).
     */
    public List<String> origins() {
        return origins;
    }

    /** The op the model used for this node (a fused Conv is still "Conv"). */
    public String modelOp() {
        return displayOp;
    }

    @Override
    public String toString() {
        return describe() + " " + inputs + " -> " + outputs;
    }
}
