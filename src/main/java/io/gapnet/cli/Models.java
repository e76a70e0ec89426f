package io.gapnet.cli;

import io.gapnet.Labels;
import io.gapnet.model.Graph;
import io.gapnet.models.ModelCache;
import java.nio.file.Path;

/** Resolves a model argument for the CLI (see {@link io.gapnet.models.Models}), with a download bar on a terminal. */
final class Models {
    static final String DEFAULT = "resnet18";
    static final String MODEL_HELP = "The model: resnet18 ... resnet152 (built in, random weights), an .onnx file or folder,"
            + " an http(s):// URL (downloaded once into $GAPNET_CACHE, default ~/.cache/gapnet), or zoo:NAME (see gapnet"
            + " models) (default: ${DEFAULT-VALUE}).";

    private Models() {}

    /** The graph of a model argument, for commands whose output is not an answer (bench, info, parity). */
    static Graph load(String spec) {
        return resolve(spec, null).graph();
    }

    /** Resolves a model argument (a download shows a progress bar on a terminal). */
    static io.gapnet.models.Models.Resolved resolve(String spec, String sha256) {
        Progress[] bar = new Progress[1];
        ModelCache.Listener listener = (done, total) -> {
            if (bar[0] == null) bar[0] = Progress.download(total, false);
            bar[0].update(done);
        };
        io.gapnet.models.Models.Resolved r;
        try {
            r = io.gapnet.models.Models.resolve(spec, sha256, listener);
        } finally {
            if (bar[0] != null) bar[0].finish();
        }
        return r;
    }

    /**
     * For commands that print answers, once their arguments have passed (so that a mistake still gets one line): a
     * built-in model's notice that its weights are random.
     */
    static void noticeIfRandom(io.gapnet.models.Models.Resolved r) {
        if (r.randomWeights()) System.err.println("gapnet: note: " + io.gapnet.models.Models.RANDOM_WEIGHTS_NOTICE);
    }

    /** The labels: the file given, else the model's own (a zoo model's), else none. */
    static Labels labels(Path file, io.gapnet.models.Models.Resolved model) {
        if (file != null) return Labels.read(file);
        return model.labels() != null ? model.labels() : Labels.none();
    }
}
