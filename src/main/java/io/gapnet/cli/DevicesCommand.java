package io.gapnet.cli;

import io.gapnet.backend.Backends;
import io.gapnet.backend.DeviceInfo;
import picocli.CommandLine.Command;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List every backend with its devices, or the reason it is unavailable.")
final class DevicesCommand implements Runnable {
    @Override
    public void run() {
        for (Backends.Entry e : Backends.list()) {
            if (!e.available()) {
                System.out.println(e.name() + ": unavailable (" + e.reason() + ")");
                continue;
            }
            System.out.println(e.name() + ": available, " + e.devices().size() + " device(s)");
            for (DeviceInfo d : e.devices()) {
                System.out.println("  " + d.id() + "  " + d.name());
                d.details().forEach((k, v) -> System.out.println("      " + k + ": " + v));
            }
        }
    }
}
