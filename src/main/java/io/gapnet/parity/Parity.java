package io.gapnet.parity;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.onnx.OnnxWriter;
import io.gapnet.runtime.Compiler;
import io.gapnet.runtime.GraphOptimizer;
import io.gapnet.runtime.Plan;
import io.gapnet.runtime.RandomInputs;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Proves a backend against a reference on a whole network, layer by layer: the same input through both, every
 * intermediate value kept and compared in execution order ({@link #compare}); the first value beyond tolerance is
 * where divergence starts, and that layer is run again alone, on both backends from the reference's inputs, to say
 * whether it computes differently itself or amplifies error it inherits. {@link Comparison#save} writes that layer as an ONNX
 * test folder that {@code gapnet test-onnx} replays on any backend; {@link #assertMatches} is the same check for a
 * user's own test suite. What TensorRT users get from Polygraphy, for every gapnet backend.
 */
public final class Parity {
    private Parity() {}

    /** Compares {@code backend} with {@code against} (normally {@code cpu-ref}) on {@code inputs}. */
    public static ParityReport compare(Graph model, Map<String, Tensor> inputs, Backend backend, Backend against, Tolerance tol) {
        return comparison(model, inputs, backend, against, tol).report();
    }

    /** As {@link #compare(Graph, Map, Backend, Backend, Tolerance)}, opening both backends by name. */
    public static ParityReport compare(Graph model, Map<String, Tensor> inputs, String backend, String against, Tolerance tol) {
        try (Backend b = Backends.open(backend); Backend r = Backends.open(against)) {
            return compare(model, inputs, b, r, tol);
        }
    }

    /**
     * Fails with an {@link AssertionError} naming the first divergent layer and its numbers unless every output of
     * {@code model} on {@code backend} matches {@code against} on a seeded random input (batch 1; 224x224 where the
     * model does not fix its spatial size).
     */
    public static void assertMatches(Graph model, String backend, String against, Tolerance tol) {
        try (Backend b = Backends.open(backend); Backend r = Backends.open(against)) {
            assertMatches(model, b, r, tol);
        }
    }

    /** As {@link #assertMatches(Graph, String, String, Tolerance)}, on open backends. */
    public static void assertMatches(Graph model, Backend backend, Backend against, Tolerance tol) {
        ParityReport r = compare(model, randomInputs(model, 0, 1, 224, 224), backend, against, tol);
        if (!r.outputsWithin()) {
            throw new AssertionError(model.name() + " on " + backend.name() + " does not match " + against.name() + " ("
                    + tol.describe() + "): " + r.verdict());
        }
    }

    public static void assertMatches(Graph model, String backend, String against) {
        assertMatches(model, backend, against, Tolerance.DEFAULT);
    }

    /** Seeded standard-normal inputs for the model (see {@link RandomInputs#of}). */
    public static Map<String, Tensor> randomInputs(Graph model, long seed, int batch, int height, int width) {
        return RandomInputs.of(model, seed, batch, height, width);
    }

    /** A finished comparison: its report, and both sides' values, from which {@link #save} writes a reproduction. */
    public static final class Comparison {
        private final ParityReport report;
        private final Graph graph;
        private final Map<String, Tensor> want, got;

        Comparison(ParityReport report, Graph graph, Map<String, Tensor> want, Map<String, Tensor> got) {
            this.report = report;
            this.graph = graph;
            this.want = want;
            this.got = got;
        }

        public ParityReport report() {
            return report;
        }

        /**
         * Writes the first divergent layer into {@code dir} as an ONNX test folder: {@code model.onnx} (the layer's
         * model nodes and weights), {@code test_data_set_0/} with the reference's inputs and output (so {@code gapnet
         * test-onnx --backend B DIR} replays it: it fails where the layer itself diverges and passes on the
         * reference), and {@code BACKEND-values/} with the backend's own inputs and output from the network run.
         *
         * @return {@code dir}, or null when no value diverged (nothing to reproduce) or the first was a host value
         */
        public Path save(Path dir) {
            return Parity.save(this, dir);
        }
    }

    /** Runs the comparison and keeps both sides' values (for {@link Comparison#save}). */
    public static Comparison comparison(Graph model, Map<String, Tensor> inputs, Backend backend, Backend against, Tolerance tol) {
        return comparison(model, inputs, null, backend, against, tol);
    }

    /** As {@link #comparison(Graph, Map, Backend, Backend, Tolerance)}, saying where the inputs came from. */
    public static Comparison comparison(Graph model, Map<String, Tensor> inputs, String source, Backend backend, Backend against,
                                        Tolerance tol) {
        String inputDescription = describe(inputs) + (source == null ? "" : " (" + source + ")");
        try (Session s = Session.open(model, backend); Session r = Session.open(model, against)) {
            Graph g = s.graph(); // the optimised graph: the same rewrites on every backend
            List<String> values = new ArrayList<>();
            for (Node n : g.nodes()) {
                for (String o : n.outputs()) if (!o.isEmpty() && !values.contains(o)) values.add(o);
            }
            // the graph inputs too: a layer reading one needs it to run alone
            Map<String, Tensor> want = new LinkedHashMap<>(inputs), got = new LinkedHashMap<>(inputs);
            want.putAll(r.run(inputs, values, null));
            got.putAll(s.run(inputs, values, null));
            Set<String> host = hostValues(g, inputs, values);
            Set<String> outputs = new HashSet<>();
            for (ValueInfo v : g.outputs()) outputs.add(v.name());
            List<LayerResult> layers = new ArrayList<>();
            for (Node n : g.nodes()) {
                for (String o : n.outputs()) {
                    if (o.isEmpty() || !want.containsKey(o)) continue;
                    layers.add(LayerResult.of(layers.size(), n.name(), n.opType(), n.origins(), o, host.contains(o),
                            outputs.contains(o), want.get(o), got.get(o), tol));
                }
            }
            ParityReport first = new ParityReport(model.name(), backend.name(), against.name(), inputDescription, tol, layers, null);
            LayerResult isolated = first.firstDivergent().map(l -> isolate(g, l, want, backend, against, tol)).orElse(null);
            return new Comparison(new ParityReport(model.name(), backend.name(), against.name(), inputDescription, tol, layers,
                    isolated), g, want, got);
        }
    }

    /** Values the plan computes on the host (shape arithmetic, constants): the same on every backend. */
    private static Set<String> hostValues(Graph g, Map<String, Tensor> inputs, List<String> values) {
        Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
        inputs.forEach((k, v) -> sigs.put(k, Compiler.InputSig.of(v)));
        Set<String> host = new HashSet<>();
        for (Plan.Output o : Compiler.compile(g, sigs, values).outputs()) if (o.valueId() < 0) host.add(o.name());
        return host;
    }

    /** The divergent layer alone, on both backends from the reference's inputs. */
    private static LayerResult isolate(Graph g, LayerResult l, Map<String, Tensor> want, Backend backend, Backend against,
                                       Tolerance tol) {
        if (l.host()) return null;
        Node n = node(g, l.node());
        Layer layer = Layer.of(g, n, want);
        try (Session s = Session.open(layer.graph, backend); Session r = Session.open(layer.graph, against)) {
            Tensor w = r.run(layer.inputs).get(l.value()), o = s.run(layer.inputs).get(l.value());
            return LayerResult.of(l.index(), l.node(), l.op(), l.origins(), l.value(), false, l.output(), w, o, tol);
        } catch (GapnetException e) {
            return null; // a layer that cannot run alone (a multi-output node read in part, say) is simply not isolated
        }
    }

    private static Node node(Graph g, String name) {
        for (Node n : g.nodes()) if (n.name().equals(name)) return n;
        throw new IllegalStateException("no node " + name);
    }

    /** One layer as a graph of its own: its model nodes, the weights they read, its other inputs as graph inputs. */
    static final class Layer {
        final Graph graph;
        final Map<String, Tensor> inputs;

        private Layer(Graph graph, Map<String, Tensor> inputs) {
            this.graph = graph;
            this.inputs = inputs;
        }

        static Layer of(Graph g, Node n, Map<String, Tensor> values) {
            Map<String, Tensor> inits = new LinkedHashMap<>();
            List<Node> nodes = GraphOptimizer.unfuse(n, inits, g.opset());
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            List<ValueInfo> ins = new ArrayList<>();
            for (String in : n.inputs()) {
                if (in.isEmpty() || inits.containsKey(in) || feeds.containsKey(in)) continue;
                Tensor t = g.initializers().get(in);
                if (t == null) t = values.get(in);
                if (t == null) {
                    ValueInfo declared = g.input(in);
                    throw new GapnetException("value '" + in + "' of " + n.describe() + " is not known"
                            + (declared != null ? " (a graph input not given)" : ""));
                }
                boolean weight = g.initializers().containsKey(in) || t.dtype() == DType.INT64;
                if (weight) {
                    inits.put(in, t);
                } else {
                    feeds.put(in, t);
                    ins.add(new ValueInfo(in, DType.FLOAT32, toLongs(t.shape()), null));
                }
            }
            List<ValueInfo> outs = new ArrayList<>();
            for (String o : n.outputs()) if (!o.isEmpty()) outs.add(new ValueInfo(o, DType.FLOAT32, null, null));
            return new Layer(new Graph(n.name(), nodes, inits, ins, outs, g.opset()), feeds);
        }
    }

    private static long[] toLongs(int[] s) {
        long[] l = new long[s.length];
        for (int i = 0; i < s.length; i++) l[i] = s[i];
        return l;
    }

    private static Path save(Comparison run, Path dir) {
        String backendName = run.report.backend();
        LayerResult l = run.report.firstDivergent().orElse(null);
        if (l == null || l.host()) return null;
        Node n = node(run.graph, l.node());
        Layer ref = Layer.of(run.graph, n, run.want);
        OnnxWriter.writeModel(ref.graph, dir.resolve("model.onnx"));
        Path set = dir.resolve("test_data_set_0");
        Path mine = dir.resolve(backendName.replace(':', '-') + "-values");
        int k = 0;
        for (String in : ref.inputs.keySet()) {
            OnnxWriter.writeTensor(run.want.get(in), in, set.resolve("input_" + k + ".pb"));
            OnnxWriter.writeTensor(run.got.get(in), in, mine.resolve("input_" + k + ".pb"));
            k++;
        }
        k = 0;
        for (ValueInfo o : ref.graph.outputs()) {
            OnnxWriter.writeTensor(run.want.get(o.name()), o.name(), set.resolve("output_" + k + ".pb"));
            OnnxWriter.writeTensor(run.got.get(o.name()), o.name(), mine.resolve("output_" + k + ".pb"));
            k++;
        }
        try {
            Files.writeString(dir.resolve("README.txt"), "Layer #" + l.index() + " '" + l.node() + "' (" + l.op()
                    + (l.origins().size() > 1 ? ", standing for " + String.join(", ", l.origins()) : "") + ") of "
                    + run.report.model() + ", where " + backendName + " first diverged from " + run.report.against() + ".\n"
                    + "test_data_set_0/: the reference's inputs and output; " + mine.getFileName()
                    + "/: the backend's, from the whole-network run.\n" + run.report.verdict() + "\n"
                    + "Replay: gapnet test-onnx --backend " + backendName + " " + dir + "\n");
        } catch (java.io.IOException e) {
            throw new GapnetException("cannot write " + dir.resolve("README.txt") + ": " + e.getMessage(), e);
        }
        return dir;
    }

    static String describe(Map<String, Tensor> inputs) {
        List<String> parts = new ArrayList<>();
        inputs.forEach((k, v) -> parts.add(k + " " + Shapes.str(v.shape())));
        return String.join(", ", parts);
    }
}
