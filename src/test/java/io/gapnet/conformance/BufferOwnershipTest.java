package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.ClosedException;
import io.gapnet.GapnetException;
import io.gapnet.backend.DeviceBuffer;
import io.gapnet.backend.Queue;
import io.gapnet.backend.cpu.CpuBackend;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** On every available backend, buffers are tied to the backend that made them and refuse use after close. */
class BufferOwnershipTest {
    @TestFactory
    Stream<DynamicTest> buffersKnowTheirBackend() {
        return Require.perBackend("foreign and closed buffers are refused", b -> {
            try (CpuBackend other = new CpuBackend(); Queue q = b.openQueue()) {
                DeviceBuffer foreign = other.allocate(4, "foreign");
                DeviceBuffer mine = b.allocate(4, "mine");
                GapnetException e = assertThrows(GapnetException.class, () -> q.kernels().copy(4, foreign, mine));
                assertTrue(e.getMessage().contains("'foreign'"), e.getMessage());
                mine.close();
                mine.close();
                ClosedException c = assertThrows(ClosedException.class, () -> q.upload(new float[4], 0, mine, 0, 4));
                assertTrue(c.getMessage().contains("'mine'"), c.getMessage());
                foreign.close();
            }
        });
    }
}
