package io.gapnet.model;

import io.gapnet.tensor.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A graph input or output: name, element type and shape. {@code dims[i]} is -1 where the dimension is
 * dynamic (named by {@code dimNames[i]} if the model names it); {@code dims} is null when the rank is unknown.
 */
public record ValueInfo(String name, DType dtype, long[] dims, String[] dimNames) {

    public boolean hasShape() {
        return dims != null;
    }

    /** The shape as text, such as {@code [N,3,224,224]}. */
    public String shapeString() {
        if (dims == null) return "[?]";
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < dims.length; i++) {
            parts.add(dims[i] >= 0 ? Long.toString(dims[i])
                    : (dimNames != null && dimNames[i] != null && !dimNames[i].isEmpty() ? dimNames[i] : "?"));
        }
        return "[" + String.join(",", parts) + "]";
    }
}
