package io.gapnet.runtime.ops;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Every operator gapnet runs, by ONNX op type (default domain), with its lowering. */
public final class OpSet {
    /** Domain of gapnet's own fused ops, which only the graph optimiser creates. */
    public static final String GAPNET_DOMAIN = "io.gapnet";

    private static final Map<String, OpLowering> DEFAULT = new TreeMap<>();
    private static final Map<String, OpLowering> GAPNET = new TreeMap<>();

    static {
        ConvOps.register(DEFAULT, GAPNET);
        PoolOps.register(DEFAULT, GAPNET);
        ElementwiseOps.register(DEFAULT, GAPNET);
        DenseOps.register(DEFAULT);
        NormOps.register(DEFAULT, GAPNET);
        QuantOps.register(DEFAULT);
        ResizeOps.register(DEFAULT);
        ShapeOps.register(DEFAULT);
    }

    private OpSet() {}

    public static boolean isSupported(String opType, String domain) {
        return lowering(opType, domain) != null;
    }

    /** The lowering for an op, or null when unsupported. */
    public static OpLowering lowering(String opType, String domain) {
        if (domain == null || domain.isEmpty() || domain.equals("ai.onnx")) return DEFAULT.get(opType);
        if (domain.equals(GAPNET_DOMAIN)) return GAPNET.get(opType);
        return null;
    }

    /** The supported default-domain op types, sorted. */
    public static java.util.Set<String> supportedOps() {
        return Collections.unmodifiableSet(DEFAULT.keySet());
    }
}
