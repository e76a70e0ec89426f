package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.ImageLoader;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import io.gapnet.util.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Classify PNG and JPEG images (files or folders, walked recursively). Images are decoded in",
            "parallel with inference; a progress bar with images/s and ETA shows on a terminal."})
final class ClassifyCommand implements Callable<Integer> {
    enum Format { table, csv, jsonl }

    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "backend (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--labels", description = "labels file: one per line, index,label or 'synset label'")
    Path labels;

    @Option(names = "--top", description = "how many classes to print (default: ${DEFAULT-VALUE})")
    int top = 5;

    @Option(names = "--multi-label", description = "sigmoid per class; list every class above --threshold")
    boolean multiLabel;

    @Option(names = "--threshold", description = "with --multi-label: the probability to reach (default: ${DEFAULT-VALUE})")
    float threshold = 0.5f;

    @Option(names = "--format", description = "table, csv or jsonl (default: ${DEFAULT-VALUE})")
    Format format = Format.table;

    @Option(names = "--json", description = "same as --format jsonl")
    boolean json;

    @Option(names = "--threads", description = "decoding threads (default: the number of cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-q", "--quiet"}, description = "no progress bar")
    boolean quiet;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR")
    List<Path> paths;

    @Override
    public Integer call() {
        if (json) format = Format.jsonl;
        Labels names = labels == null ? Labels.none() : Labels.read(labels);
        Graph graph = Models.load(model, 1000);
        ValueInfo input = graph.inputs().size() == 1 ? graph.inputs().get(0) : null;
        if (input == null) throw new GapnetException("classify needs a model with exactly one input");
        if (top < 1) throw new GapnetException("--top must be at least 1, not " + top);
        if (threads < 1) throw new GapnetException("--threads must be at least 1, not " + threads);
        ImageLoader.Listing listing = ImageLoader.list(paths);
        List<Path> files = listing.images();
        if (files.isEmpty()) throw new GapnetException(ImageLoader.nothingToDo(listing, paths));
        int failures = 0, done = 0;
        Progress progress = new Progress(files.size(), quiet);
        if (format == Format.csv) {
            System.out.println(multiLabel ? "image,index,label,probability,error" : "image,rank,index,label,probability,error");
        }
        for (ImageLoader.Item bad : listing.errors()) {
            failures++;
            failed(bad.path(), bad.error().getMessage());
        }
        try (Backend b = Backends.open(backend); Session session = Session.open(graph, b);
             ImageLoader loader = new ImageLoader(files, pre.build(), threads)) {
            boolean softmax = !session.endsInSoftmax();
            for (ImageLoader.Item item : loader) {
                try {
                    if (item.error() != null) throw item.error();
                    Tensor x = input.dtype() == DType.FLOAT16 ? item.tensor().asType(DType.FLOAT16) : item.tensor();
                    Tensor scores = session.run(x);
                    print(item.path(), multiLabel ? aboveThreshold(scores) : Session.topK(scores, top, softmax).get(0), names);
                } catch (GapnetException e) {
                    failures++;
                    failed(item.path(), e.getMessage());
                } catch (RuntimeException e) { // a bug with this image: reported alone, the run goes on
                    failures++;
                    failed(item.path(), Main.message(e));
                }
                progress.update(++done);
            }
        }
        return Main.itemsDone(failures, files.size() + listing.errors().size());
    }

    /** An image that could not be classified: a line on standard error, and an error row in JSON lines and CSV. */
    private void failed(Path image, String message) {
        System.err.println("gapnet: " + image + ": " + message);
        if (format == Format.jsonl) {
            System.out.println(Main.jsonErrorRow(image, message));
        } else if (format == Format.csv) {
            System.out.println(csv(image.toString()) + (multiLabel ? ",,," : ",,,,") + "," + csv(message));
        }
    }

    /** Sigmoid per class, every class at or above the threshold, most probable first. */
    private List<Prediction> aboveThreshold(Tensor scores) {
        List<Prediction> out = new ArrayList<>();
        float[] s = scores.toFloats();
        int classes = s.length / scores.dim(0);
        for (int c = 0; c < classes; c++) {
            float p = (float) (1 / (1 + Math.exp(-s[c])));
            if (p >= threshold) out.add(new Prediction(c, p));
        }
        out.sort((a, b) -> Float.compare(b.probability(), a.probability()));
        return out;
    }

    private void print(Path image, List<Prediction> preds, Labels names) {
        switch (format) {
            case jsonl: {
                StringBuilder sb = new StringBuilder("{\"image\":").append(Json.quote(image.toString()))
                        .append(multiLabel ? ",\"labels\":[" : ",\"top\":[");
                for (int i = 0; i < preds.size(); i++) {
                    Prediction p = preds.get(i);
                    sb.append(i > 0 ? "," : "").append("{\"index\":").append(p.index()).append(",\"label\":")
                            .append(Json.quote(names.name(p.index()))).append(",\"probability\":").append(p.probability()).append('}');
                }
                System.out.println(sb.append("]}"));
                break;
            }
            case csv:
                for (int i = 0; i < preds.size(); i++) {
                    Prediction p = preds.get(i);
                    System.out.println(csv(image.toString()) + (multiLabel ? "" : "," + (i + 1)) + "," + p.index() + ","
                            + csv(names.name(p.index())) + "," + p.probability() + ",");
                }
                break;
            default:
                System.out.println(image + ":" + (multiLabel && preds.isEmpty() ? " (no class reaches " + threshold + ")" : ""));
                for (Prediction p : preds) {
                    System.out.printf(Locale.ROOT, "  %-30s %.4f  (class %d)%n", names.name(p.index()), p.probability(), p.index());
                }
        }
    }

    private static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
