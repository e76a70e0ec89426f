package io.gapnet.backend.cuda;

import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.GapnetException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A column-major cuBLAS sgemm bound to one stream: {@code y = alpha op(first) op(second) + beta y}, offsets in
 * floats. Two libraries can provide it: cuBLAS 13 through the bytedeco presets (CUDA 13 machines) and cuBLAS 12
 * through JCublas2.
 */
interface Sgemm extends AutoCloseable {
    void sgemm(boolean transFirst, boolean transSecond, int m, int n, int k, float alpha, CUdeviceptr first, long firstOff,
               int ldFirst, CUdeviceptr second, long secondOff, int ldSecond, float beta, CUdeviceptr y, long yOff, int ldy);

    /** Which library runs it, as the device report names it. */
    String library();

    @Override
    void close();

    /** cuBLAS 13 (libcublas.so.13) through org.bytedeco.cuda; TF32 tensor cores only when {@code tf32}. */
    final class Cublas13 implements Sgemm {
        private final cublasContext handle = new cublasContext();
        private final FloatPointer alpha = new FloatPointer(1), beta = new FloatPointer(1);

        Cublas13(CUstream stream, boolean tf32) {
            check(cublas.cublasCreate_v2(handle), "cublasCreate (cuBLAS 13)");
            check(cublas.cublasSetStream_v2(handle, new CUstream_st(Native.of(stream))), "cublasSetStream");
            check(cublas.cublasSetMathMode(handle, tf32 ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_DEFAULT_MATH),
                    "cublasSetMathMode");
        }

        @Override
        public void sgemm(boolean transFirst, boolean transSecond, int m, int n, int k, float a, CUdeviceptr first,
                          long firstOff, int ldFirst, CUdeviceptr second, long secondOff, int ldSecond, float b,
                          CUdeviceptr y, long yOff, int ldy) {
            alpha.put(a);
            beta.put(b);
            check(cublas.cublasSgemm_v2(handle, transFirst ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                    transSecond ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, m, n, k, alpha, Native.floats(first, firstOff),
                    ldFirst, Native.floats(second, secondOff), ldSecond, beta, Native.floats(y, yOff), ldy),
                    "cublasSgemm (cuBLAS 13) m=" + m + " n=" + n + " k=" + k);
        }

        @Override
        public String library() {
            return "cuBLAS 13 sgemm (" + VendorLibraries.where("libcublas.so.13") + ")";
        }

        @Override
        public void close() {
            cublas.cublasDestroy_v2(handle);
            alpha.close();
            beta.close();
        }

        private static void check(int status, String what) {
            if (status == cublas.CUBLAS_STATUS_SUCCESS) return;
            String name = cublas.cublasGetStatusString(status).getString();
            if (status == cublas.CUBLAS_STATUS_ALLOC_FAILED) {
                throw new DeviceOutOfMemoryException(what + " failed: " + name + "; use a smaller batch or input size");
            }
            throw new GapnetException(what + " failed: " + name);
        }
    }

    /** cuBLAS 12 (libcublas.so.12) through JCublas2, for CUDA 12 machines (and the simulator's stand-in). */
    final class Cublas12 implements Sgemm {
        private final cublasHandle handle = new cublasHandle();

        Cublas12(CUstream stream) {
            CuCheck.checkBlas(JCublas2.cublasCreate(handle), "cublasCreate");
            CuCheck.checkBlas(JCublas2.cublasSetStream(handle, new cudaStream_t(stream)), "cublasSetStream");
        }

        @Override
        public void sgemm(boolean transFirst, boolean transSecond, int m, int n, int k, float alpha, CUdeviceptr first,
                          long firstOff, int ldFirst, CUdeviceptr second, long secondOff, int ldSecond, float beta,
                          CUdeviceptr y, long yOff, int ldy) {
            CuCheck.checkBlas(JCublas2.cublasSgemm(handle, transFirst ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                    transSecond ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N, m, n, k,
                    Pointer.to(new float[] {alpha}), first.withByteOffset(firstOff * Sizeof.FLOAT), ldFirst,
                    second.withByteOffset(secondOff * Sizeof.FLOAT), ldSecond, Pointer.to(new float[] {beta}),
                    y.withByteOffset(yOff * Sizeof.FLOAT), ldy), "cublasSgemm m=" + m + " n=" + n + " k=" + k);
        }

        @Override
        public String library() {
            return "cuBLAS sgemm (libcublas.so.12)";
        }

        @Override
        public void close() {
            JCublas2.cublasDestroy(handle);
        }
    }
}
