package io.gapnet.backend;

/**
 * Element-wise binary arithmetic with numpy broadcasting. {@link #apply} is the specification. PRELU is
 * {@code a < 0 ? a * b : a} (b is the slope).
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, PRELU;

    public float apply(float a, float b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return a / b;
            case MAX: return Math.max(a, b);
            case MIN: return Math.min(a, b);
            case POW: return (float) Math.pow(a, b);
            case PRELU: return a < 0 ? a * b : a;
            default: throw new AssertionError(this);
        }
    }

    /** Integer semantics, for int64 shape arithmetic evaluated on the host (division truncates like ONNX's Div on ints). */
    public long apply(long a, long b) {
        switch (this) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV:
                if (b == 0) throw new io.gapnet.ShapeException("integer division by zero in a shape computation");
                return a / b;
            case MAX: return Math.max(a, b);
            case MIN: return Math.min(a, b);
            case POW: return (long) Math.pow(a, b);
            case PRELU: return a < 0 ? a * b : a;
            default: throw new AssertionError(this);
        }
    }
}
