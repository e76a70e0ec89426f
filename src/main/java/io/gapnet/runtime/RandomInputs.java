package io.gapnet.runtime;

import io.gapnet.GapnetException;
import io.gapnet.model.Graph;
import io.gapnet.model.ValueInfo;
import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Seeded random inputs for a model, for benchmarks and parity checks. */
public final class RandomInputs {
    private RandomInputs() {}

    /**
     * Standard-normal values for every float input of {@code model}, from one {@link Random} seeded with {@code seed},
     * input by input: the model's fixed dimensions, {@code batch} for a free first dimension, {@code height, width}
     * for free spatial dimensions of a 4-D input ([batch, 3, height, width] for an input without a declared shape).
     * Int64 inputs, and other free dimensions, are refused with a message that says to give the input instead.
     */
    public static Map<String, Tensor> of(Graph model, long seed, int batch, int height, int width) {
        Random r = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (ValueInfo vi : model.inputs()) {
            if (vi.dtype() == DType.INT64) {
                throw new GapnetException("input '" + vi.name() + "' is int64: give the inputs with --input (a .pb file)");
            }
            int[] shape;
            if (!vi.hasShape()) {
                shape = new int[] {batch, 3, height, width};
            } else {
                long[] d = vi.dims();
                shape = new int[d.length];
                int[] spatial = {height, width};
                for (int i = 0; i < d.length; i++) {
                    if (d[i] > 0) shape[i] = (int) d[i];
                    else if (i == 0) shape[i] = batch;
                    else if (d.length == 4 && i >= 2) shape[i] = spatial[i - 2];
                    else throw new GapnetException("input '" + vi.name() + "' " + vi.shapeString() + " has a free dimension "
                            + i + " that --batch and --size do not fill; give the input with --input (a .pb file)");
                }
                if (d.length > 0 && d[0] > 0 && batch != 1 && d[0] != batch) {
                    throw new GapnetException("input '" + vi.name() + "' has a fixed batch of " + d[0] + "; --batch " + batch
                            + " does not fit it");
                }
            }
            float[] v = new float[Shapes.numel(shape)];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            out.put(vi.name(), Tensor.of(v, shape));
        }
        return out;
    }
}
