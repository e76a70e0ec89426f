package io.gapnet.cli;

import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.GraphOptimizer;
import io.gapnet.runtime.Plan;
import io.gapnet.runtime.Step;
import io.gapnet.runtime.Compiler;
import io.gapnet.tensor.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's layers, parameters, MACs and peak activation memory for an input size.")
final class InfoCommand implements Runnable {
    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--batch", description = "batch size (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--size", split = ",", description = "input height,width (default: the model's static size, else 224,224)")
    int[] size;

    @Option(names = "--layers", description = "also list every compiled step")
    boolean layers;

    @Override
    public void run() {
        Graph g = Models.load(model);
        System.out.printf("model: %s (opset %d)%n", g.name(), g.opset());
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : g.nodes()) ops.merge(n.opType(), 1, Integer::sum);
        System.out.printf("nodes: %d %s%n", g.nodes().size(), ops);
        System.out.printf("parameters: %,d (%.1f MB as float32)%n", g.parameterCount(), g.parameterCount() * 4 / 1e6);
        for (ValueInfo v : g.inputs()) System.out.printf("input: %s %s %s%n", v.name(), v.dtype(), v.shapeString());
        for (ValueInfo v : g.outputs()) System.out.printf("output: %s %s %s%n", v.name(), v.dtype(), v.shapeString());
        io.gapnet.runtime.GapHead.summary(GraphOptimizer.optimize(g)).forEach(System.out::println);
        Map<String, Compiler.InputSig> sigs = new LinkedHashMap<>();
        for (ValueInfo v : g.inputs()) {
            if (v.dtype() == DType.INT64) {
                System.out.println("(int64 input " + v.name() + ": MACs and memory depend on its values; not compiled)");
                return;
            }
            sigs.put(v.name(), new Compiler.InputSig(shapeFor(v), DType.FLOAT32, null));
        }
        Graph optimized = GraphOptimizer.optimize(g);
        Plan plan = Compiler.compile(optimized, sigs, List.of());
        sigs.forEach((k, v) -> System.out.printf("compiled for: %s %s%n", k, java.util.Arrays.toString(v.shape())));
        System.out.printf("kernel steps: %d (after BatchNorm folding and Conv fusion)%n", plan.steps().size());
        System.out.printf("MACs: %,d (%.2f GMACs)%n", plan.macs(), plan.macs() / 1e9);
        System.out.printf("peak activation memory: %.2f MB in %d reusable buffers%n", plan.peakActivationBytes() / 1e6, plan.slotCount());
        System.out.printf("weights on the device: %.1f MB%n", plan.constantBytes() / 1e6);
        if (layers) {
            System.out.printf("%-4s %-22s %-32s %-44s %12s%n", "#", "op", "node", "shapes", "MACs");
            int i = 0;
            for (Step s : plan.steps()) {
                System.out.printf("%-4d %-22s %-32s %-44s %,12d%n", i++, s.op(), s.node(), s.shape(), s.macs());
            }
        }
    }

    private int[] shapeFor(ValueInfo v) {
        if (!v.hasShape()) return new int[] {batch, 3, size == null ? 224 : size[0], size == null ? 224 : size[1]};
        long[] d = v.dims();
        int[] s = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (i == 0 && d.length == 4) s[i] = batch;
            else if (size != null && d.length == 4 && i >= 2) s[i] = size[i - 2];
            else s[i] = d[i] >= 0 ? (int) d[i] : (i == 0 ? batch : (d.length == 4 && i == 1 ? 3 : 224));
        }
        return s;
    }
}
