package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.Session;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP server exercised by a real HTTP client on the loopback interface. */
class ServerTest {
    static CpuBackend cpu;
    static Session session;
    static Server server;
    static HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void start() throws Exception {
        cpu = new CpuBackend();
        session = Session.open(TinyModels.rgbCnn(), cpu);
        Preprocessing pre = new Preprocessing(8, 8, 1, new float[] {0.5f}, new float[] {0.25f}, false, false);
        server = new Server(session, new Server.Config(0, 8, Duration.ofMillis(20), 2, 100_000, 2, pre, i -> "class" + i));
    }

    @AfterAll
    static void stop() {
        server.close();
        session.close();
        cpu.close();
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static byte[] png(int w, int h, int seed) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random r = new java.util.Random(seed);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static HttpResponse<String> post(String path, byte[] body) throws Exception {
        return client.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthAndClassifyAndEmbed() throws Exception {
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(uri("/health")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertTrue(health.body().contains("\"status\":\"ok\""), health.body());
        HttpResponse<String> r = post("/classify", png(20, 12, 1));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().startsWith("{\"top\":[{\"index\":"), r.body());
        assertTrue(r.body().contains("\"label\":\"class"), r.body());
        HttpResponse<String> e = post("/embed", png(20, 12, 1));
        assertEquals(200, e.statusCode(), e.body());
        assertTrue(e.body().startsWith("{\"embedding\":["), e.body());
        assertEquals(4, e.body().split(",").length, e.body());
    }

    @Test
    void badRequestsGet4xxWithJsonErrors() throws Exception {
        HttpResponse<String> junk = post("/classify", "not an image".getBytes());
        assertEquals(400, junk.statusCode());
        assertTrue(junk.body().startsWith("{\"error\":"), junk.body());
        assertEquals(400, post("/classify", new byte[0]).statusCode());
        HttpResponse<String> big = post("/classify", new byte[200_000]);
        assertEquals(413, big.statusCode(), big.body());
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(uri("/classify")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, get.statusCode());
        HttpResponse<String> none = client.send(HttpRequest.newBuilder(uri("/nope")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, none.statusCode());
        assertTrue(none.body().contains("POST /classify"), none.body());
    }

    @Test
    void concurrentLoadIsBatchedAndCounted() throws Exception {
        byte[][] images = new byte[3][];
        String[] single = new String[3];
        for (int i = 0; i < 3; i++) {
            images[i] = png(16, 16, 10 + i);
            single[i] = post("/classify", images[i]).body();
        }
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
            pending.add(client.sendAsync(HttpRequest.newBuilder(uri("/classify"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(images[k % 3])).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (int k = 0; k < 30; k++) {
            HttpResponse<String> r = pending.get(k).get();
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(single[k % 3], r.body(), "request " + k + " got another image's answer");
        }
        HttpResponse<String> m = client.send(HttpRequest.newBuilder(uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, m.statusCode());
        assertTrue(m.body().matches("\\{\"requests\":\\d+,\"errors\":\\d+,\"latency_ms\":\\{\"p50\":[0-9.]+,\"p90\":[0-9.]+,\"p99\":[0-9.]+},"
                + "\"batch_sizes\":\\{.*}}"), m.body());
    }
}
