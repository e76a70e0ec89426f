package io.gapnet.backend;

import io.gapnet.BackendUnavailableException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The registry of backends: every known backend with its devices, or the reason it cannot run here.
 * Select one with a name such as {@code cpu}, {@code opencl}, {@code opencl:1} or {@code cuda:0}.
 */
public final class Backends {
    /** The backends gapnet knows of, in preference order for display. */
    public static final List<String> KNOWN = List.of("cpu", "cpu-ref", "opencl", "cuda");

    /** One backend's status. */
    public record Entry(String name, boolean available, String reason, List<DeviceInfo> devices) {}

    private Backends() {}

    private static Map<String, BackendProvider> providers() {
        Map<String, BackendProvider> m = new LinkedHashMap<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            m.put(p.name(), p);
        }
        return m;
    }

    /** Every known or provided backend, available or not, with devices or the reason. */
    public static List<Entry> list() {
        Map<String, BackendProvider> providers = providers();
        List<String> names = new ArrayList<>(KNOWN);
        for (String n : providers.keySet()) if (!names.contains(n)) names.add(n);
        List<Entry> out = new ArrayList<>();
        for (String n : names) {
            BackendProvider p = providers.get(n);
            if (p == null) {
                out.add(new Entry(n, false, "not included in this build of gapnet", List.of()));
                continue;
            }
            try {
                List<DeviceInfo> devices = p.devices();
                out.add(devices.isEmpty() ? new Entry(n, false, "no device found", devices) : new Entry(n, true, null, devices));
            } catch (BackendUnavailableException e) {
                out.add(new Entry(n, false, e.getMessage(), List.of()));
            } catch (RuntimeException | LinkageError e) {
                out.add(new Entry(n, false, "failed to load: " + e, List.of()));
            }
        }
        return out;
    }

    /** Names of backends that can run here, such as [cpu, opencl]. */
    public static List<String> available() {
        List<String> r = new ArrayList<>();
        for (Entry e : list()) if (e.available()) r.add(e.name());
        return r;
    }

    /**
     * Opens a backend by selector: {@code name} (its default device) or {@code name:index}.
     *
     * @throws BackendUnavailableException naming the reason and the backends that are available
     */
    public static Backend open(String selector) {
        String name = selector;
        int index = -1;
        int colon = selector.indexOf(':');
        if (colon >= 0) {
            name = selector.substring(0, colon);
            try {
                index = Integer.parseInt(selector.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new BackendUnavailableException("backend selector '" + selector + "' is not NAME or NAME:INDEX");
            }
        }
        BackendProvider p = providers().get(name);
        if (p == null) {
            throw new BackendUnavailableException("backend '" + name + "' is " + (KNOWN.contains(name)
                    ? "not included in this build of gapnet" : "unknown") + "; available here: " + available()
                    + " (see `gapnet devices`)");
        }
        List<DeviceInfo> devices;
        try {
            devices = p.devices();
        } catch (BackendUnavailableException e) {
            throw new BackendUnavailableException("backend '" + name + "' cannot run here: " + e.getMessage(), e);
        }
        if (index < 0) index = p.defaultDevice();
        if (index >= devices.size()) {
            throw new BackendUnavailableException("backend '" + name + "' has " + devices.size() + " device(s); "
                    + selector + " does not exist (see `gapnet devices`)");
        }
        return p.open(index);
    }
}
