package io.gapnet.backend;

import java.util.List;

/**
 * Makes one kind of backend available to the {@link Backends} registry. Implementations are found with
 * {@link java.util.ServiceLoader} (META-INF/services/io.gapnet.backend.BackendProvider), so a new backend
 * plugs in without changing any caller.
 */
public interface BackendProvider {
    /** The backend's name, the first part of a selector such as {@code opencl:1}. */
    String name();

    /**
     * The devices this backend can use on this machine.
     *
     * @throws io.gapnet.BackendUnavailableException with the reason when the backend cannot run here
     */
    List<DeviceInfo> devices();

    /** Opens device {@code index} of {@link #devices()}. */
    Backend open(int index);

    /** The device {@code open} picks when none is named (for GPUs: the first GPU). */
    default int defaultDevice() {
        return 0;
    }
}
