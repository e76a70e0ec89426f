package io.gapnet.backend;

/**
 * Element-wise binary arithmetic with numpy broadcasting. {@link #apply} is the specification. PRELU is
 * {@code a < 0 ? a * b : a} (b is the slope). The comparisons and logical ops give 1 for true and 0 for false
 * (booleans are 0/1 floats on the device; NaN compares false, as IEEE and ONNX say); AND, OR and XOR take
 * non-zero as true; MASK is {@code b != 0 ? a : 0}, the half of Where that keeps NaN and infinities where the
 * condition is false out of the sum.
 */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW, PRELU, EQUAL, LESS, GREATER, LESS_OR_EQUAL, GREATER_OR_EQUAL, AND, OR, XOR, MASK;

    private static float truth(boolean b) {
        return b ? 1f : 0f;
    }

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
            case EQUAL: return truth(a == b);
            case LESS: return truth(a < b);
            case GREATER: return truth(a > b);
            case LESS_OR_EQUAL: return truth(a <= b);
            case GREATER_OR_EQUAL: return truth(a >= b);
            case AND: return truth(a != 0 && b != 0);
            case OR: return truth(a != 0 || b != 0);
            case XOR: return truth((a != 0) != (b != 0));
            case MASK: return b != 0 ? a : 0f;
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
            case EQUAL: return a == b ? 1 : 0;
            case LESS: return a < b ? 1 : 0;
            case GREATER: return a > b ? 1 : 0;
            case LESS_OR_EQUAL: return a <= b ? 1 : 0;
            case GREATER_OR_EQUAL: return a >= b ? 1 : 0;
            case AND: return a != 0 && b != 0 ? 1 : 0;
            case OR: return a != 0 || b != 0 ? 1 : 0;
            case XOR: return (a != 0) != (b != 0) ? 1 : 0;
            case MASK: return b != 0 ? a : 0;
            default: throw new AssertionError(this);
        }
    }
}
