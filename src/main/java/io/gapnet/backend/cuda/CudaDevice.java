package io.gapnet.backend.cuda;

/** One CUDA device as discovered by the driver API. */
record CudaDevice(int index, String name, long memory, int multiprocessors, int major, int minor, int driverVersion) {
    /** The name under which the CUDA simulator of gapnet's tests (src/test/cuda-sim) reports its device. */
    static final String SIMULATOR = "gapnet CUDA simulator";

    /** Whether this is the CUDA simulator: the real driver API and kernels, run on the CPU. */
    boolean simulated() {
        return name.startsWith(SIMULATOR);
    }

    String computeCapability() {
        return major + "." + minor;
    }

    String driver() {
        return (driverVersion / 1000) + "." + (driverVersion % 1000 / 10);
    }
}
