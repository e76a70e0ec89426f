package io.gapnet.spark;

import java.util.List;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A Spark ML Transformer that classifies the images of a binary column (as {@code spark.read().format("binaryFile")}
 * gives them), appending {@code label} and {@code probability} (the top class), {@code top_labels},
 * {@code top_probabilities} and {@code top_indices} (the top-K) and {@code error} (why a row's image could not be
 * used: one bad image never fails the job).
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").option("pathGlobFilter", "*.jpg").load("photos/");
 * Dataset<Row> out = new GapnetClassifier().setModel("zoo:resnet50-v1-7").setTopK(3).transform(images);
 * }</pre>
 */
public final class GapnetClassifier extends GapnetTransformer {
    private static final long serialVersionUID = 1L;

    private final IntParam topK;

    /** A classifier with a fresh uid. */
    public GapnetClassifier() {
        this(Identifiable$.MODULE$.randomUID("gapnetClassifier"));
    }

    /** A classifier with this uid (Spark's copy needs this constructor). */
    public GapnetClassifier(String uid) {
        super(uid);
        topK = new IntParam(this, "topK", "classes per image", ParamValidators.gtEq(1));
        setDefault(topK, (Object) 5);
    }

    /** The top-K param. */
    public IntParam topK() {
        return topK;
    }

    /** Sets how many classes each image gets. */
    public GapnetClassifier setTopK(int k) {
        set(topK, (Object) k);
        return this;
    }

    @Override
    int classesPerRow() {
        return getInt(topK);
    }

    @Override
    PartitionJob.Kind kind() {
        return PartitionJob.Kind.CLASSIFY;
    }

    @Override
    List<StructField> outputFields() {
        return List.of(DataTypes.createStructField("label", DataTypes.StringType, true),
                DataTypes.createStructField("probability", DataTypes.FloatType, true),
                DataTypes.createStructField("top_labels", DataTypes.createArrayType(DataTypes.StringType, false), true),
                DataTypes.createStructField("top_probabilities", DataTypes.createArrayType(DataTypes.FloatType, false), true),
                DataTypes.createStructField("top_indices", DataTypes.createArrayType(DataTypes.IntegerType, false), true),
                DataTypes.createStructField("error", DataTypes.StringType, true));
    }
}
