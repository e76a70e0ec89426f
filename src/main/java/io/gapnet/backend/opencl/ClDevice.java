package io.gapnet.backend.opencl;

/** One OpenCL device as discovered: its handles and the facts `gapnet devices` shows. */
record ClDevice(int index, long platform, long device, String platformName, String name, boolean gpu, String type,
                int computeUnits, long globalMemory, long localMemory, long maxAllocation, long maxWorkGroup,
                String openclC, String driver) {}
