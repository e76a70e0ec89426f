package io.gapnet.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.Classification;
import io.gapnet.Classifier;
import io.gapnet.GapnetException;
import io.gapnet.Labels;
import io.gapnet.ModelException;
import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.model.Attributes;
import io.gapnet.model.Graph;
import io.gapnet.model.Node;
import io.gapnet.model.ValueInfo;
import io.gapnet.runtime.GapHead;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library API a Java service uses: Preprocessing's builder, Labels and Classifier. */
class ClassifierTest {
    /** x [N,1,H,W] -> 1x1 conv to 2 channels (weights 1 and -1) -> relu -> GAP -> linear [3 classes] (+ optional head). */
    static Graph tiny(String head) {
        List<Node> nodes = new java.util.ArrayList<>(List.of(
                new Node("conv", "Conv", List.of("x", "cw"), List.of("c"), Attributes.none()),
                new Node("relu", "Relu", List.of("c"), List.of("r"), Attributes.none()),
                new Node("gap", "GlobalAveragePool", List.of("r"), List.of("g"), Attributes.none()),
                new Node("flat", "Flatten", List.of("g"), List.of("f"), Attributes.none()),
                new Node("fc", "Gemm", List.of("f", "fw"), List.of(head == null ? "y" : "logits"), new Attributes(Map.of("transB", 1L)))));
        if (head != null) nodes.add(new Node("head", head, List.of("logits"), List.of("y"), Attributes.none()));
        return new Graph("tiny", nodes, Map.of("cw", Tensor.of(new float[] {1, -1}, 2, 1, 1, 1),
                "fw", Tensor.of(new float[] {1, 0, 0, 1, 2, -1}, 3, 2)),
                List.of(new ValueInfo("x", DType.FLOAT32, new long[] {-1, 1, -1, -1}, null)),
                List.of(new ValueInfo("y", DType.FLOAT32, null, null)), 13);
    }

    /** A 4x2 grey image: three pixels at 255 (1.0 after scaling), five at 0. */
    static BufferedImage image() {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setSample(0, 0, 0, 255);
        img.getRaster().setSample(1, 0, 0, 255);
        img.getRaster().setSample(3, 1, 0, 255);
        return img;
    }

    static final Preprocessing GREY = Preprocessing.builder().channels(Preprocessing.Channels.GRAY).build();

    @Test
    void presetsAndTheBuilderDescribeTheSameSteps() {
        Preprocessing built = Preprocessing.builder().resizeShorter(256).centerCrop(224).mean(0.485f, 0.456f, 0.406f)
                .std(0.229f, 0.224f, 0.225f).build();
        assertEquals(Preprocessing.imagenet(), built);
        Preprocessing exact = Preprocessing.imagenet().toBuilder().resize(299, 199).noCrop().build();
        assertEquals(299, exact.width());
        assertEquals(0, exact.resize(), "an exact resize replaces the shorter-side one");
        assertTrue(Preprocessing.rawBgr255().bgr() && Preprocessing.rawBgr255().pixelRange() == 255);
        assertEquals(1, Preprocessing.mnist().channels());
        GapnetException e = assertThrows(GapnetException.class, () -> Preprocessing.builder().resize(10, 0).build());
        assertTrue(e.getMessage().contains("positive width and height"), e.getMessage());
        assertThrows(GapnetException.class, () -> Preprocessing.builder().channels(Preprocessing.Channels.GRAY).mean(1, 2, 3).build());
    }

    @Test
    void anExactResizeIgnoresTheAspectRatio() {
        // 4x2 -> 2x2 exactly (the height stays): the antialiasing triangle filter is 2 input pixels wide per side at
        // scale 2; output x = 0 is centred on input 1.0 and weighs inputs 0, 1, 2 by 0.75, 0.75, 0.25 (over 1.75),
        // output x = 1 weighs inputs 1, 2, 3 by 0.25, 0.75, 0.75. Row 0 is (255, 255, 0, 0), row 1 (0, 0, 0, 255).
        Tensor t = Images.toTensor(Images.planes(image(), "t"), GREY.toBuilder().resize(2, 2).pixelRange(255).build());
        assertArrayEquals(new int[] {1, 1, 2, 2}, t.shape());
        assertArrayEquals(new float[] {1.5f * 255 / 1.75f, 0.25f * 255 / 1.75f, 0, 0.75f * 255 / 1.75f}, t.floats(), 1e-3f);
        // the caffe preset subtracts the BGR mean from raw values: a white pixel's blue is 255 - 103.939
        BufferedImage white = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        white.setRGB(0, 0, 0xffffff);
        Tensor c = Images.toTensor(Images.planes(white, "w"), Preprocessing.caffe().toBuilder().noResize().noCrop().build());
        assertArrayEquals(new float[] {255 - 103.939f, 255 - 116.779f, 255 - 123.68f}, c.floats(), 1e-3f);
    }

    @Test
    void labelsKeepBlankLinePositionsAndMustMatchTheClasses(@TempDir Path dir) throws Exception {
        Labels l = Labels.parse(List.of("cat", "", "n01440764 tench, Tinca tinca", "", ""), "test labels");
        assertEquals(3, l.size(), "trailing blank lines do not count");
        assertEquals("cat", l.name(0));
        assertEquals("1", l.name(1), "a blank line keeps its position and shows the index");
        assertEquals("tench, Tinca tinca", l.name(2));
        Labels indexed = Labels.parse(List.of("2,two", "0,zero"), "indexed");
        assertEquals(3, indexed.size());
        assertEquals("1", indexed.name(1));
        GapnetException twice = assertThrows(GapnetException.class, () -> Labels.parse(List.of("1,a", "1,b"), "dup"));
        assertTrue(twice.getMessage().contains("class 1 is named twice"), twice.getMessage());
        GapnetException mismatch = assertThrows(GapnetException.class, () -> l.checkClasses(1000));
        assertTrue(mismatch.getMessage().contains("names 3 classes but the model has 1000 outputs"), mismatch.getMessage());
        l.checkClasses(3);
        Labels.none().checkClasses(7);
        assertEquals(1000, Labels.imagenet().size());
        assertEquals("tench, Tinca tinca", Labels.imagenet().name(0));
        Files.writeString(dir.resolve("l.txt"), "a\nb\n");
        assertEquals("b", Labels.read(dir.resolve("l.txt")).name(1));
        assertTrue(assertThrows(GapnetException.class, () -> Labels.read(dir.resolve("none.txt"))).getMessage()
                .contains("no such labels file"));
    }

    @Test
    void classifyGivesLabelledProbabilitiesFromPathsImagesAndBytes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("img.png");
        ImageIO.write(image(), "png", file.toFile());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image(), "png", bytes);
        try (Classifier c = Classifier.builder().model(tiny(null)).backend("cpu-ref").preprocessing(GREY)
                .labels(Labels.of(List.of("a", "b", "c"))).top(2).build()) {
            // by hand: conv channels are x and -x; relu; GAP = (3/8, 0); logits = (3/8, 0, 3/4); softmax
            double e0 = Math.exp(0.375), e1 = 1, e2 = Math.exp(0.75), sum = e0 + e1 + e2;
            List<Classification> top = c.classify(file);
            assertEquals(2, top.size());
            assertEquals(new Classification(2, "c", (float) (e2 / sum)).label(), top.get(0).label());
            assertEquals(e2 / sum, top.get(0).probability(), 1e-6);
            assertEquals("a", top.get(1).label());
            assertEquals(e0 / sum, top.get(1).probability(), 1e-6);
            assertEquals(top, c.classify(image()));
            assertEquals(top, c.classify(bytes.toByteArray()));
        }
    }

    @Test
    void aFixedInputSizeIsPreparedWhenTheClassifierIsBuilt() {
        Graph g = tiny(null); // its input is [N, 1, H, W]: nothing to prepare when the Session opens
        Preprocessing fixed = GREY.toBuilder().resize(4, 2).noCrop().build();
        try (CpuBackend cpu = CpuBackend.fast();
             Classifier c = Classifier.builder().model(g).backend(cpu).preprocessing(fixed).build();
             Classifier free = Classifier.builder().model(g).backend(cpu).preprocessing(GREY).build()) {
            assertEquals(1, c.session().cachedPlans(), "the plan for one 4x2 image is made by build()");
            assertEquals(0, free.session().cachedPlans(), "without a fixed size the first image makes it");
            assertEquals(free.classify(image()), c.classify(image()));
            assertEquals(1, c.session().cachedPlans(), "classify used the prepared plan");
        }
    }

    @Test
    void analyzeGivesTheEmbeddingAndTheCamOfOneForwardPass() {
        Graph g = tiny(null);
        try (CpuBackend cpu = new CpuBackend(); Classifier c = Classifier.builder().model(g).backend(cpu).preprocessing(GREY).build()) {
            Classifier.Analysis a = c.analyze(image(), Classifier.Extra.EMBEDDING, Classifier.Extra.CAM);
            assertArrayEquals(new float[] {0.375f, 0}, a.embedding(), 1e-6f);
            assertEquals(2, a.cam().classIndex());
            assertEquals(4, a.cam().width());
            assertEquals(2, a.cam().height());
            // class 2's weights are (2, -1): cam = 2 * relu(x) - 1 * relu(-x) = 2 at the bright pixels
            assertArrayEquals(new float[] {2, 2, 0, 0, 0, 0, 0, 2}, a.cam().values(), 1e-6f);
            assertEquals(1, c.session().cachedPlans(), "one plan served top-K, the embedding and the CAM");
            // the same as the Session's own embed and the head's cam
            Session s = c.session();
            Tensor x = Images.toTensor(Images.planes(image(), "t"), GREY);
            assertArrayEquals(s.embed(x).floats(), a.embedding(), 1e-6f);
            GapHead head = s.head();
            Tensor f = s.run(Map.of("x", x), List.of(head.features()), null).get(head.features());
            assertArrayEquals(head.cam(f, 0, 2), a.cam().values(), 1e-6f);
            // class 2's logit 2 * 0.375 - 1 * 0 = 0.75 is all channel 0's (mean 0.375 of a map whose max is 1)
            GapHead.Explanation e = c.analyze(image(), Classifier.Extra.CHANNELS).channels();
            assertEquals(2, e.classIndex());
            assertEquals(0.75f, e.logit(), 1e-6f);
            assertEquals(new GapHead.Channel(0, 2, 0.375f, 1, 0.75f, 1), e.channels().get(0));
            assertEquals(0, e.channels().get(1).contribution(), 0);
        }
    }

    @Test
    void multiLabelAndLabelMismatchesAreRefusedWithAReason() {
        GapnetException soft = assertThrows(ModelException.class, () -> Classifier.builder().model(tiny("Softmax")).backend("cpu-ref")
                .preprocessing(GREY).multiLabel(0.5f).build());
        assertTrue(soft.getMessage().contains("ends in Softmax"), soft.getMessage());
        try (Classifier c = Classifier.builder().model(tiny("Sigmoid")).backend("cpu-ref").preprocessing(GREY).multiLabel(0.55f)
                .build()) {
            // the model's own sigmoid is not applied twice: sigmoid(3/8) = 0.5927, sigmoid(0) = 0.5, sigmoid(3/4) = 0.6792
            List<Classification> got = c.classify(image());
            assertEquals(2, got.size());
            assertEquals(2, got.get(0).index());
            assertEquals(1 / (1 + Math.exp(-0.75)), got.get(0).probability(), 1e-6);
            assertEquals(0, got.get(1).index());
        }
        // a fixed input size lets the builder check the labels before any image
        GapnetException early = assertThrows(GapnetException.class, () -> Classifier.builder().model(tiny(null)).backend("cpu-ref")
                .preprocessing(GREY.toBuilder().resize(4, 4).build()).labels(Labels.of(List.of("a", "b"))).build());
        assertTrue(early.getMessage().contains("names 2 classes but the model has 3 outputs"), early.getMessage());
        try (Classifier late = Classifier.builder().model(tiny(null)).backend("cpu-ref").preprocessing(GREY)
                .labels(Labels.of(List.of("a", "b"))).build()) {
            assertThrows(GapnetException.class, () -> late.classify(image()));
        }
        assertThrows(GapnetException.class, () -> Classifier.builder().build());
        assertThrows(GapnetException.class, () -> Classifier.builder().top(0));
    }
}
