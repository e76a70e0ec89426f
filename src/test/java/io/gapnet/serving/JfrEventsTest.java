package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JfrEventsTest {
    @Test
    void inferencesAndLayersAppearInARecording(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gapnet.jfr");
        try (Recording rec = new Recording(); CpuBackend cpu = new CpuBackend(); Session s = Session.open(TinyModels.rgbCnn(), cpu)) {
            rec.enable("io.gapnet.Inference");
            rec.enable("io.gapnet.Layer");
            rec.start();
            s.run(Tensor.zeros(1, 3, 4, 4));
            s.run(Tensor.zeros(2, 3, 4, 4));
            rec.stop();
            rec.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        long inferences = events.stream().filter(e -> e.getEventType().getName().equals("io.gapnet.Inference")).count();
        List<RecordedEvent> layers = events.stream().filter(e -> e.getEventType().getName().equals("io.gapnet.Layer")).toList();
        assertEquals(2, inferences);
        assertTrue(layers.size() >= 6, "layer events: " + layers.size());
        assertTrue(layers.stream().anyMatch(e -> "Conv+RELU".equals(e.getString("op"))), layers.toString());
    }
}
