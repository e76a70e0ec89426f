package io.gapnet.backend.cuda;

import io.gapnet.GapnetException;
import java.lang.reflect.Method;
import jcuda.NativePointerObject;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Raw addresses between the two CUDA bindings: JCuda owns the context, streams and memory, the bytedeco presets
 * call cuBLAS 13 and cuDNN on them. Both are plain pointers underneath (the runtime API shares the driver's primary
 * context), so a device address from one is handed to the other as it is.
 */
final class Native {
    private static final Method NATIVE_POINTER;

    static {
        try {
            NATIVE_POINTER = NativePointerObject.class.getDeclaredMethod("getNativePointer");
            NATIVE_POINTER.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Native() {}

    /** The address a JCuda handle or device pointer holds (without any byte offset of a derived pointer). */
    static long address(NativePointerObject p) {
        try {
            return (long) NATIVE_POINTER.invoke(p);
        } catch (ReflectiveOperationException e) {
            throw new GapnetException("cannot read the address of a JCuda handle: " + e, e);
        }
    }

    /** A javacpp pointer to {@code address} that owns nothing. */
    static Pointer at(long addr) {
        return new Pointer() {
            {
                address = addr;
            }
        };
    }

    /** A javacpp pointer to what a JCuda handle or device pointer points at. */
    static Pointer of(NativePointerObject p) {
        return at(address(p));
    }

    /** A javacpp float pointer to device memory {@code floatOffset} floats past {@code base}. */
    static FloatPointer floats(jcuda.driver.CUdeviceptr base, long floatOffset) {
        return new FloatPointer(at(address(base) + floatOffset * Float.BYTES));
    }
}
