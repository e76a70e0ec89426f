package io.gapnet.cli;

import io.gapnet.GapnetException;
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

@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Write a class activation map: which regions drove the prediction, from the last feature maps",
            "and the linear layer after GAP, as a heatmap over the image (PNG)."})
final class ExplainCommand implements Callable<Integer> {
    @Option(names = "--model", description = "a model ending in GAP and a linear layer (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "backend (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--class", description = "class index to explain (default: the top class)")
    Integer classIndex;

    @Option(names = "--labels", description = "labels file")
    Path labels;

    @Option(names = {"-o", "--output"}, description = "PNG to write (default: IMAGE.cam.png)")
    Path output;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(index = "0", paramLabel = "IMAGE")
    Path image;

    @Override
    public Integer call() throws IOException {
        Preprocessing p = pre.build();
        Path dst = output != null ? output : Path.of(image + ".cam.png");
        Main.checkWritable(dst, "-o");
        Labels names = labels == null ? Labels.none() : Labels.read(labels);
        try (Backend b = Backends.open(backend); Session s = Session.open(Models.load(model, 1000), b)) {
            GapHead head = s.head();
            Images.Planes decoded = Images.decode(image);
            Tensor x = Images.toTensor(decoded, p);
            Map<String, Tensor> out = s.run(Map.of(s.singleInputName(), x), List.of(head.features()), null);
            Tensor logits = out.values().iterator().next();
            List<Prediction> top = Session.topK(logits, 1, !s.endsInSoftmax()).get(0);
            int cls = classIndex != null ? classIndex : top.get(0).index();
            int classes = logits.numel() / logits.dim(0);
            if (cls < 0 || cls >= classes) throw new GapnetException("--class " + cls + " is not in 0.." + (classes - 1));
            Tensor features = out.get(head.features());
            float[] cam = head.cam(features, 0, cls);
            Images.Planes rgb = Images.resizeAndCrop(decoded, new Preprocessing(p.resize(), p.crop(), 255,
                    new float[] {0}, new float[] {1}, false, false));
            ImageIO.write(Heatmap.overlay(rgb, cam, features.dim(3), features.dim(2), 0.5f), "png", dst.toFile());
            System.out.printf(Locale.ROOT, "%s: class %d (%s), score %.4f; heatmap of %dx%d feature maps written to %s%n",
                    image, cls, names.name(cls), logits.floats()[cls], features.dim(3), features.dim(2), dst);
        }
        return 0;
    }
}
