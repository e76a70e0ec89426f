package io.gapnet.runtime.ops;

import io.gapnet.ModelException;
import io.gapnet.model.Attributes;
import io.gapnet.model.Node;
import io.gapnet.tensor.Tensor;

/** The value of an ONNX Constant node, from whichever of its attributes is set. */
public final class ConstantOp {
    private ConstantOp() {}

    public static Tensor value(Node n) {
        Attributes a = n.attrs();
        if (a.has("value")) return a.getTensor("value");
        if (a.has("value_float")) return Tensor.scalar(a.getFloat("value_float", 0));
        if (a.has("value_floats")) {
            float[] f = a.getFloats("value_floats");
            return Tensor.of(f, f.length);
        }
        if (a.has("value_int")) return Tensor.ofLongs(new long[] {a.getInt("value_int", 0)});
        if (a.has("value_ints")) {
            long[] l = a.getInts("value_ints");
            return Tensor.ofLongs(l, l.length);
        }
        throw new ModelException(n.describe() + ": has no value attribute that gapnet supports"
                + " (value, value_float, value_floats, value_int, value_ints)");
    }
}
