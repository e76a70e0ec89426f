package io.gapnet.backend.cuda;

import io.gapnet.ClosedException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Kernels;
import io.gapnet.backend.Queue;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.IdentityHashMap;
import java.util.Map;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA stream with its pinned host staging buffer (copies go through page-locked memory with
 * cuMemcpy*Async on the stream; an upload returns without waiting for its copy, so the kernels after it are
 * enqueued while it runs), cuBLAS and cuDNN handles bound to the stream when those libraries are available,
 * and device copies of the constant index arrays its Gather steps use.
 */
final class CudaQueue implements Queue {
    private final CudaBackend backend;
    private final CUstream stream;
    private final CudaKernels ops;
    private final Map<int[], CUdeviceptr> indexBuffers = new IdentityHashMap<>();
    private Pointer staging;
    private long stagingBytes;
    private CUevent stagingFree;
    private boolean stagingBusy;
    private Sgemm blas;
    private boolean blasChosen;
    private Cudnn cudnn;
    private boolean cudnnChosen;
    private boolean closed;

    CudaQueue(CudaBackend backend, CUstream stream) {
        this.backend = backend;
        this.stream = stream;
        this.ops = new CudaKernels(backend, this);
    }

    CUstream stream() {
        if (closed) throw new ClosedException("CUDA stream of " + backend.name());
        backend.makeCurrent();
        return stream;
    }

    /** This stream's cuBLAS sgemm (13 or 12, chosen at first use), or null when gapnet's own SGEMM runs. */
    Sgemm blas() {
        if (!blasChosen) {
            CUstream s = stream();
            blas = switch (CudaLibrary.gemm()) {
                case CUBLAS13 -> new Sgemm.Cublas13(s, CudaLibrary.tf32());
                case CUBLAS12 -> new Sgemm.Cublas12(s);
                case OWN -> null;
            };
            blasChosen = true;
        }
        return blas;
    }

    /** This stream's cuDNN (chosen at first use), or null when gapnet's own convolution kernels run. */
    Cudnn cudnn() {
        if (!cudnnChosen) {
            CUstream s = stream();
            cudnn = CudaLibrary.cudnn() ? new Cudnn(backend, s, CudaLibrary.tf32()) : null;
            cudnnChosen = true;
        }
        return cudnn;
    }

    /** What became of one key's work: how often it ran, its instantiated graph, or why it has none. */
    private static final class Recording {
        int runs;
        CUgraphExec exec;
        String failure;
    }

    private final Map<Object, Recording> recordings = new IdentityHashMap<>();
    /** Graph launches by every queue (tests read it). */
    static final java.util.concurrent.atomic.AtomicLong GRAPH_LAUNCHES = new java.util.concurrent.atomic.AtomicLong();
    /** The last reason a recording could not become a graph, for the device report; null when none failed. */
    static volatile String lastGraphFailure;

    /**
     * The work as a CUDA graph: run directly the first time (cuDNN measures its algorithms, workspaces and modules are
     * made, none of which a capture allows), captured on this stream the second time (thread-local mode: only this
     * thread's calls are restricted) and instantiated, and replayed with one cuGraphLaunch from then on. Work that
     * cannot be captured (it waits, copies to the host or allocates) invalidates the capture; it then runs directly,
     * now and every time after, and the reason is kept for the device report. Off with -Dgapnet.cuda.graphs=false and
     * while -Dgapnet.cuda.syncEachLaunch=true waits after every launch.
     */
    @Override
    public void replay(Object key, Runnable work) {
        if (!CudaLibrary.graphs() || CudaKernels.syncEachLaunch()) {
            work.run();
            return;
        }
        CUstream s = stream();
        Recording r = recordings.computeIfAbsent(key, k -> new Recording());
        if (r.exec != null) {
            CuCheck.check(JCudaDriver.cuGraphLaunch(r.exec, s), "cuGraphLaunch");
            GRAPH_LAUNCHES.incrementAndGet();
            return;
        }
        if (r.failure != null || r.runs++ == 0) {
            work.run();
            return;
        }
        CuCheck.check(JCudaDriver.cuStreamBeginCapture(s, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        RuntimeException thrown = null;
        try {
            work.run();
        } catch (RuntimeException e) {
            thrown = e;
        }
        CUgraph graph = new CUgraph();
        int end = JCudaDriver.cuStreamEndCapture(s, graph);
        if (thrown == null && end == CUresult.CUDA_SUCCESS) {
            CUgraphExec exec = new CUgraphExec();
            int inst = JCudaDriver.cuGraphInstantiate(exec, graph, 0);
            JCudaDriver.cuGraphDestroy(graph);
            if (inst == CUresult.CUDA_SUCCESS) {
                r.exec = exec;
                CuCheck.check(JCudaDriver.cuGraphLaunch(exec, s), "cuGraphLaunch");
                GRAPH_LAUNCHES.incrementAndGet();
                return;
            }
            r.failure = "cuGraphInstantiate failed: " + CUresult.stringFor(inst);
        } else {
            if (end == CUresult.CUDA_SUCCESS) JCudaDriver.cuGraphDestroy(graph);
            r.failure = thrown != null ? thrown.getMessage() : "cuStreamEndCapture failed: " + CUresult.stringFor(end);
        }
        lastGraphFailure = r.failure;
        work.run(); // nothing of a failed capture ran
    }

    /** A device copy of a constant int array, kept for the life of this queue. */
    CUdeviceptr indices(int[] values) {
        CUdeviceptr p = indexBuffers.get(values);
        if (p != null) return p;
        stream();
        p = new CUdeviceptr();
        CuCheck.check(JCudaDriver.cuMemAlloc(p, Math.max(1, values.length) * (long) Sizeof.INT), "cuMemAlloc (gather indices)");
        if (values.length > 0) {
            // a synchronous copy: an asynchronous one may not read from a Java array, which the GC can move
            CuCheck.check(JCudaDriver.cuMemcpyHtoD(p, Pointer.to(values), values.length * (long) Sizeof.INT),
                    "cuMemcpyHtoD (gather indices)");
        }
        indexBuffers.put(values, p);
        return p;
    }

    /**
     * The pinned staging buffer, at least {@code bytes} long, once the last copy from it has finished (an upload does
     * not wait for its copy: the kernels after it are enqueued while it runs).
     */
    private FloatBuffer stage(long bytes) {
        if (stagingBusy) {
            CuCheck.check(JCudaDriver.cuEventSynchronize(stagingFree), "cuEventSynchronize (staging buffer)");
            stagingBusy = false;
        }
        if (bytes > stagingBytes) {
            if (staging != null) JCudaDriver.cuMemFreeHost(staging);
            staging = new Pointer();
            long size = Math.max(bytes, 1 << 20);
            CuCheck.check(JCudaDriver.cuMemAllocHost(staging, size), "cuMemAllocHost of " + size + " bytes (pinned staging)");
            stagingBytes = size;
        }
        return staging.getByteBuffer(0, bytes).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Kernels kernels() {
        return ops;
    }

    @Override
    public void upload(float[] src, int srcOffset, DeviceBuffer dst, long dstOffset, int count) {
        dst.checkWritable(backend, dstOffset + count, "upload");
        if (count == 0) return;
        CUstream s = stream();
        long bytes = (long) count * Sizeof.FLOAT;
        stage(bytes).put(src, srcOffset, count);
        CuCheck.check(JCudaDriver.cuMemcpyHtoDAsync(((CudaBuffer) dst).ptr().withByteOffset(dstOffset * Sizeof.FLOAT),
                staging, bytes, s), "cuMemcpyHtoDAsync to " + dst.describe());
        // the next use of the staging buffer waits for this event, not the caller now
        if (stagingFree == null) {
            stagingFree = new CUevent();
            CuCheck.check(JCudaDriver.cuEventCreate(stagingFree, CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
        }
        CuCheck.check(JCudaDriver.cuEventRecord(stagingFree, s), "cuEventRecord (upload)");
        stagingBusy = true;
    }

    @Override
    public void download(DeviceBuffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        src.check(backend, srcOffset + count, "download");
        if (count == 0) return;
        CUstream s = stream();
        long bytes = (long) count * Sizeof.FLOAT;
        FloatBuffer host = stage(bytes);
        CuCheck.check(JCudaDriver.cuMemcpyDtoHAsync(staging, ((CudaBuffer) src).ptr().withByteOffset(srcOffset * Sizeof.FLOAT),
                bytes, s), "cuMemcpyDtoHAsync from " + src.describe());
        CuCheck.check(JCudaDriver.cuStreamSynchronize(s), "cuStreamSynchronize after download");
        host.get(dst, dstOffset, count);
    }

    @Override
    public void synchronize() {
        CuCheck.check(JCudaDriver.cuStreamSynchronize(stream()), "cuStreamSynchronize");
    }

    @Override
    public void close() {
        if (closed) return;
        backend.makeCurrent();
        JCudaDriver.cuStreamSynchronize(stream);
        closed = true;
        for (Recording r : recordings.values()) if (r.exec != null) JCudaDriver.cuGraphExecDestroy(r.exec);
        recordings.clear();
        if (blas != null) blas.close();
        if (cudnn != null) cudnn.close();
        for (CUdeviceptr p : indexBuffers.values()) JCudaDriver.cuMemFree(p);
        indexBuffers.clear();
        if (staging != null) JCudaDriver.cuMemFreeHost(staging);
        if (stagingFree != null) JCudaDriver.cuEventDestroy(stagingFree);
        JCudaDriver.cuStreamDestroy(stream);
    }
}
