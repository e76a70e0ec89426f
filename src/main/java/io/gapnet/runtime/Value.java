package io.gapnet.runtime;

import io.gapnet.tensor.DType;
import io.gapnet.tensor.Shapes;
import io.gapnet.tensor.Tensor;

/**
 * A value during compilation: its shape and type, and either its constant data (known at compile time:
 * weights, folded shape computations) or nothing (computed on the device at run time). A dynamic value
 * may be a view of another's storage (reshapes), named by {@code aliasOf}.
 */
public final class Value {
    final int id;
    final String name;
    final int[] shape;
    final DType dtype;
    final Tensor constant;
    final int aliasOf;

    Value(int id, String name, int[] shape, DType dtype, Tensor constant, int aliasOf) {
        this.id = id;
        this.name = name;
        this.shape = shape.clone();
        this.dtype = dtype;
        this.constant = constant;
        this.aliasOf = aliasOf;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public int numel() {
        return Shapes.numel(shape);
    }

    public DType dtype() {
        return dtype;
    }

    public boolean isConst() {
        return constant != null;
    }

    public boolean isInt() {
        return dtype == DType.INT64;
    }

    /** The constant data; only for constant values. */
    public Tensor constant() {
        return constant;
    }

    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "'" + name + "' " + Shapes.str(shape) + (isConst() ? " const" : "");
    }
}
