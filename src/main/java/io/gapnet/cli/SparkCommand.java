package io.gapnet.cli;

import io.gapnet.GapnetException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "spark", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify or embed image files as an Apache Spark job: an embedded local Spark by default (--master"
            + " local[*]), or a cluster with --master. Needs Spark 4 on the class path: scripts/gapnet-spark provides it,"
            + " and spark-submit on a cluster (see the README).",
        footer = {"", "Examples:",
            "  gapnet spark classify --master 'local[2]' --model zoo:resnet50-v1-7 --format json --output out/ photos/",
            "  gapnet spark embed --model model.onnx --format parquet --output embeddings/ hdfs:///images/"})
final class SparkCommand implements Callable<Integer> {
    enum Kind { classify, embed }

    @Parameters(index = "0", paramLabel = "classify|embed", description = "What to compute: the top classes or the embedding.")
    Kind kind;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "INPUT", description = "Image files or folders (walked"
            + " recursively), local paths or Hadoop file system URIs.")
    List<String> inputs;

    @Option(names = "--master", description = "The Spark master: local[N], local[*], yarn, spark://HOST:PORT (default:"
            + " local[*], or spark-submit's own).")
    String master;

    @Option(names = "--model", required = true, description = "The model: an .onnx file every executor can read, an"
            + " http(s):// URL or zoo:NAME (downloaded once per machine), or a built-in name (random weights).")
    String model;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The SHA-256 a downloaded model must have (default: none).")
    String sha256;

    @Option(names = "--labels", paramLabel = "FILE", description = "A labels file, read on the driver (default: a zoo"
            + " model's own, else class numbers).")
    Path labels;

    @Option(names = "--backend", description = "The backend: cpu, cpu-ref, opencl, cuda, or auto (cuda on the GPU Spark"
            + " assigns a task, else cpu) (default: ${DEFAULT-VALUE}).")
    String backend = "cpu";

    @Option(names = "--batch-size", paramLabel = "N", description = "Images per batch within a partition (default:"
            + " ${DEFAULT-VALUE}).")
    int batchSize = 16;

    @Option(names = "--top", paramLabel = "K", description = "Classes per image (default: ${DEFAULT-VALUE}).")
    int top = 5;

    @Option(names = "--format", description = "The output format: parquet, json or csv (default: ${DEFAULT-VALUE}).")
    String format = "parquet";

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "The folder to write; it must not exist.")
    String output;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Override
    public Integer call() {
        if (batchSize < 1) throw new GapnetException("--batch-size must be at least 1, not " + batchSize);
        if (top < 1) throw new GapnetException("--top must be at least 1, not " + top);
        String runOn = master != null ? master : System.getProperty("spark.master") == null ? "local[*]" : null;
        // the model's own preprocessing (a zoo model's) is chosen on the executors when no option says otherwise
        io.gapnet.image.Preprocessing p = pre.isDefault() ? null : pre.build(null);
        Object summary;
        try {
            summary = SparkLauncher.run(kind == Kind.embed, runOn, model, sha256, labels == null ? null : labels.toString(), backend,
                    batchSize, top, p, format, output, inputs);
        } catch (NoClassDefFoundError e) {
            throw new GapnetException("Apache Spark is not on the class path (" + e.getMessage() + "); run this through"
                    + " scripts/gapnet-spark, or spark-submit on a cluster");
        }
        System.out.println(summary);
        return 0;
    }

    /** The only class here that names Spark's: loaded when a job runs, so that the CLI works without Spark. */
    static final class SparkLauncher {
        private SparkLauncher() {}

        static String run(boolean embed, String master, String model, String sha256, String labels, String backend, int batchSize,
                          int top, io.gapnet.image.Preprocessing p, String format, String output, List<String> inputs) {
            io.gapnet.spark.SparkJobs.Summary s = io.gapnet.spark.SparkJobs.run(new io.gapnet.spark.SparkJobs.Job(embed, master,
                    model, sha256, labels, backend, batchSize, top, p, format, output, inputs));
            return String.format(Locale.ROOT, "gapnet: %d images (%d failed) in %.1f s, %.1f images/s; inference %.1f s;"
                    + " written to %s", s.images(), s.failures(), s.wallSeconds(), s.images() / Math.max(1e-9, s.wallSeconds()),
                    s.inferenceSeconds(), output);
        }
    }
}
