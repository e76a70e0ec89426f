package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.Images;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.onnx.OnnxImporter;
import io.gapnet.parity.Parity;
import io.gapnet.parity.ParityPlot;
import io.gapnet.parity.ParityReport;
import io.gapnet.parity.Tolerance;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "parity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prove a backend against a reference, layer by layer: run the same input through both with every",
            "intermediate value kept, print one line per value in execution order (max abs and max rel error, NMSE,",
            "the share of elements beyond tolerance, non-finite values on one side only) and a verdict naming the",
            "first layer beyond tolerance, which is then run alone from the reference's inputs to tell whether it",
            "diverges itself or inherits error. Exit code 0 only if every output is within tolerance.",
            "Example: gapnet parity --model model.onnx --backend cuda --plot parity.png --save failing-layer/"})
final class ParityCommand implements Callable<Integer> {
    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "the backend under test (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--against", description = "the reference backend (default: ${DEFAULT-VALUE})")
    String against = "cpu-ref";

    @Option(names = "--input", description = "a TensorProto .pb file, or a PNG or JPEG image (preprocessed with the options"
            + " below); default: a seeded random input")
    Path input;

    @Option(names = "--random", description = "the seed of the random input (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--batch", description = "batch size of the random input (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--size", split = ",", description = "height,width of the random input (default: 224,224)")
    int[] size = {224, 224};

    @Option(names = "--atol", description = "absolute tolerance, scaled by max(1, RMS) of each layer (default: ${DEFAULT-VALUE})")
    double atol = 1e-4;

    @Option(names = "--rtol", description = "relative tolerance (default: ${DEFAULT-VALUE})")
    double rtol = 1e-3;

    @Option(names = "--metric", description = "what decides a layer: max (every element), nmse (<= rtol^2) or cosine"
            + " (1 - cos <= rtol^2/2) (default: ${DEFAULT-VALUE})")
    String metric = "max";

    @Option(names = "--json", description = "print the whole report as one JSON object instead of the table")
    boolean json;

    @Option(names = "--save", description = "write the first divergent layer as an ONNX test folder here (replay it with"
            + " gapnet test-onnx --backend B DIR)")
    Path save;

    @Option(names = "--plot", description = "draw the per-layer error as a PNG here")
    Path plot;

    @Mixin
    PreprocessOptions preprocess;

    @Override
    public Integer call() {
        if (batch < 1) throw new GapnetException("--batch must be at least 1");
        if (size.length != 2 || size[0] < 1 || size[1] < 1) throw new GapnetException("--size takes HEIGHT,WIDTH, both at least 1");
        Tolerance tol = new Tolerance(atol, rtol, Tolerance.Metric.parse(metric));
        Graph graph = Models.load(model);
        Map<String, Tensor> inputs = inputs(graph);
        String source = input != null ? input.toString() : "random, seed " + seed;
        try (Backend b = Backends.open(backend); Backend r = Backends.open(against)) {
            Parity.Comparison comparison = Parity.comparison(graph, inputs, source, b, r, tol);
            ParityReport report = comparison.report();
            Path saved = save == null ? null : comparison.save(save);
            System.out.print(json ? report.json() + "\n" : report.table());
            if (plot != null) {
                ParityPlot.write(report, plot);
                if (!json) System.out.println("plot: " + plot);
            }
            if (save != null && !json) {
                System.out.println(saved != null ? "saved: " + save + " (gapnet test-onnx --backend " + backend + " " + save
                        + " replays the layer)" : "saved: nothing, no layer diverged");
            }
            return report.outputsWithin() ? 0 : 1;
        }
    }

    private Map<String, Tensor> inputs(Graph graph) {
        if (input == null) return Parity.randomInputs(graph, seed, batch, size[0], size[1]);
        if (graph.inputs().size() != 1) {
            throw new GapnetException("the model has " + graph.inputs().size() + " inputs; --input gives one");
        }
        ValueInfo vi = graph.inputs().get(0);
        String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
        Tensor t;
        if (name.endsWith(".pb")) {
            t = OnnxImporter.readTensor(input);
            if (t.dtype() == DType.FLOAT16) t = t.asType(DType.FLOAT32);
        } else {
            t = Images.load(input, preprocess.build(null));
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(vi.name(), t);
        return m;
    }
}
