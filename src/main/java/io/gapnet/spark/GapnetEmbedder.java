package io.gapnet.spark;

import java.util.List;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/**
 * A Spark ML Transformer that appends each image's embedding (the GAP vector that feeds the model's linear head) as
 * {@code embedding}, an array of floats, and {@code error} for images that could not be used.
 */
public final class GapnetEmbedder extends GapnetTransformer {
    private static final long serialVersionUID = 1L;

    /** An embedder with a fresh uid. */
    public GapnetEmbedder() {
        this(Identifiable$.MODULE$.randomUID("gapnetEmbedder"));
    }

    /** An embedder with this uid (Spark's copy needs this constructor). */
    public GapnetEmbedder(String uid) {
        super(uid);
    }

    @Override
    PartitionJob.Kind kind() {
        return PartitionJob.Kind.EMBED;
    }

    @Override
    List<StructField> outputFields() {
        return List.of(DataTypes.createStructField("embedding", DataTypes.createArrayType(DataTypes.FloatType, false), true),
                DataTypes.createStructField("error", DataTypes.StringType, true));
    }
}
