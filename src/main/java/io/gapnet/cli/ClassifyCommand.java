package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Classify PNG and JPEG images (files or folders) and print the top-K labels.")
final class ClassifyCommand implements Callable<Integer> {
    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "backend (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--labels", description = "labels file: one per line, index,label or 'synset label'")
    Path labels;

    @Option(names = "--top", description = "how many classes to print (default: ${DEFAULT-VALUE})")
    int top = 5;

    @Option(names = "--resize", description = "shorter side after resizing (default: ${DEFAULT-VALUE})")
    int resize = 256;

    @Option(names = "--crop", description = "centre crop size (default: ${DEFAULT-VALUE})")
    int crop = 224;

    @Option(names = "--pixel-range", description = "1: scale pixels to 0..1; 255: keep 0..255 (default: ${DEFAULT-VALUE})")
    int pixelRange = 1;

    @Option(names = "--mean", split = ",", description = "per-channel mean (default: 0.485,0.456,0.406)")
    float[] mean = {0.485f, 0.456f, 0.406f};

    @Option(names = "--std", split = ",", description = "per-channel std (default: 0.229,0.224,0.225)")
    float[] std = {0.229f, 0.224f, 0.225f};

    @Option(names = "--bgr", description = "feed channels in B,G,R order")
    boolean bgr;

    @Option(names = "--grayscale", description = "feed one luma channel")
    boolean grayscale;

    @Option(names = "--json", description = "print one JSON object per image")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR")
    List<Path> paths;

    @Override
    public Integer call() {
        if (pixelRange != 1 && pixelRange != 255) throw new GapnetException("--pixel-range must be 1 or 255");
        int channels = grayscale ? 1 : 3;
        if ((mean.length != 1 && mean.length != channels) || (std.length != 1 && std.length != channels)) {
            throw new GapnetException("--mean and --std need 1 or " + channels + " values");
        }
        Preprocessing pre = new Preprocessing(resize, crop, pixelRange, mean, std, bgr, grayscale);
        Labels names = labels == null ? Labels.none() : Labels.read(labels);
        Graph graph = Models.load(model, 1000);
        ValueInfo input = graph.inputs().size() == 1 ? graph.inputs().get(0) : null;
        if (input == null) throw new GapnetException("classify needs a model with exactly one input");
        int failures = 0;
        try (Backend b = Backends.open(backend); Session session = Session.open(graph, b)) {
            for (Path image : images()) {
                try {
                    Tensor x = Images.load(image, pre);
                    if (input.dtype() == DType.FLOAT16) x = x.asType(DType.FLOAT16);
                    List<Prediction> preds = session.topK(x, top).get(0);
                    print(image, preds, names);
                } catch (GapnetException e) {
                    failures++;
                    System.err.println("gapnet: " + image + ": " + e.getMessage());
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }

    private List<Path> images() {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile).filter(f -> {
                        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
                    }).sorted().forEach(out::add);
                } catch (IOException e) {
                    throw new GapnetException("cannot list " + p + ": " + e.getMessage(), e);
                }
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private void print(Path image, List<Prediction> preds, Labels names) {
        if (json) {
            StringBuilder sb = new StringBuilder("{\"image\":").append(Json.quote(image.toString())).append(",\"top\":[");
            for (int i = 0; i < preds.size(); i++) {
                Prediction p = preds.get(i);
                sb.append(i > 0 ? "," : "").append("{\"index\":").append(p.index()).append(",\"label\":")
                        .append(Json.quote(names.name(p.index()))).append(",\"probability\":").append(p.probability()).append('}');
            }
            System.out.println(sb.append("]}"));
            return;
        }
        System.out.println(image + ":");
        for (Prediction p : preds) {
            System.out.printf(Locale.ROOT, "  %-30s %.4f  (class %d)%n", names.name(p.index()), p.probability(), p.index());
        }
    }
}
