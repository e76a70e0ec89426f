package io.gapnet.backend.cuda;

import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.GapnetException;
import jcuda.driver.CUresult;

/** Checks CUDA driver status codes; a failure names the call, the kernel or buffer, and the error. */
final class CuCheck {
    private CuCheck() {}

    static void check(int result, String what) {
        if (result == CUresult.CUDA_SUCCESS) return;
        String name = CUresult.stringFor(result);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new DeviceOutOfMemoryException(what + " failed: " + name + "; use a smaller batch or input size");
        }
        throw new GapnetException(what + " failed: " + name);
    }

    /** Checks a cuBLAS status. */
    static void checkBlas(int status, String what) {
        if (status == jcuda.jcublas.cublasStatus.CUBLAS_STATUS_SUCCESS) return;
        String name = jcuda.jcublas.cublasStatus.stringFor(status);
        if (status == jcuda.jcublas.cublasStatus.CUBLAS_STATUS_ALLOC_FAILED) {
            throw new DeviceOutOfMemoryException(what + " failed: " + name + "; use a smaller batch or input size");
        }
        throw new GapnetException(what + " failed: " + name);
    }
}
