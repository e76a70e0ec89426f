package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.Labels;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify PNG and JPEG images (files, or folders walked recursively). Images are decoded in "
            + "parallel with inference, and a progress bar shows on standard error when it is a terminal.",
        footer = {"", "Examples:",
            "  gapnet classify --model zoo:resnet50-v1-7 cat.jpg",
            "  gapnet classify --model model.onnx --labels labels.txt --format csv photos/ > results.csv"})
final class ClassifyCommand implements Callable<Integer> {
    enum Format { table, csv, jsonl }

    @Option(names = "--model", description = Models.MODEL_HELP)
    String model = Models.DEFAULT;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The SHA-256 a downloaded model must have (or append"
            + " #sha256=HEX to the URL) (default: none).")
    String sha256;

    @Option(names = "--backend", description = "The backend: cpu, cpu-ref, opencl or cuda (default: ${DEFAULT-VALUE}).")
    String backend = "cpu";

    @Option(names = "--labels", paramLabel = "FILE", description = "A labels file, one class per line: the label, 'index,label'"
            + " or 'synset label' (default: a zoo model's own, else class numbers).")
    Path labels;

    @Option(names = "--top", paramLabel = "K", description = "How many classes to print per image (default: ${DEFAULT-VALUE}).")
    int top = 5;

    @Option(names = "--multi-label", description = "Apply a sigmoid per class and list every class that reaches --threshold,"
            + " for multi-label heads (default: off, softmax top-K).")
    boolean multiLabel;

    @Option(names = "--threshold", paramLabel = "P", description = "With --multi-label, the probability a class must reach"
            + " (default: ${DEFAULT-VALUE}).")
    float threshold = 0.5f;

    @Option(names = "--format", description = "The output format: table, csv or jsonl (default: ${DEFAULT-VALUE}).")
    Format format = Format.table;

    @Option(names = "--json", description = "The same as --format jsonl.")
    boolean json;

    @Option(names = "--threads", paramLabel = "N", description = "Decoding threads (default: the number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-q", "--quiet"}, description = "Show no progress bar (default: shown on a terminal).")
    boolean quiet;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR", description = "Images, or folders of images.")
    List<Path> paths;

    private Progress progress;

    @Override
    public Integer call() {
        if (json) format = Format.jsonl;
        if (top < 1) throw new GapnetException("--top must be at least 1, not " + top + " (it is how many classes are printed)");
        if (threads < 1) throw new GapnetException("--threads must be at least 1, not " + threads);
        if (multiLabel && !(threshold >= 0 && threshold <= 1)) throw new GapnetException("--threshold must be in 0..1, not " + threshold);
        ImageLoader.Listing listing = ImageLoader.list(paths);
        List<Path> files = listing.images();
        if (files.isEmpty()) throw new GapnetException(ImageLoader.nothingToDo(listing, paths));
        io.gapnet.models.Models.Resolved resolved = Models.resolve(model, sha256);
        Graph graph = resolved.graph();
        Labels names = Models.labels(labels, resolved);
        ValueInfo input = graph.inputs().size() == 1 ? graph.inputs().get(0) : null;
        if (input == null) throw new GapnetException("classify needs a model with exactly one input, not " + graph.inputs().size());
        int failures = 0, done = 0;
        progress = new Progress(files.size(), quiet);
        if (format == Format.csv) {
            System.out.println(multiLabel ? "image,index,label,probability,error" : "image,rank,index,label,probability,error");
        }
        for (ImageLoader.Item bad : listing.errors()) {
            failures++;
            failed(bad.path(), bad.error().getMessage());
        }
        try (Backend b = Backends.open(backend); Session session = Session.open(graph, b);
             ImageLoader loader = new ImageLoader(files, pre.build(resolved.preprocessing()), threads)) {
            boolean softmax = !session.endsInSoftmax(), sigmoid = !session.endsIn("Sigmoid");
            if (multiLabel && !softmax) {
                throw new GapnetException("--multi-label needs independent per-class scores, but this model ends in Softmax,"
                        + " which makes the classes compete (their probabilities sum to 1); leave out --multi-label for top-K");
            }
            Models.noticeIfRandom(resolved);
            boolean labelsChecked = false;
            for (ImageLoader.Item item : loader) {
                Tensor scores = null;
                try {
                    if (item.error() != null) throw item.error();
                    scores = session.run(input.dtype() == DType.FLOAT16 ? item.tensor().asType(DType.FLOAT16) : item.tensor());
                } catch (GapnetException e) {
                    failures++;
                    failed(item.path(), e.getMessage());
                } catch (RuntimeException e) { // a bug with this image: reported alone, the run goes on
                    failures++;
                    failed(item.path(), Main.message(e));
                }
                if (scores != null) {
                    if (!labelsChecked) {
                        names.checkClasses(scores.numel() / Math.max(1, scores.dim(0))); // a mismatch stops the whole run
                        labelsChecked = true;
                    }
                    print(item.path(), multiLabel ? Session.aboveThreshold(scores, 0, threshold, sigmoid)
                            : Session.topK(scores, top, softmax).get(0), names);
                }
                progress.update(++done);
            }
        } finally {
            progress.finish();
        }
        return Main.itemsDone(failures, files.size() + listing.errors().size());
    }

    /** An image that could not be classified: a line on standard error, and an error row in JSON lines and CSV. */
    private void failed(Path image, String message) {
        if (progress != null) progress.clear();
        System.err.println("gapnet: " + image + ": " + message);
        if (format == Format.jsonl) {
            System.out.println(Main.jsonErrorRow(image, message));
        } else if (format == Format.csv) {
            System.out.println(csv(image.toString()) + (multiLabel ? ",,," : ",,,,") + "," + csv(message));
        }
    }

    private void print(Path image, List<Prediction> preds, Labels names) {
        progress.clear();
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
