package io.gapnet.spark;

import io.gapnet.GapnetException;
import io.gapnet.image.Preprocessing;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/** The {@code gapnet spark classify|embed} job: read image files, run a transformer, write the answers. */
public final class SparkJobs {
    private SparkJobs() {}

    /**
     * What the job should do.
     *
     * @param embed embeddings instead of classes
     * @param master the Spark master ({@code local[*]}, {@code yarn}, {@code spark://...}), or null to take it from
     *     spark-submit
     * @param model the model argument
     * @param sha256 the SHA-256 a downloaded model must have, or null
     * @param labels a labels file, or null
     * @param backend the backend
     * @param batchSize images per batch within a partition
     * @param top classes per image
     * @param preprocessing the preprocessing, or null for the model's own
     * @param format parquet, json or csv
     * @param output the folder to write
     * @param inputs image files or folders (local paths or any Hadoop file system URI)
     */
    public record Job(boolean embed, String master, String model, String sha256, String labels, String backend, int batchSize,
                      int top, Preprocessing preprocessing, String format, String output, List<String> inputs) {}

    /** What a finished job reports. */
    public record Summary(long images, long failures, double inferenceSeconds, double wallSeconds) {}

    /**
     * Runs the job and returns its accumulators: on the Spark session already running in this JVM if there is one, else
     * on a session of its own, stopped at the end.
     */
    public static Summary run(Job job) {
        String format = job.format().toLowerCase(Locale.ROOT);
        if (!List.of("parquet", "json", "csv").contains(format)) {
            throw new GapnetException("--format " + job.format() + " is not one of parquet, json, csv");
        }
        // a session already running in this JVM (a notebook's, a test suite's) is used and left running
        SparkSession running = SparkSession.getActiveSession().isDefined() ? SparkSession.getActiveSession().get()
                : SparkSession.getDefaultSession().isDefined() ? SparkSession.getDefaultSession().get() : null;
        SparkSession spark = running;
        if (spark == null) {
            SparkSession.Builder b = SparkSession.builder().appName("gapnet " + (job.embed() ? "embed" : "classify"));
            if (job.master() != null) b.master(job.master());
            spark = b.getOrCreate();
        }
        try {
            // refused before any work rather than after the whole job, when Spark would refuse to write
            org.apache.hadoop.fs.Path dst = new org.apache.hadoop.fs.Path(job.output());
            try {
                if (dst.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(dst)) {
                    throw new GapnetException("--output " + job.output() + " exists already; choose another folder or delete it");
                }
            } catch (java.io.IOException e) {
                throw new GapnetException("cannot check --output " + job.output() + ": " + e.getMessage(), e);
            }
            long t0 = System.nanoTime();
            Dataset<Row> images = read(spark, job.inputs());
            // small files land in few partitions (128 MB of files each): spread them over every task slot
            int slots = spark.sparkContext().defaultParallelism();
            if (images.rdd().getNumPartitions() < slots) images = images.repartition(slots);
            GapnetTransformer t = job.embed() ? new GapnetEmbedder() : new GapnetClassifier().setTopK(job.top());
            t.setModel(job.model()).setSha256(job.sha256()).setLabels(job.labels()).setBackend(job.backend())
                    .setBatchSize(job.batchSize()).setPreprocessing(job.preprocessing());
            Dataset<Row> out = select(t.transform(images), job.embed(), format.equals("csv"));
            out.write().format(format).save(job.output());
            GapnetTransformer.Metrics m = t.lastMetrics();
            return new Summary(m.images().value(), m.failures().value(), m.inferenceSeconds().value(), (System.nanoTime() - t0) / 1e9);
        } finally {
            if (running == null) spark.stop();
        }
    }

    /** PNG and JPEG files under the inputs, recursively, as binaryFile rows (path, modificationTime, length, content). */
    public static Dataset<Row> read(SparkSession spark, List<String> inputs) {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                .option("pathGlobFilter", "*.{png,PNG,jpg,JPG,jpeg,JPEG}").load(inputs.toArray(String[]::new));
    }

    /** The answer columns worth writing: the image bytes stay behind; CSV gets its arrays as text. */
    static Dataset<Row> select(Dataset<Row> out, boolean embed, boolean csv) {
        Column path = functions.col("path");
        if (embed) {
            Column e = csv ? functions.concat_ws(" ", functions.col("embedding").cast("array<string>")).as("embedding")
                    : functions.col("embedding");
            return out.select(path, e, functions.col("error"));
        }
        if (csv) {
            return out.select(path, functions.col("label"), functions.col("probability"),
                    functions.concat_ws("|", functions.col("top_labels")).as("top_labels"),
                    functions.concat_ws(" ", functions.col("top_probabilities").cast("array<string>")).as("top_probabilities"),
                    functions.col("error"));
        }
        return out.select(path, functions.col("label"), functions.col("probability"), functions.col("top_labels"),
                functions.col("top_probabilities"), functions.col("top_indices"), functions.col("error"));
    }
}
