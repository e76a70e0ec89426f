package io.gapnet.tensor;

/**
 * Element types a {@link Tensor} can hold. Computation is float32 on every backend; FLOAT16 tensors hold
 * float values that are exactly representable in half precision (converted on load and back on output);
 * INT64 tensors hold shapes, indices and other integer data that is evaluated on the host.
 */
public enum DType {
    FLOAT32(1),
    FLOAT16(10),
    INT64(7);

    /** The ONNX TensorProto.DataType code. */
    public final int onnxCode;

    DType(int onnxCode) {
        this.onnxCode = onnxCode;
    }

    public boolean isFloat() {
        return this != INT64;
    }
}
