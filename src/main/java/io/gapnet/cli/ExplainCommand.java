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
            + "and the linear layer after GAP (or, for a head with one map per class such as SqueezeNet's, that class's "
            + "map), as a heatmap over the image (PNG).",
        footer = {"", "Examples:",
            "  gapnet explain --model zoo:resnet50-v1-7 cat.jpg            (writes cat.jpg.cam.png here)",
            "  gapnet explain --model model.onnx --class 281 -o cam.png cat.jpg",
            "  gapnet explain --channels 5 --channel-maps top5.png cat.jpg   (the five channels behind the top class)"})
final class ExplainCommand implements Callable<Integer> {
    @Option(names = "--model", description = Models.MODEL_HELP + " It must end in GAP and a linear layer, or in GAP of one"
            + " map per class.")
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

    @Option(names = "--channels", paramLabel = "K", description = "Also print the K channels of the GAP vector that raised"
            + " the class's logit most: weight W[c,k], the channel's mean (its GAP value) and max, its contribution W[c,k] *"
            + " mean and its share of the logit; the rest and the bias are summed on the last line, so that the lines add up"
            + " to the logit (default: none).")
    Integer channels;

    @Option(names = "--channel-maps", paramLabel = "FILE", description = "With --channels: write those channels' feature"
            + " maps over the image as one contact sheet (PNG), strongest first.")
    Path channelMaps;

    @Option(names = "--alpha", paramLabel = "A", description = "Weight of the heatmap over the image, 0 to 1 (default:"
            + " ${DEFAULT-VALUE}).")
    float alpha = 0.5f;

    @Option(names = "--colormap", paramLabel = "NAME", description = "The heatmap's palette: jet, hot, viridis or gray"
            + " (default: ${DEFAULT-VALUE}).")
    Heatmap.Colormap colormap = Heatmap.Colormap.JET;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(index = "0", paramLabel = "IMAGE", description = "The image to explain.")
    Path image;

    @Override
    public Integer call() throws IOException {
        // the current folder, never the input's: that may be read-only, shared, or someone else's
        Path dst = output != null ? output : Path.of(image.getFileName() + ".cam.png");
        Main.checkWritable(dst, "-o");
        if (channels != null && channels < 1) throw new GapnetException("--channels must be at least 1 but is " + channels);
        if (channelMaps != null && channels == null) throw new GapnetException("--channel-maps needs --channels K (which channels)");
        if (channelMaps != null) Main.checkWritable(channelMaps, "--channel-maps");
        if (!(alpha >= 0 && alpha <= 1)) throw new GapnetException("--alpha must be between 0 and 1 but is " + alpha);
        io.gapnet.models.Models.Resolved resolved = Models.resolve(model, sha256);
        Preprocessing p = pre.build(resolved.preprocessing());
        Labels names = Models.labels(labels, resolved);
        try (Backend b = Backends.open(backend); Session s = Session.open(resolved.graph(), b)) {
            GapHead head = s.head();
            if (channels != null) head.requireChannels();
            Images.Planes decoded = Images.decode(image);
            Tensor x = Images.toTensor(decoded, p);
            List<String> extra = channels == null ? List.of(head.features()) : List.of(head.features(), head.pooled());
            Map<String, Tensor> out = s.run(Map.of(s.singleInputName(), x), extra, null);
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
            float score = logits.floats()[cls];
            float probability = probabilities ? score : Session.topK(logits, classes, true).get(0).stream()
                    .filter(q -> q.index() == cls).findFirst().orElseThrow().probability();
            String caption = String.format(Locale.ROOT, "class %d (%s), probability %.4f%s", cls, names.name(cls), probability,
                    head.kind() == GapHead.Kind.CLASS_MAPS ? ", the class's own map" : "");
            ImageIO.write(Heatmap.explained(decoded, Images.cropWindow(decoded.width(), decoded.height(), p), cam, features.dim(3),
                    features.dim(2), alpha, colormap, caption), "png", dst.toFile());
            Models.noticeIfRandom(resolved);
            System.out.printf(Locale.ROOT, "%s: class %d (%s), %s %.4f%s; heatmap of %dx%d feature maps written to %s%n", image,
                    cls, names.name(cls), probabilities ? "probability" : "logit", score,
                    probabilities ? "" : String.format(Locale.ROOT, " (softmax probability %.4f)", probability),
                    features.dim(3), features.dim(2), dst);
            if (head.kind() == GapHead.Kind.MLP) {
                System.out.println("note: the head after GAP is not linear (linear, " + head.hidden().act() + ", linear): the map and"
                        + " the channels use it linearised at this image, each hidden unit as the slope act(h)/h, exact for this"
                        + " image only");
            }
            if (channels != null) {
                GapHead.Explanation e = head.explain(out.get(head.pooled()), features, 0, cls);
                printChannels(e, channels, probabilities || s.endsIn("Sigmoid") ? null : score);
                if (channelMaps != null) {
                    List<GapHead.Channel> top3 = e.top(channels);
                    ImageIO.write(Heatmap.contactSheet(rgb, features, top3.stream().map(GapHead.Channel::channel).toList(),
                            top3.stream().map(c -> String.format(Locale.ROOT, "ch %d %+.3f", c.channel(), c.contribution())).toList(),
                            alpha, colormap), "png", channelMaps.toFile());
                    System.out.printf(Locale.ROOT, "maps of those %d channels written to %s%n", top3.size(), channelMaps);
                }
            }
        }
        return 0;
    }

    /**
     * The top channels, then the sum of the others and the bias on one line: together they add up to the logit,
     * which is the model's own output when it ends in raw logits ({@code modelLogit}), else the sum itself.
     */
    static void printChannels(GapHead.Explanation e, int k, Float modelLogit) {
        List<GapHead.Channel> top = e.top(k);
        float logit = modelLogit != null ? modelLogit : e.logit();
        System.out.printf(Locale.ROOT, "logit %.6f of class %d%s = the contributions of %d GAP channels + bias %.6f; the %d"
                + " largest:%n", logit, e.classIndex(), modelLogit != null ? "" : " (from the GAP vector: the model outputs"
                + " probabilities)", e.channels().size(), e.bias(), top.size());
        System.out.printf(Locale.ROOT, "%6s %8s %12s %12s %12s %14s %8s%n", "rank", "channel", "weight", "mean", "max",
                "contribution", "share");
        for (int i = 0; i < top.size(); i++) {
            GapHead.Channel c = top.get(i);
            System.out.printf(Locale.ROOT, "%6d %8d %12.6f %12.6f %12.6f %14.6f %7.1f%%%n", i + 1, c.channel(), c.weight(),
                    c.mean(), c.max(), c.contribution(), 100 * c.share());
        }
        double rest = 0;
        for (GapHead.Channel c : e.channels().subList(top.size(), e.channels().size())) rest += c.contribution();
        System.out.printf(Locale.ROOT, "the other %d channels: %.6f (%.1f%%); bias: %.6f (%.1f%%)%n", e.channels().size()
                - top.size(), rest, 100 * rest / e.logit(), e.bias(), 100 * e.bias() / e.logit());
    }
}
