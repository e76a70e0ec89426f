package io.gapnet.backend.cpu;

import io.gapnet.backend.Backend;
import io.gapnet.backend.BackendProvider;
import io.gapnet.backend.DeviceInfo;
import java.util.List;

/** Registers the fast CPU backend, {@code cpu}; it is always available. */
public final class CpuProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public List<DeviceInfo> devices() {
        return List.of(CpuBackend.fast().device());
    }

    @Override
    public Backend open(int index) {
        return CpuBackend.fast();
    }

    /** Registers the CPU reference backend, {@code cpu-ref}: the specification. */
    public static final class Reference implements BackendProvider {
        @Override
        public String name() {
            return "cpu-ref";
        }

        @Override
        public List<DeviceInfo> devices() {
            return List.of(new CpuBackend().device());
        }

        @Override
        public Backend open(int index) {
            return new CpuBackend();
        }
    }
}
