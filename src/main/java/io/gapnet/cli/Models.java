package io.gapnet.cli;

import io.gapnet.ModelException;
import io.gapnet.model.Graph;
import io.gapnet.model.zoo.ResNets;
import io.gapnet.onnx.OnnxImporter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resolves a model argument: a built-in name (resnet18 ... resnet152) or an .onnx file. */
final class Models {
    static final String DEFAULT = "resnet18";

    private Models() {}

    static Graph load(String spec, int classes) {
        if (ResNets.isBuiltIn(spec)) return ResNets.build(spec, classes, 0);
        Path p = Path.of(spec);
        if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("model.onnx"))) p = p.resolve("model.onnx");
        if (!Files.exists(p)) {
            throw new ModelException("model '" + spec + "' is neither a built-in model " + ResNets.NAMES
                    + " nor an existing .onnx file");
        }
        return OnnxImporter.load(p);
    }
}
