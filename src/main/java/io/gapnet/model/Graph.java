package io.gapnet.model;

import io.gapnet.ModelException;
import io.gapnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated DAG of ops: nodes in topological order, constant weights (initializers), graph inputs (those
 * without initializers) and outputs. It knows nothing about devices. Build one with the ONNX importer or
 * the built-in builders; the constructor checks it (names, references, a topological order).
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    private final int opset;

    public Graph(String name, List<Node> nodes, Map<String, Tensor> initializers, List<ValueInfo> inputs,
                 List<ValueInfo> outputs, int opset) {
        this.name = name;
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.opset = opset;
        this.nodes = List.copyOf(sortAndValidate(nodes));
    }

    public String name() {
        return name;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Map<String, Tensor> initializers() {
        return initializers;
    }

    public List<ValueInfo> inputs() {
        return inputs;
    }

    public List<ValueInfo> outputs() {
        return outputs;
    }

    /** The default-domain opset version the model was written for. */
    public int opset() {
        return opset;
    }

    public ValueInfo input(String name) {
        for (ValueInfo v : inputs) if (v.name().equals(name)) return v;
        return null;
    }

    /** Number of weight parameters (elements of float initializers). */
    public long parameterCount() {
        long n = 0;
        for (Tensor t : initializers.values()) if (t.dtype().isFloat()) n += t.numel();
        return n;
    }

    /** The node that produces each value name. */
    public Map<String, Node> producers() {
        Map<String, Node> m = new HashMap<>();
        for (Node n : nodes) for (String o : n.outputs()) if (!o.isEmpty()) m.put(o, n);
        return m;
    }

    /** The nodes that read each value name (a node reading a value twice is listed twice). */
    public Map<String, List<Node>> consumers() {
        Map<String, List<Node>> m = new HashMap<>();
        for (Node n : nodes) for (String i : n.inputs()) if (!i.isEmpty()) m.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        return m;
    }

    /** A graph with the same inputs, outputs and opset but other nodes and initializers. */
    public Graph withNodes(List<Node> newNodes, Map<String, Tensor> newInitializers) {
        return new Graph(name, newNodes, newInitializers, inputs, outputs, opset);
    }

    /**
     * Orders nodes so every input is defined before use (a stable topological sort: already-sorted graphs
     * keep their order) and checks that each value has one producer and that every input and output exists.
     */
    private List<Node> sortAndValidate(List<Node> in) {
        Set<String> defined = new HashSet<>(initializers.keySet());
        for (ValueInfo v : inputs) {
            if (!defined.add(v.name()) && !initializers.containsKey(v.name())) {
                throw new ModelException("graph '" + name + "': input '" + v.name() + "' is declared twice");
            }
        }
        Map<String, Node> producer = new HashMap<>();
        for (Node n : in) {
            for (String o : n.outputs()) {
                if (o.isEmpty()) continue;
                Node prev = producer.put(o, n);
                if (prev != null || defined.contains(o)) {
                    throw new ModelException("graph '" + name + "': value '" + o + "' is produced by " + n.describe()
                            + " and also by " + (prev != null ? prev.describe() : "a graph input or initializer")
                            + "; every value must have exactly one producer");
                }
            }
        }
        // Kahn's algorithm, taking the ready node that came first in the input: O(n log n) in the number of nodes
        // and edges whatever the input order, and an already-sorted graph keeps its order
        int n = in.size();
        int[] waiting = new int[n];
        Map<String, List<Integer>> readers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Node node = in.get(i);
            Set<String> distinct = new HashSet<>();
            for (String v : node.inputs()) {
                if (v.isEmpty() || defined.contains(v) || !distinct.add(v)) continue;
                if (!producer.containsKey(v)) {
                    throw new ModelException(node.describe() + " reads '" + v + "', which is neither a graph input,"
                            + " an initializer nor the output of any node; the model is incomplete (missing"
                            + " initializer?)");
                }
                waiting[i]++;
                readers.computeIfAbsent(v, k -> new ArrayList<>()).add(i);
            }
        }
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < n; i++) if (waiting[i] == 0) ready.add(i);
        List<Node> sorted = new ArrayList<>(n);
        while (!ready.isEmpty()) {
            Node node = in.get(ready.poll());
            sorted.add(node);
            for (String o : node.outputs()) {
                if (o.isEmpty()) continue;
                defined.add(o);
                for (int r : readers.getOrDefault(o, List.of())) if (--waiting[r] == 0) ready.add(r);
            }
        }
        if (sorted.size() < n) {
            int first = -1;
            for (int i = 0; i < n && first < 0; i++) if (waiting[i] > 0) first = i;
            throw new ModelException("graph '" + name + "' has a cycle through " + in.get(first).describe()
                    + "; a model must be a directed acyclic graph");
        }
        for (ValueInfo o : outputs) {
            if (!defined.contains(o.name())) {
                throw new ModelException("graph '" + name + "': output '" + o.name() + "' is not produced by any node");
            }
        }
        return sorted;
    }
}
