package io.gapnet.backend.cuda;

/** One CUDA device as discovered by the driver API. */
record CudaDevice(int index, String name, long memory, int multiprocessors, int major, int minor, int driverVersion) {
    String computeCapability() {
        return major + "." + minor;
    }

    String driver() {
        return (driverVersion / 1000) + "." + (driverVersion % 1000 / 10);
    }
}
