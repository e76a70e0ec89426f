package io.gapnet.models;

import io.gapnet.Labels;
import io.gapnet.ModelException;
import io.gapnet.image.Preprocessing;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.onnx.OnnxImporter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a model argument into a graph: a built-in name ({@code resnet18} ... {@code resnet152}, random weights), an
 * ONNX file or a folder holding {@code model.onnx}, an {@code http(s)://} URL (downloaded once into the {@link
 * ModelCache}) or a {@code zoo:NAME} from the {@link ModelZoo}.
 */
public final class Models {
    /** The notice a built-in model's answers come with. */
    public static final String RANDOM_WEIGHTS_NOTICE = "built-in models have random weights: their answers mean nothing,"
            + " they serve speed and parity work; for a trained model use --model zoo:resnet50-v1-7 (gapnet models lists"
            + " more), an .onnx file or a URL";

    private Models() {}

    /**
     * A resolved model: its graph, what it is, and for zoo models the preprocessing and labels it needs (null
     * otherwise).
     *
     * @param graph the model
     * @param description where it came from, in words
     * @param preprocessing the model's own preprocessing, or null when gapnet cannot know it
     * @param labels the model's own labels, or null
     * @param randomWeights whether the weights are random (a built-in model)
     */
    public record Resolved(Graph graph, String description, Preprocessing preprocessing, Labels labels, boolean randomWeights) {}

    /** Resolves {@code spec} with the default cache; {@code sha256} (or null) checks a URL's download. */
    public static Resolved resolve(String spec, String sha256, ModelCache.Listener progress) {
        return resolve(spec, sha256, ModelCache.defaultCache(), progress);
    }

    /** Resolves {@code spec}, downloading through {@code cache}. */
    public static Resolved resolve(String spec, String sha256, ModelCache cache, ModelCache.Listener progress) {
        if (spec == null || spec.isBlank()) throw new ModelException("no model given");
        if (ResNets.isBuiltIn(spec)) {
            return new Resolved(ResNets.build(spec, 1000, 0), "built-in " + spec + " (random weights)", null, null, true);
        }
        if (spec.startsWith("zoo:")) {
            String name = spec.substring(4);
            ModelZoo.Entry e = ModelZoo.require(name);
            Path file = cache.fetch(e.url(), sha256 != null ? sha256 : e.sha256(), progress);
            return new Resolved(OnnxImporter.load(file), "zoo:" + e.name() + " (" + e.description() + ")", e.preprocessing(),
                    ModelZoo.labels(e), false);
        }
        if (ModelCache.isUrl(spec)) {
            Path file = cache.fetch(spec, sha256, progress);
            return new Resolved(OnnxImporter.load(file), spec, null, null, false);
        }
        if (sha256 != null) throw new ModelException("--sha256 checks a downloaded model; '" + spec + "' is not a URL");
        Path p = Path.of(spec);
        if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("model.onnx"))) p = p.resolve("model.onnx");
        if (!Files.exists(p)) {
            throw new ModelException("model '" + spec + "': no such file; give a built-in model " + ResNets.NAMES
                    + ", an .onnx file, an http(s):// URL or zoo:NAME (gapnet models lists the zoo)");
        }
        return new Resolved(OnnxImporter.load(p), p.toString(), null, null, false);
    }
}
