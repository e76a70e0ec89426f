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

    public Node(String name, String opType, String domain, List<String> inputs, List<String> outputs, Attributes attrs) {
        this.name = name;
        this.opType = opType;
        this.domain = domain == null ? "" : domain;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.attrs = attrs.owner(opType + " node '" + name + "'");
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

    /** "Conv node 'layer1.0.conv1'", for error messages. */
    public String describe() {
        return opType + " node '" + name + "'";
    }

    public Node withInputs(List<String> newInputs) {
        return new Node(name, opType, domain, newInputs, outputs, attrs);
    }

    public Node withOutputs(List<String> newOutputs) {
        return new Node(name, opType, domain, inputs, newOutputs, attrs);
    }

    public Node withOp(String newOp, String newDomain, Attributes newAttrs) {
        return new Node(name, newOp, newDomain, inputs, outputs, newAttrs);
    }

    @Override
    public String toString() {
        return describe() + " " + inputs + " -> " + outputs;
    }
}
