package io.gapnet.model;

import io.gapnet.ModelException;
import io.gapnet.tensor.Tensor;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node's attributes: Long, Float, String, Tensor, long[], float[] or String[] values by name. Getters
 * take the default ONNX gives the attribute and name the node and attribute when the type is wrong.
 */
public final class Attributes {
    private final Map<String, Object> values;
    private String owner = "node";

    public Attributes(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Attributes none() {
        return new Attributes(Map.of());
    }

    /** Sets the description used in error messages, such as "Conv node 'conv1'". */
    Attributes owner(String owner) {
        Attributes a = new Attributes(values);
        a.owner = owner;
        return a;
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public long getInt(String name, long dflt) {
        Object v = values.get(name);
        if (v == null) return dflt;
        if (v instanceof Long) return (Long) v;
        throw wrongType(name, "an int", v);
    }

    /**
     * An int attribute that must fit a 32-bit int in [{@code min}, {@code max}]: ONNX stores ints as 64 bits, and a
     * value cast down silently (a group of 2^32 + 1 becoming 1) would run a different model than the file describes.
     */
    public int getInt32(String name, int dflt, int min, int max) {
        long v = getInt(name, dflt);
        if (v < min || v > max) {
            throw new ModelException(owner + ": attribute '" + name + "' is " + v + ", outside [" + min + ", " + max + "]"
                    + (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE ? " (it does not even fit a 32-bit int)" : ""));
        }
        return (int) v;
    }

    public float getFloat(String name, float dflt) {
        Object v = values.get(name);
        if (v == null) return dflt;
        if (v instanceof Float) return (Float) v;
        if (v instanceof Long) return (Long) v;
        throw wrongType(name, "a float", v);
    }

    public String getString(String name, String dflt) {
        Object v = values.get(name);
        if (v == null) return dflt;
        if (v instanceof String) return (String) v;
        throw wrongType(name, "a string", v);
    }

    /** The ints attribute, or null when absent. */
    public long[] getInts(String name) {
        Object v = values.get(name);
        if (v == null) return null;
        if (v instanceof long[]) return ((long[]) v).clone();
        if (v instanceof Long) return new long[] {(Long) v};
        throw wrongType(name, "a list of ints", v);
    }

    public float[] getFloats(String name) {
        Object v = values.get(name);
        if (v == null) return null;
        if (v instanceof float[]) return ((float[]) v).clone();
        throw wrongType(name, "a list of floats", v);
    }

    public Tensor getTensor(String name) {
        Object v = values.get(name);
        if (v == null) return null;
        if (v instanceof Tensor) return (Tensor) v;
        throw wrongType(name, "a tensor", v);
    }

    private ModelException wrongType(String name, String expected, Object v) {
        return new ModelException(owner + ": attribute '" + name + "' should be " + expected + " but is " + show(v));
    }

    static String show(Object v) {
        if (v instanceof long[]) return Arrays.toString((long[]) v);
        if (v instanceof float[]) return Arrays.toString((float[]) v);
        if (v instanceof String[]) return Arrays.toString((String[]) v);
        return String.valueOf(v);
    }

    /** A copy with one attribute added or replaced. */
    public Attributes with(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(values);
        m.put(name, value);
        return new Attributes(m);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        values.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=').append(show(v)));
        return sb.append('}').toString();
    }
}
