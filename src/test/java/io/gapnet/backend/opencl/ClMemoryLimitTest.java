package io.gapnet.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.HostMemory;
import org.junit.jupiter.api.Test;

/**
 * A device whose memory is the host's must not be allowed to grow the process past physical memory: PoCL
 * reported 22 GiB of global memory and an 8 GiB buffer limit on a 24 GiB machine, and a model asking for
 * three 8 GiB outputs got the JVM killed by the kernel instead of a DeviceOutOfMemoryException.
 */
class ClMemoryLimitTest {
    static ClDevice device(long global, boolean sharesHost) {
        return new ClDevice(0, 0, 0, "test platform", "test device", !sharesHost, sharesHost ? "CPU" : "GPU", 2, global,
                64 << 10, global / 4, 256, "OpenCL C 1.2", "test", sharesHost);
    }

    @Test
    void aDeviceWithItsOwnMemoryMayUseAllOfIt() {
        long global = 80L << 30;
        assertEquals(global, device(global, false).memoryLimit());
    }

    @Test
    void aDeviceSharingHostMemoryLeavesTheJavaHeapAndAReserve() {
        long physical = HostMemory.physical();
        assertTrue(physical > 0, "the JVM reports this machine's physical memory");
        // a driver that claims as much memory as the machine has, like PoCL
        long limit = device(physical, true).memoryLimit();
        long heap = Runtime.getRuntime().maxMemory();
        long reserve = Math.max(1L << 30, physical / 8);
        assertEquals(Math.max(physical - heap - reserve, physical / 4), limit);
        assertTrue(limit < physical, "below physical memory");
        // and never more than the driver itself offers
        assertEquals(1L << 30, device(1L << 30, true).memoryLimit());
    }

    @Test
    void availableMemoryIsKnownAndBelowPhysical() {
        long available = HostMemory.available();
        assertTrue(available > 0 && available <= HostMemory.physical(), available + " of " + HostMemory.physical());
    }
}
