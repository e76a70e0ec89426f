package io.gapnet.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import io.gapnet.DeviceOutOfMemoryException;
import io.gapnet.GapnetException;
import io.gapnet.backend.Activation;
import io.gapnet.backend.ConvDesc;
import io.gapnet.backend.DeviceBuffer;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnActivationStruct;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * cuDNN 9 convolutions on one stream. Every shape gets a plan once: its descriptors and the fastest algorithm that
 * cudnnFindConvolutionForwardAlgorithm measures on this device (what PyTorch's {@code cudnn.benchmark} does), kept
 * for the life of the queue. Bias, residual and ReLU run fused in cudnnConvolutionBiasActivationForward; any other
 * activation runs as gapnet's own epilogue kernel after cudnnConvolutionForward. Strict float32 (FMA math) unless
 * {@code -Dgapnet.cuda.tf32=true}. Shapes cuDNN cannot express (padding that differs between the two sides) go to
 * gapnet's own kernels ({@link #supports}).
 */
final class Cudnn implements AutoCloseable {
    /** The most workspace one algorithm may take; a faster one that needs more is passed over. */
    static final long MAX_WORKSPACE = Long.getLong("gapnet.cuda.workspaceMiB", 1024) << 20;

    private final CudaBackend backend;
    private final CUstream stream;
    private final boolean tf32;
    private final cudnnContext handle = new cudnnContext();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
    /** A plan per shape (it does not depend on whether a bias or residual comes: a missing bias is a zero one). */
    private final Map<ConvDesc, Plan> plans = new HashMap<>();
    private DeviceBuffer workspace;

    Cudnn(CudaBackend backend, CUstream stream, boolean tf32) {
        this.backend = backend;
        this.stream = stream;
        this.tf32 = tf32;
        check(cudnnCreate(handle), "cudnnCreate");
        check(cudnnSetStream(handle, new CUstream_st(Native.of(stream))), "cudnnSetStream");
    }

    /** Whether cuDNN can run this convolution as gapnet defines it (cuDNN pads both sides of an axis alike). */
    static boolean supports(ConvDesc d) {
        return d.padTop() == d.padBottom() && d.padLeft() == d.padRight() && d.group() >= 1 && d.c() % d.group() == 0
                && d.oc() % d.group() == 0 && d.outH() > 0 && d.outW() > 0;
    }

    /** Whether the activation fuses into cudnnConvolutionBiasActivationForward (which takes ReLU, NaN propagated). */
    static boolean fusesActivation(Activation a) {
        return a.kind() == Activation.Kind.RELU;
    }

    /**
     * Runs the convolution; false when cuDNN has no algorithm for it (the caller runs its own kernel then). The
     * epilogue runs {@code y = act(y + bias + residual)} when the activation is not fused.
     */
    boolean conv2d(ConvDesc d, CUdeviceptr x, CUdeviceptr w, CUdeviceptr bias, CUdeviceptr residual, CUdeviceptr y,
                   Epilogue epilogue) {
        if (!supports(d)) return false;
        Plan plan = plans.computeIfAbsent(d, Plan::new);
        if (plan.algo < 0) return false;
        Pointer ws = plan.workspaceBytes == 0 ? null : Native.of(workspace(plan.workspaceBytes));
        if (plan.fused) {
            int s = cudnnConvolutionBiasActivationForward(handle, one, plan.x, Native.of(x), plan.w,
                    Native.of(w), plan.conv, plan.algo, ws, plan.workspaceBytes,
                    residual != null ? one : zero, plan.y, Native.of(residual != null ? residual : y), plan.bias,
                    Native.of(bias != null ? bias : plan.zeroBiasPtr()), plan.act, plan.y,
                    Native.of(y));
            if (s >= CUDNN_STATUS_NOT_SUPPORTED && s < CUDNN_STATUS_INTERNAL_ERROR) {
                plan.fused = false; // this algorithm has no fused form here: convolve, then the epilogue kernel
            } else {
                check(s, "cudnnConvolutionBiasActivationForward " + d);
                return true;
            }
        }
        check(cudnnConvolutionForward(handle, one, plan.x, Native.of(x), plan.w, Native.of(w),
                plan.conv, plan.algo, ws, plan.workspaceBytes, zero, plan.y, Native.of(y)),
                "cudnnConvolutionForward " + d);
        if (bias != null || residual != null || d.act().kind() != Activation.Kind.NONE) epilogue.apply(bias, residual);
        return true;
    }

    /** gapnet's conv_epilogue_nchw_f32 on the output, with the optional bias and residual. */
    interface Epilogue {
        void apply(CUdeviceptr bias, CUdeviceptr residual);
    }

    static String algoName(int algo) {
        String[] names = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING", "WINOGRAD",
                "WINOGRAD_NONFUSED"};
        return algo >= 0 && algo < names.length ? names[algo] : "algorithm " + algo;
    }

    /** A grow-only workspace from the backend's pool; the old one is given back only once the stream is idle. */
    private CUdeviceptr workspace(long bytes) {
        if (workspace == null || workspace.bytes() < bytes) {
            if (workspace != null) {
                CuCheck.check(JCudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize (growing the cuDNN workspace)");
                workspace.close();
            }
            workspace = backend.allocate((bytes + 3) / 4, "cuDNN workspace");
        }
        return ((CudaBuffer) workspace).ptr();
    }

    private final class Plan {
        final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct(), bias = new cudnnTensorStruct();
        final cudnnFilterStruct w = new cudnnFilterStruct();
        final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        final cudnnActivationStruct act = new cudnnActivationStruct();
        final int oc;
        int algo = -1;
        long workspaceBytes;
        boolean fused;
        DeviceBuffer zeroBias;

        Plan(ConvDesc d) {
            oc = d.oc();
            check(cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            check(cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
            check(cudnnCreateTensorDescriptor(bias), "cudnnCreateTensorDescriptor");
            check(cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
            check(cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
            check(cudnnCreateActivationDescriptor(act), "cudnnCreateActivationDescriptor");
            check(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n(), d.c(), d.h(), d.w()), "x " + d);
            check(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.oc(), d.cPerGroup(), d.kh(), d.kw()),
                    "w " + d);
            check(cudnnSetConvolution2dDescriptor(conv, d.padTop(), d.padLeft(), d.strideH(), d.strideW(), d.dilationH(),
                    d.dilationW(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT), "convolution " + d);
            check(cudnnSetConvolutionGroupCount(conv, d.group()), "group count " + d);
            check(cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH), "math type");
            check(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.n(), d.oc(), d.outH(), d.outW()), "y " + d);
            check(cudnnSetTensor4dDescriptor(bias, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, d.oc(), 1, 1), "bias " + d);
            check(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0), "activation");
            try (IntPointer n = new IntPointer(1); IntPointer c = new IntPointer(1); IntPointer h = new IntPointer(1);
                 IntPointer wd = new IntPointer(1)) {
                check(cudnnGetConvolution2dForwardOutputDim(conv, x, w, n, c, h, wd), "output size " + d);
                if (n.get() != d.n() || c.get() != d.oc() || h.get() != d.outH() || wd.get() != d.outW()) return;
            }
            choose(d);
            fused = fusesActivation(d.act());
        }

        /**
         * The fastest algorithm that succeeds within the workspace limit and, in float32, without tensor cores: as
         * cudnnFindConvolutionForwardAlgorithm measures them, or, where measuring fails (it allocates its own buffers,
         * which a large batch may not leave room for), as cudnnGetConvolutionForwardAlgorithm_v7's heuristics rank them.
         */
        private void choose(ConvDesc d) {
            int count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
            try (IntPointer returned = new IntPointer(1);
                 cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(count)) {
                if (cudnnFindConvolutionForwardAlgorithm(handle, x, w, conv, y, count, returned, perf) == CUDNN_STATUS_SUCCESS
                        && pick(perf, returned.get())) {
                    return;
                }
                if (cudnnGetConvolutionForwardAlgorithm_v7(handle, x, w, conv, y, count, returned, perf) == CUDNN_STATUS_SUCCESS) {
                    pick(perf, returned.get());
                }
                // no algorithm: algo stays -1 and gapnet's own kernel runs this shape
            }
        }

        private boolean pick(cudnnConvolutionFwdAlgoPerf_t perf, int returned) {
            for (int i = 0; i < returned; i++) {
                cudnnConvolutionFwdAlgoPerf_t p = perf.getPointer(i);
                if (p.status() != CUDNN_STATUS_SUCCESS || p.memory() > MAX_WORKSPACE) continue;
                if (!tf32 && p.mathType() != CUDNN_FMA_MATH && p.mathType() != CUDNN_DEFAULT_MATH) continue;
                // run it with the math type it was measured with (cuDNN's rule for the results of Find)
                check(cudnnSetConvolutionMathType(conv, p.mathType()), "math type of " + algoName(p.algo()));
                algo = p.algo();
                workspaceBytes = p.memory();
                return true;
            }
            return false;
        }

        CUdeviceptr zeroBiasPtr() {
            if (zeroBias == null) zeroBias = backend.allocate(oc, "cuDNN zero bias"); // allocations are zeroed
            return ((CudaBuffer) zeroBias).ptr();
        }

        void close() {
            cudnnDestroyTensorDescriptor(x);
            cudnnDestroyTensorDescriptor(y);
            cudnnDestroyTensorDescriptor(bias);
            cudnnDestroyFilterDescriptor(w);
            cudnnDestroyConvolutionDescriptor(conv);
            cudnnDestroyActivationDescriptor(act);
            if (zeroBias != null) zeroBias.close();
        }
    }

    @Override
    public void close() {
        for (Plan p : plans.values()) p.close();
        plans.clear();
        if (workspace != null) workspace.close();
        workspace = null;
        cudnnDestroy(handle);
        one.close();
        zero.close();
    }

    static void check(int status, String what) {
        if (status == CUDNN_STATUS_SUCCESS) return;
        String name = cudnnGetErrorString(status).getString();
        if (status == CUDNN_STATUS_ALLOC_FAILED) {
            throw new DeviceOutOfMemoryException(what + " failed: " + name + "; use a smaller batch or input size");
        }
        throw new GapnetException("cuDNN: " + what + " failed: " + name + " (run with -Dgapnet.cuda.cudnn=false to use"
                + " gapnet's own convolution kernels)");
    }
}
