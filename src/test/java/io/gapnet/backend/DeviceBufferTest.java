package io.gapnet.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.BackendUnavailableException;
import io.gapnet.ClosedException;
import io.gapnet.GapnetException;
import io.gapnet.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

class DeviceBufferTest {
    @Test
    void closeIsIdempotentAndCounted() {
        try (CpuBackend cpu = new CpuBackend()) {
            DeviceBuffer b = cpu.allocate(10, "scratch");
            assertEquals(1, cpu.liveAllocations());
            assertEquals(40, cpu.liveBytes());
            b.close();
            b.close();
            assertTrue(b.isClosed());
            assertEquals(0, cpu.liveAllocations());
            assertEquals(0, cpu.liveBytes());
        }
    }

    @Test
    void useAfterCloseNamesTheBuffer() {
        try (CpuBackend cpu = new CpuBackend(); Queue q = cpu.openQueue()) {
            DeviceBuffer b = cpu.allocate(4, "layer1 output");
            b.close();
            ClosedException e = assertThrows(ClosedException.class, () -> q.upload(new float[4], 0, b, 0, 4));
            assertTrue(e.getMessage().contains("DeviceBuffer 'layer1 output'"), e.getMessage());
            DeviceBuffer y = cpu.allocate(4, "y");
            assertThrows(ClosedException.class, () -> q.kernels().copy(4, b, y));
            y.close();
        }
    }

    @Test
    void buffersOfAnotherBackendAreRefused() {
        try (CpuBackend a = new CpuBackend(); CpuBackend b = new CpuBackend(); Queue qb = b.openQueue()) {
            DeviceBuffer x = a.allocate(4, "from a");
            DeviceBuffer y = b.allocate(4, "from b");
            GapnetException e = assertThrows(GapnetException.class, () -> qb.kernels().copy(4, x, y));
            assertTrue(e.getMessage().contains("only work with the backend that allocated them"), e.getMessage());
            x.close();
            y.close();
        }
    }

    @Test
    void tooSmallBufferIsRefused() {
        try (CpuBackend cpu = new CpuBackend(); Queue q = cpu.openQueue()) {
            DeviceBuffer x = cpu.allocate(4, "x");
            GapnetException e = assertThrows(GapnetException.class, () -> q.upload(new float[8], 0, x, 0, 8));
            assertTrue(e.getMessage().contains("holds 4 floats but upload needs 8"), e.getMessage());
            x.close();
        }
    }

    @Test
    void uploadAndDownloadRoundTrip() {
        try (CpuBackend cpu = new CpuBackend(); Queue q = cpu.openQueue(); DeviceBuffer x = cpu.allocate(5, "x")) {
            q.upload(new float[] {9, 1, 2, 3}, 1, x, 2, 3);
            float[] out = new float[6];
            q.download(x, 0, out, 1, 5);
            assertArrayEquals(new float[] {0, 0, 0, 1, 2, 3}, out);
        }
    }

    @Test
    void registryListsEveryBackendWithDevicesOrReason() {
        var entries = Backends.list();
        assertEquals("cpu", entries.get(0).name());
        assertTrue(entries.get(0).available());
        assertFalse(entries.get(0).devices().isEmpty());
        for (String name : Backends.KNOWN) {
            var e = entries.stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            assertTrue(e.available() || !e.reason().isEmpty(), name + " needs devices or a reason");
        }
        BackendUnavailableException ex = assertThrows(BackendUnavailableException.class, () -> Backends.open("tpu"));
        assertTrue(ex.getMessage().contains("available here: ["), ex.getMessage());
        assertThrows(BackendUnavailableException.class, () -> Backends.open("cpu:7"));
        try (Backend b = Backends.open("cpu")) {
            assertEquals("cpu", b.name());
        }
    }
}
