package io.gapnet.backend.cuda;

import io.gapnet.backend.Backend;
import io.gapnet.backend.BackendProvider;
import io.gapnet.backend.DeviceInfo;
import java.util.ArrayList;
import java.util.List;

/** Registers the CUDA backend: one device per NVIDIA GPU the driver reports. */
public final class CudaProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (CudaDevice d : CudaLibrary.devices()) out.add(CudaBackend.info(d));
        return out;
    }

    @Override
    public Backend open(int index) {
        return new CudaBackend(CudaLibrary.devices().get(index));
    }
}
