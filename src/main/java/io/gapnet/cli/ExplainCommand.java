package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.Labels;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.Heatmap;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.GapHead;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a class activation map: which regions drove the prediction, from the last feature maps "
            + "and the linear layer after GAP, as a heatmap over the image (PNG).",
        footer = {"", "Examples:",
            "  gapnet explain --model zoo:resnet50-v1-7 cat.jpg            (writes cat.jpg.cam.png here)",
            "  gapnet explain --model model.onnx --class 281 -o cam.png cat.jpg"})
final class ExplainCommand implements Callable<Integer> {
    @Option(names = "--model", description = Models.MODEL_HELP + " It must end in GAP and a linear layer.")
    String model = Models.DEFAULT;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The SHA-256 a downloaded model must have (default: none).")
    String sha256;

    @Option(names = "--backend", description = "The backend: cpu, cpu-ref, opencl or cuda (default: ${DEFAULT-VALUE}).")
    String backend = "cpu";

    @Option(names = "--class", paramLabel = "INDEX", description = "The class index to explain (default: the top class).")
    Integer classIndex;

    @Option(names = "--labels", paramLabel = "FILE", description = "A labels file (default: a zoo model's own, else class"
            + " numbers).")
    Path labels;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The PNG to write (default: NAME.cam.png in the"
            + " current folder, NAME being the image's file name).")
    Path output;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to explain.")
    Path image;

    @Override
    public Integer call() throws IOException {
        // the current folder, never the input's: that may be read-only, shared, or someone else's
        Path dst = output != null ? output : Path.of(image.getFileName() + ".cam.png");
        Main.checkWritable(dst, "-o");
        io.gapnet.models.Models.Resolved resolved = Models.resolve(model, sha256);
        Preprocessing p = pre.build(resolved.preprocessing());
        Labels names = Models.labels(labels, resolved);
        try (Backend b = Backends.open(backend); Session s = Session.open(resolved.graph(), b)) {
            GapHead head = s.head();
            Images.Planes decoded = Images.decode(image);
            Tensor x = Images.toTensor(decoded, p);
            Map<String, Tensor> out = s.run(Map.of(s.singleInputName(), x), List.of(head.features()), null);
            Tensor logits = out.get(s.graph().outputs().get(0).name());
            boolean probabilities = s.endsInSoftmax();
            List<Prediction> top = Session.topK(logits, 1, !probabilities).get(0);
            int cls = classIndex != null ? classIndex : top.get(0).index();
            int classes = logits.numel() / logits.dim(0);
            names.checkClasses(classes);
            if (cls < 0 || cls >= classes) throw new GapnetException("--class " + cls + " is not in 0.." + (classes - 1));
            Tensor features = out.get(head.features());
            float[] cam = head.cam(features, 0, cls);
            Images.Planes rgb = Images.resizeAndCrop(decoded, p.toBuilder().pixelRange(255).mean(0).std(1)
                    .channels(Preprocessing.Channels.RGB).build());
            ImageIO.write(Heatmap.overlay(rgb, cam, features.dim(3), features.dim(2), 0.5f), "png", dst.toFile());
            Models.noticeIfRandom(resolved);
            float score = logits.floats()[cls];
            System.out.printf(Locale.ROOT, "%s: class %d (%s), %s %.4f%s; heatmap of %dx%d feature maps written to %s%n", image,
                    cls, names.name(cls), probabilities ? "probability" : "logit", score,
                    probabilities ? "" : String.format(Locale.ROOT, " (softmax probability %.4f)", Session.topK(logits,
                            classes, true).get(0).stream().filter(q -> q.index() == cls).findFirst().orElseThrow().probability()),
                    features.dim(3), features.dim(2), dst);
        }
        return 0;
    }
}
