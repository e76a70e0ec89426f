package io.gapnet;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.models.ModelCache;
import io.gapnet.models.Models;
import io.gapnet.runtime.GapHead;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An image classifier: a {@link Session} with the preprocessing and labels its model needs, answering with labelled
 * probabilities. Safe to share across threads; {@link #close()} frees the Session (and the backend when the
 * classifier opened it).
 *
 * <pre>{@code
 * try (Classifier classifier = Classifier.builder().model("zoo:resnet50-v1-7").build()) {
 *     for (Classification c : classifier.classify(Path.of("cat.jpg"))) {
 *         System.out.println(c.label() + " " + c.probability());
 *     }
 * }
 * }</pre>
 *
 * {@link #analyze} gives the top classes, the embedding (the GAP vector) and a class activation map from one forward
 * pass.
 */
public final class Classifier implements AutoCloseable {
    /** What {@link #analyze} computes besides the top classes, in the same forward pass. */
    public enum Extra {
        /** The GAP vector that feeds the linear head (for search and transfer learning). */
        EMBEDDING,
        /** The class activation map of the top class. */
        CAM,
        /** The top class's logit taken apart over the GAP channels ({@link GapHead.Explanation}). */
        CHANNELS
    }

    /**
     * A class activation map: {@code cam(y, x) = sum_k W[c, k] F[k, y, x]} over the last feature maps, at their
     * resolution (row-major, {@code height} rows of {@code width}).
     *
     * @param classIndex the class it explains
     * @param width the feature maps' width
     * @param height the feature maps' height
     * @param values the map, {@code width * height} values
     */
    public record ClassMap(int classIndex, int width, int height, float[] values) {}

    /**
     * What {@link #analyze} returns.
     *
     * @param top the top classes, most probable first
     * @param embedding the GAP vector, or null when not asked for
     * @param cam the top class's activation map, or null when not asked for
     * @param channels the top class's logit channel by channel (every channel, largest contribution first), or null
     *                 when not asked for
     */
    public record Analysis(List<Classification> top, float[] embedding, ClassMap cam, GapHead.Explanation channels) {}

    private final Session session;
    private final Backend ownedBackend;
    private final Preprocessing preprocessing;
    private final Labels labels;
    private final int top;
    private final Float threshold;
    private final boolean probabilities;
    private final String input;
    private final DType inputType;
    private volatile boolean labelsChecked;

    private Classifier(Session session, Backend ownedBackend, Preprocessing preprocessing, Labels labels, int top, Float threshold) {
        this.session = session;
        this.ownedBackend = ownedBackend;
        this.preprocessing = preprocessing;
        this.labels = labels;
        this.top = top;
        this.threshold = threshold;
        this.input = session.singleInputName();
        ValueInfo in = session.graph().inputs().get(0);
        this.inputType = in.dtype() == DType.FLOAT16 ? DType.FLOAT16 : DType.FLOAT32;
        boolean softmax = session.endsInSoftmax(), sigmoid = session.endsIn("Sigmoid");
        if (threshold != null && softmax) {
            throw new ModelException("multi-label classification needs independent per-class scores, but this model ends in"
                    + " Softmax, which makes the classes compete (their probabilities sum to 1); use top-K instead, or a model"
                    + " whose head ends in Sigmoid or in raw logits");
        }
        this.probabilities = threshold != null ? sigmoid : softmax;
    }

    /** A builder; {@link Builder#model} is the only required setting. */
    public static Builder builder() {
        return new Builder();
    }

    /** The top classes of an image file (PNG or JPEG, EXIF orientation applied). */
    public List<Classification> classify(Path image) {
        return analyze(image).top();
    }

    /** The top classes of an image already decoded. */
    public List<Classification> classify(BufferedImage image) {
        return analyze(image).top();
    }

    /** The top classes of an encoded image (PNG or JPEG bytes). */
    public List<Classification> classify(byte[] image) {
        return analyze(image).top();
    }

    /** The top classes and the extras asked for, from one forward pass. */
    public Analysis analyze(Path image, Extra... extras) {
        return analyze(Images.decode(Objects.requireNonNull(image, "image")), extras);
    }

    /** The top classes and the extras asked for, from one forward pass. */
    public Analysis analyze(BufferedImage image, Extra... extras) {
        return analyze(Images.planes(image, "the BufferedImage"), extras);
    }

    /** The top classes and the extras asked for, from one forward pass. */
    public Analysis analyze(byte[] image, Extra... extras) {
        return analyze(Images.decode(Objects.requireNonNull(image, "image"), "the image bytes"), extras);
    }

    private Analysis analyze(Images.Planes decoded, Extra... extras) {
        Set<Extra> want = extras.length == 0 ? EnumSet.noneOf(Extra.class) : EnumSet.of(extras[0], extras);
        Tensor x = Images.toTensor(decoded, preprocessing);
        if (inputType == DType.FLOAT16) x = x.asType(DType.FLOAT16);
        GapHead head = want.isEmpty() ? null : session.head();
        List<String> extraValues = new ArrayList<>();
        if (want.contains(Extra.EMBEDDING) || want.contains(Extra.CHANNELS)) extraValues.add(head.pooled());
        if (want.contains(Extra.CAM) || want.contains(Extra.CHANNELS)) extraValues.add(head.features());
        Map<String, Tensor> out = session.run(Map.of(input, x), extraValues, null);
        Tensor scores = out.get(session.graph().outputs().get(0).name());
        checkLabels(scores.numel() / Math.max(1, scores.dim(0)));
        List<Prediction> preds = threshold != null ? Session.aboveThreshold(scores, 0, threshold, !probabilities)
                : Session.topK(scores, top, !probabilities).get(0);
        List<Classification> result = new ArrayList<>(preds.size());
        for (Prediction p : preds) result.add(new Classification(p.index(), labels.name(p.index()), p.probability()));
        float[] embedding = want.contains(Extra.EMBEDDING) ? out.get(head.pooled()).toFloats() : null;
        ClassMap cam = null;
        GapHead.Explanation channels = null;
        if (want.contains(Extra.CAM) || want.contains(Extra.CHANNELS)) {
            Tensor f = out.get(head.features());
            int cls = !preds.isEmpty() ? preds.get(0).index() : Session.topK(scores, 1, true).get(0).get(0).index();
            if (want.contains(Extra.CAM)) cam = new ClassMap(cls, f.dim(3), f.dim(2), head.cam(f, 0, cls));
            if (want.contains(Extra.CHANNELS)) channels = head.explain(out.get(head.pooled()), f, 0, cls);
        }
        return new Analysis(List.copyOf(result), embedding, cam, channels);
    }

    private void checkLabels(int classes) {
        if (labelsChecked) return;
        labels.checkClasses(classes);
        labelsChecked = true;
    }

    /** The Session underneath (for batches, raw tensors or per-layer work). */
    public Session session() {
        return session;
    }

    /** The preprocessing applied to every image. */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The class labels. */
    public Labels labels() {
        return labels;
    }

    @Override
    public void close() {
        session.close();
        if (ownedBackend != null) ownedBackend.close();
    }

    @Override
    public String toString() {
        return "Classifier(" + session + ", " + preprocessing + ", " + labels + ")";
    }

    /** Builds a {@link Classifier}. */
    public static final class Builder {
        private String spec;
        private Graph graph;
        private String sha256;
        private ModelCache cache;
        private String backendName = "cpu";
        private Backend backend;
        private Preprocessing preprocessing;
        private Labels labels;
        private int top = 5;
        private Float threshold;

        private Builder() {}

        /**
         * The model: a built-in name ({@code resnet18}...; random weights), an .onnx file or folder, an {@code
         * http(s)://} URL (downloaded once into the model cache) or {@code zoo:NAME}, which also brings its preprocessing
         * and labels.
         */
        public Builder model(String spec) {
            this.spec = Objects.requireNonNull(spec, "spec");
            this.graph = null;
            return this;
        }

        /** The model as an ONNX file. */
        public Builder model(Path onnxFile) {
            return model(onnxFile.toString());
        }

        /** The model as a graph already loaded or built. */
        public Builder model(Graph graph) {
            this.graph = Objects.requireNonNull(graph, "graph");
            this.spec = null;
            return this;
        }

        /** The SHA-256 a downloaded model must have. */
        public Builder sha256(String sha256) {
            this.sha256 = sha256;
            return this;
        }

        /** Where downloaded models are kept (default: {@link ModelCache#defaultCache()}). */
        public Builder cache(ModelCache cache) {
            this.cache = cache;
            return this;
        }

        /** The backend by name ({@code cpu}, {@code cpu-ref}, {@code opencl}, {@code cuda}...); the classifier owns it. */
        public Builder backend(String name) {
            this.backendName = Objects.requireNonNull(name, "name");
            this.backend = null;
            return this;
        }

        /** A backend the caller owns and closes (shared by several classifiers, say). */
        public Builder backend(Backend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** The preprocessing (default: the zoo model's own, else {@link Preprocessing#imagenet()}). */
        public Builder preprocessing(Preprocessing p) {
            this.preprocessing = Objects.requireNonNull(p, "preprocessing");
            return this;
        }

        /** The labels (default: the zoo model's own, else none: classes are shown by index). */
        public Builder labels(Labels labels) {
            this.labels = Objects.requireNonNull(labels, "labels");
            return this;
        }

        /** How many classes {@link #classify} returns (default 5). */
        public Builder top(int k) {
            if (k < 1) throw new GapnetException("top must be at least 1, not " + k);
            this.top = k;
            return this;
        }

        /**
         * Multi-label answers: a sigmoid per class and every class whose probability reaches {@code threshold}, instead
         * of the softmax top-K. Refused for models that end in Softmax.
         */
        public Builder multiLabel(float threshold) {
            if (!(threshold >= 0 && threshold <= 1)) throw new GapnetException("the threshold must be in 0..1, not " + threshold);
            this.threshold = threshold;
            return this;
        }

        /** Loads the model, opens the backend and the Session, and checks the labels against the model's classes. */
        public Classifier build() {
            if (spec == null && graph == null) throw new GapnetException("no model: call model(...) before build()");
            Models.Resolved resolved = graph != null ? new Models.Resolved(graph, graph.name(), null, null, false)
                    : Models.resolve(spec, sha256, cache != null ? cache : ModelCache.defaultCache(), ModelCache.Listener.NONE);
            if (resolved.randomWeights()) {
                System.getLogger("io.gapnet").log(System.Logger.Level.INFO, "gapnet: " + Models.RANDOM_WEIGHTS_NOTICE);
            }
            Preprocessing p = preprocessing != null ? preprocessing
                    : resolved.preprocessing() != null ? resolved.preprocessing() : Preprocessing.imagenet();
            Labels l = labels != null ? labels : resolved.labels() != null ? resolved.labels() : Labels.none();
            Backend owned = backend == null ? Backends.open(backendName) : null;
            Session s = null;
            try {
                s = Session.open(resolved.graph(), backend != null ? backend : owned);
                Classifier c = new Classifier(s, owned, p, l, top, threshold);
                c.prepareEarly(); // before the label check, which then finds the plan instead of compiling it again
                c.checkLabelsEarly();
                return c;
            } catch (RuntimeException e) {
                if (s != null) s.close();
                if (owned != null) owned.close();
                throw e;
            }
        }
    }

    /**
     * With a fixed input size, the plan for one image and the packed weights are made now rather than at the first
     * image (a model with fixed input shapes was prepared when its Session opened; this covers dynamic ones).
     */
    private void prepareEarly() {
        int[] shape = preprocessing.inputShape();
        if (shape == null) return;
        try {
            session.prepare(java.util.Map.of(session.singleInputName(), shape));
        } catch (RuntimeException e) {
            // the model wants another input shape or several inputs, or memory is short: the first image says so
        }
    }

    /** With a fixed input size (a crop or an exact resize) the number of classes is known before any image. */
    private void checkLabelsEarly() {
        int[] shape = preprocessing.inputShape();
        if (shape == null || labels.size() == 0) return;
        int classes;
        try {
            classes = session.classes(shape);
        } catch (RuntimeException e) {
            return; // the model wants another input shape: the first image will say so, and the labels are checked then
        }
        checkLabels(classes);
    }
}
