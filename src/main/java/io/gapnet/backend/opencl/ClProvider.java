package io.gapnet.backend.opencl;

import io.gapnet.backend.Backend;
import io.gapnet.backend.BackendProvider;
import io.gapnet.backend.DeviceInfo;
import java.util.ArrayList;
import java.util.List;

/** Registers the OpenCL backend: every device of every platform; the first GPU is the default. */
public final class ClProvider implements BackendProvider {
    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public List<DeviceInfo> devices() {
        List<DeviceInfo> out = new ArrayList<>();
        for (ClDevice d : ClLibrary.devices()) out.add(info(d));
        return out;
    }

    static DeviceInfo info(ClDevice d) {
        return new DeviceInfo("opencl", "opencl:" + d.index(), d.name(), ClBackend.details(d));
    }

    @Override
    public int defaultDevice() {
        for (ClDevice d : ClLibrary.devices()) if (d.gpu()) return d.index();
        return 0;
    }

    @Override
    public Backend open(int index) {
        return new ClBackend(ClLibrary.devices().get(index));
    }
}
