package io.gapnet.spark;

import io.gapnet.GapnetException;
import io.gapnet.Labels;
import io.gapnet.image.Preprocessing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * What gapnet's Spark transformers share: the params (model, labels, backend, batch size, the input column and the
 * preprocessing), the per-partition batching on one Session per executor JVM, an error column, and accumulators
 * (images, failures, inference seconds) that show in the Spark UI.
 */
public abstract class GapnetTransformer extends Transformer {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> model;
    private final Param<String> sha256;
    private final Param<String> labels;
    private final Param<String> backend;
    private final IntParam batchSize;
    private final Param<String> inputCol;
    private final Param<String> pathCol;
    private final Param<String> preset;
    private final IntParam resize;
    private final IntParam crop;
    private Preprocessing preprocessing;
    private transient Metrics lastMetrics;

    /** The accumulators of the last {@link #transform}: read them after an action has run. */
    public record Metrics(LongAccumulator images, LongAccumulator failures, DoubleAccumulator inferenceSeconds) {}

    protected GapnetTransformer(String uid) {
        this.uid = uid;
        model = new Param<>(this, "model", "the model: an .onnx file (on every executor, or through SparkFiles), an"
                + " http(s):// URL or zoo:NAME (downloaded once per machine into the gapnet cache), or a built-in name");
        sha256 = new Param<>(this, "sha256", "the SHA-256 a downloaded model must have (empty: not checked)");
        labels = new Param<>(this, "labels", "a labels file read on the driver (empty: a zoo model's own, else indices)");
        backend = new Param<>(this, "backend", "cpu, cpu-ref, opencl, cuda or auto (cuda on a GPU Spark assigned the"
                + " task, else cpu); an assigned GPU's address is used by cuda and opencl");
        batchSize = new IntParam(this, "batchSize", "images per batch within a partition", ParamValidators.gtEq(1));
        inputCol = new Param<>(this, "inputCol", "the column holding the image: encoded bytes (binaryFile's content) or the"
                + " struct of Spark's image data source (its image column)");
        pathCol = new Param<>(this, "pathCol", "the column naming each image in error messages (binaryFile's path)");
        preset = new Param<>(this, "preset", "preprocessing preset: imagenet, caffe, inception, raw-rgb255, raw-bgr255,"
                + " mnist (empty: a zoo model's own, else imagenet)");
        resize = new IntParam(this, "resize", "shorter side after resizing (-1: the preset's)", ParamValidators.gtEq(-1));
        crop = new IntParam(this, "crop", "centre crop side (-1: the preset's; 0: none)", ParamValidators.gtEq(-1));
        setDefault(sha256, "");
        setDefault(labels, "");
        setDefault(backend, "cpu");
        setDefault(batchSize, (Object) 16);
        setDefault(inputCol, "content");
        setDefault(pathCol, "path");
        setDefault(preset, "");
        setDefault(resize, (Object) (-1));
        setDefault(crop, (Object) (-1));
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The model param. */
    public Param<String> model() {
        return model;
    }

    /** The SHA-256 param. */
    public Param<String> sha256() {
        return sha256;
    }

    /** The labels-file param. */
    public Param<String> labels() {
        return labels;
    }

    /** The backend param. */
    public Param<String> backend() {
        return backend;
    }

    /** The batch-size param. */
    public IntParam batchSize() {
        return batchSize;
    }

    /** The input-column param. */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** The path-column param. */
    public Param<String> pathCol() {
        return pathCol;
    }

    /** The preprocessing-preset param. */
    public Param<String> preset() {
        return preset;
    }

    /** The resize param. */
    public IntParam resize() {
        return resize;
    }

    /** The crop param. */
    public IntParam crop() {
        return crop;
    }

    /** Sets the model. */
    public GapnetTransformer setModel(String v) {
        set(model, v);
        return this;
    }

    /** Sets the SHA-256 a downloaded model must have. */
    public GapnetTransformer setSha256(String v) {
        set(sha256, v == null ? "" : v);
        return this;
    }

    /** Sets the labels file. */
    public GapnetTransformer setLabels(String v) {
        set(labels, v == null ? "" : v);
        return this;
    }

    /** Sets the backend. */
    public GapnetTransformer setBackend(String v) {
        set(backend, v);
        return this;
    }

    /** Sets the batch size. */
    public GapnetTransformer setBatchSize(int v) {
        set(batchSize, (Object) v);
        return this;
    }

    /** Sets the input column. */
    public GapnetTransformer setInputCol(String v) {
        set(inputCol, v);
        return this;
    }

    /** Sets the preprocessing preset. */
    public GapnetTransformer setPreset(String v) {
        set(preset, v == null ? "" : v);
        return this;
    }

    /** Sets the shorter side after resizing. */
    public GapnetTransformer setResize(int v) {
        set(resize, (Object) v);
        return this;
    }

    /** Sets the crop. */
    public GapnetTransformer setCrop(int v) {
        set(crop, (Object) v);
        return this;
    }

    /** Sets the whole preprocessing from Java (it overrides preset, resize and crop). */
    public GapnetTransformer setPreprocessing(Preprocessing p) {
        this.preprocessing = p;
        return this;
    }

    /** The accumulators of the last transform, or null before the first. */
    public Metrics lastMetrics() {
        return lastMetrics;
    }

    String getString(Param<String> p) {
        return getOrDefault(p);
    }

    int getInt(IntParam p) {
        return (Integer) getOrDefault(p);
    }

    abstract PartitionJob.Kind kind();

    /** The columns this transformer appends, the error column last. */
    abstract List<StructField> outputFields();

    @Override
    public StructType transformSchema(StructType schema) {
        String in = getString(inputCol);
        if (!List.of(schema.fieldNames()).contains(in)) {
            throw new IllegalArgumentException("input column '" + in + "' is not in " + List.of(schema.fieldNames())
                    + "; read images with spark.read().format(\"binaryFile\") or set inputCol");
        }
        org.apache.spark.sql.types.DataType type = schema.apply(in).dataType();
        boolean imageStruct = type instanceof StructType st && List.of(st.fieldNames()).containsAll(
                List.of("height", "width", "nChannels", "data"));
        if (!type.equals(DataTypes.BinaryType) && !imageStruct) {
            throw new IllegalArgumentException("input column '" + in + "' is " + type.simpleString() + ", neither binary (the"
                    + " encoded image bytes, as binaryFile gives them) nor the struct of Spark's image data source");
        }
        List<StructField> fields = new ArrayList<>(List.of(schema.fields()));
        for (StructField f : outputFields()) {
            if (List.of(schema.fieldNames()).contains(f.name())) {
                throw new IllegalArgumentException("output column '" + f.name() + "' exists already");
            }
            fields.add(f);
        }
        return new StructType(fields.toArray(StructField[]::new));
    }

    /** The preprocessing the params describe, or null for the model's own (a zoo model's) or imagenet. */
    Preprocessing preprocessingFromParams() {
        if (preprocessing != null) return preprocessing;
        String name = getString(preset);
        int r = getInt(resize), c = getInt(crop);
        if (name.isEmpty() && r < 0 && c < 0) return null;
        Preprocessing base = name.isEmpty() ? Preprocessing.imagenet() : Preprocessing.preset(name);
        Preprocessing.Builder b = base.toBuilder();
        if (r >= 0) b.resizeShorter(r);
        if (c >= 0) b.centerCrop(c);
        return b.build();
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType in = dataset.schema();
        StructType out = transformSchema(in);
        if (!isDefined(model) || getString(model).isEmpty()) throw new GapnetException("set the model param first");
        String labelsFile = getString(labels);
        Labels names = labelsFile.isEmpty() ? null : Labels.read(Path.of(labelsFile));
        List<String> cols = List.of(in.fieldNames());
        SparkContext sc = dataset.sparkSession().sparkContext();
        Metrics m = new Metrics(sc.longAccumulator("gapnet images"), sc.longAccumulator("gapnet failures"),
                sc.doubleAccumulator("gapnet inference seconds"));
        lastMetrics = m;
        String sha = getString(sha256);
        PartitionJob job = new PartitionJob(kind(), getString(model), sha.isEmpty() ? null : sha, getString(backend), names,
                preprocessingFromParams(), getInt(batchSize), classesPerRow(), cols.indexOf(getString(inputCol)),
                cols.indexOf(getString(pathCol)), m.images(), m.failures(), m.inferenceSeconds());
        return dataset.toDF().mapPartitions((MapPartitionsFunction<Row, Row>) job::run, Encoders.row(out));
    }

    /** How many classes a row gets (0 for embeddings). */
    int classesPerRow() {
        return 0;
    }

    @Override
    public Transformer copy(ParamMap extra) {
        GapnetTransformer t = defaultCopy(extra);
        t.preprocessing = preprocessing;
        return t;
    }
}
