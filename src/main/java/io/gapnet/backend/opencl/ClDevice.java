package io.gapnet.backend.opencl;

import io.gapnet.backend.HostMemory;

/** One OpenCL device as discovered: its handles and the facts `gapnet devices` shows. */
record ClDevice(int index, long platform, long device, String platformName, String name, boolean gpu, String type,
                int computeUnits, long globalMemory, long localMemory, long maxAllocation, long maxWorkGroup,
                String openclC, String driver, boolean sharesHostMemory) {
    /**
     * The most bytes of buffers gapnet keeps on this device at once: its global memory, and where its memory is
     * this process's host memory (a CPU device, an integrated GPU), no more than {@link HostMemory#shareForDevice()}.
     */
    long memoryLimit() {
        long share = sharesHostMemory ? HostMemory.shareForDevice() : -1;
        return share > 0 ? Math.min(globalMemory, share) : globalMemory;
    }
}
