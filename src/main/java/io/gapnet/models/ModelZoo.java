package io.gapnet.models;

import io.gapnet.Labels;
import io.gapnet.image.Preprocessing;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Trained classifiers from the ONNX model zoo (github.com/onnx/models, Apache-2.0 and the licences its pages name),
 * by name: {@code zoo:resnet50-v1-7}. Each entry carries its URL, the SHA-256 and size the zoo publishes for the
 * file (its Git LFS pointer), the labels and the preprocessing the model was trained with, so that
 * {@code gapnet classify --model zoo:resnet50-v1-7 cat.jpg} needs no other flag.
 */
public final class ModelZoo {
    /** One trained model. */
    public record Entry(String name, String url, String sha256, long bytes, String description, Preprocessing preprocessing,
                        Labels labels) {}

    private static final String BASE = "https://github.com/onnx/models/raw/main/validated/vision/classification/";

    private static final List<Entry> ENTRIES = List.of(
            imagenet("resnet18-v1-7", "resnet/model/resnet18-v1-7.onnx",
                    "4e8f8653e7a2222b3904cc3fe8e304cd8b339ce1d05fd24688162f86fb6df52c", 46820737L, "ResNet-18 v1, ImageNet-1k"),
            imagenet("resnet50-v1-7", "resnet/model/resnet50-v1-7.onnx",
                    "af16a04a6ec48ac494065d4439fe9dea590d337b9ca6dc328160ccf04a217b9c", 102583340L, "ResNet-50 v1, ImageNet-1k"),
            imagenet("resnet50-v2-7", "resnet/model/resnet50-v2-7.onnx",
                    "79102261eb6e5fd7af5d27f41316293e388c5cb691e5d25bfb035c4f64fefe31", 102442452L,
                    "ResNet-50 v2 (pre-activation), ImageNet-1k"),
            imagenet("resnet152-v1-7", "resnet/model/resnet152-v1-7.onnx",
                    "b0ec92437bf8c9d0739bf9bafdea9638e13f9e3c1e2fb766ad546cc182fd3f6d", 241816206L, "ResNet-152 v1, ImageNet-1k"),
            imagenet("squeezenet1.1-7", "squeezenet/model/squeezenet1.1-7.onnx",
                    "1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088", 4956208L,
                    "SqueezeNet 1.1 (a GAP head over per-class maps), ImageNet-1k"),
            imagenet("mobilenetv2-7", "mobilenet/model/mobilenetv2-7.onnx",
                    "c1c513582d56afceff8516c73804e484c81c6a830712ab6d682253f4a3cd042f", 14246826L, "MobileNet V2 1.0, ImageNet-1k"),
            imagenet("densenet-12", "densenet-121/model/densenet-12.onnx",
                    "0294e7e88e5b3360de9b0fdc321baf9e6ef18b7f058c4536caae3b9f18ed9ed5", 32726877L, "DenseNet-121, ImageNet-1k"),
            imagenet("shufflenet-v2-12", "shufflenet/model/shufflenet-v2-12.onnx",
                    "ea69821b4dd374ae2f33f9710dd1229ac263d0ee5b5a46ca3521f6483e1ba035", 9218556L, "ShuffleNet V2, ImageNet-1k"),
            new Entry("mnist-8", BASE + "mnist/model/mnist-8.onnx",
                    "2f06e72de813a8635c9bc0397ac447a601bdbfa7df4bebc278723b958831c9bf", 26454L,
                    "a small MNIST digit CNN (28x28 grey, raw 0..255)", Preprocessing.mnist(),
                    Labels.of(IntStream.range(0, 10).mapToObj(Integer::toString).toList())));

    private ModelZoo() {}

    private static Entry imagenet(String name, String path, String sha, long bytes, String description) {
        return new Entry(name, BASE + path, sha, bytes, description, Preprocessing.imagenet(), null);
    }

    /** Every entry, in a fixed order. */
    public static List<Entry> entries() {
        return ENTRIES;
    }

    /** The entry of {@code name} (without the {@code zoo:} prefix). */
    public static Optional<Entry> find(String name) {
        return ENTRIES.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** The entry of {@code name}, or a {@link io.gapnet.ModelException} that lists the zoo. */
    public static Entry require(String name) {
        return find(name).orElseThrow(() -> new io.gapnet.ModelException("zoo model '" + name + "' is unknown; the zoo has "
                + String.join(", ", ENTRIES.stream().map(Entry::name).toList())));
    }

    /** The entry's labels: ImageNet's 1000 classes unless the entry names its own. */
    public static Labels labels(Entry e) {
        return e.labels() != null ? e.labels() : Labels.imagenet();
    }
}
