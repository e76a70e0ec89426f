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
        Preprocessing pre = Preprocessing.builder().resizeShorter(8).centerCrop(8).mean(0.5f).std(0.25f).build();
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
    void aClientStillSendingARefusedBodyReadsTheAnswer() throws Exception {
        // refused by its Content-Length before the body was read: a connection closed while the client still sends
        // breaks its pipe, and Java's HttpClient then drops the exchange without reading the answer
        for (int attempt = 0; attempt < 50; attempt++) {
            HttpResponse<String> big = post("/classify", new byte[200_000]);
            assertEquals(413, big.statusCode(), "attempt " + attempt + ": " + big.body());
            assertTrue(big.body().contains("over the limit of 100000"), big.body());
        }
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
        HttpResponse<String> m = client.send(HttpRequest.newBuilder(uri("/metrics.json")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, m.statusCode());
        assertTrue(m.body().matches("\\{\"requests\":\\d+,\"errors\":\\d+,\"latency_ms\":\\{\"p50\":[0-9.]+,\"p90\":[0-9.]+,\"p99\":[0-9.]+},"
                + "\"batch_sizes\":\\{.*}}"), m.body());
    }

    static HttpResponse<String> send(Server on, String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + on.port() + path));
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line of the Prometheus text, such as {@code gapnet_requests_total{endpoint="/embed",status="200"}}. */
    static double sample(String text, String name, String labels) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + java.util.regex.Pattern.quote(name)
                + (labels.isEmpty() ? "" : "\\{" + java.util.regex.Pattern.quote(labels) + ",?}") + " ([0-9.eE+-]+)$").matcher(text);
        assertTrue(m.find(), name + "{" + labels + "} is not in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void prometheusMetricsCountInferenceRequestsOnly() throws Exception {
        Preprocessing pre = Preprocessing.builder().resizeShorter(8).centerCrop(8).mean(0.5f).std(0.25f).build();
        try (Server own = new Server(session, new Server.Config(0, 8, Duration.ofMillis(1), 2, 100_000, 2, pre, i -> "c" + i))) {
            for (int i = 0; i < 5; i++) assertEquals(200, send(own, "POST", "/classify", png(12, 9, i), null).statusCode());
            for (int i = 0; i < 2; i++) assertEquals(200, send(own, "POST", "/embed", png(9, 12, i), null).statusCode());
            assertEquals(400, send(own, "POST", "/classify", "junk".getBytes(), null).statusCode());
            for (int i = 0; i < 3; i++) assertEquals(200, send(own, "GET", "/health", null, null).statusCode());
            assertEquals(200, send(own, "GET", "/metrics.json", null, null).statusCode());
            HttpResponse<String> r = send(own, "GET", "/metrics", null, null);
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"), r.headers().toString());
            String t = r.body();
            assertTrue(t.contains("# TYPE gapnet_requests_total counter"), t);
            assertEquals(5, sample(t, "gapnet_requests_total", "endpoint=\"/classify\",status=\"200\""));
            assertEquals(1, sample(t, "gapnet_requests_total", "endpoint=\"/classify\",status=\"400\""));
            assertEquals(2, sample(t, "gapnet_requests_total", "endpoint=\"/embed\",status=\"200\""));
            assertTrue(!t.contains("endpoint=\"/health\"") && !t.contains("endpoint=\"/metrics"), "probes are not counted:\n" + t);
            assertTrue(t.contains("# TYPE gapnet_request_seconds histogram"), t);
            assertEquals(6, sample(t, "gapnet_request_seconds_bucket", "endpoint=\"/classify\",le=\"+Inf\""));
            assertTrue(t.contains("# TYPE gapnet_batch_size_images histogram"), t);
            // the junk never reached the model: 7 images in all, each batch of 1 to 8
            assertEquals(7, sample(t, "gapnet_batch_size_images_sum", ""));
            assertEquals(sample(t, "gapnet_batch_size_images_count", ""), sample(t, "gapnet_batch_size_images_bucket", "le=\"8.0\""));
            assertEquals(sample(t, "gapnet_batch_size_images_count", ""), sample(t, "gapnet_batch_inference_seconds_count", ""));
            assertEquals(0, sample(t, "gapnet_queue_depth", ""));
            assertEquals(0, sample(t, "gapnet_requests_in_progress", ""));
            assertTrue(sample(t, "gapnet_device_memory_bytes", "") >= 0);
        }
    }

    @Test
    void topQueryParameterAndMultipartForms() throws Exception {
        byte[] img = png(14, 10, 7);
        String raw = post("/classify", img).body();
        assertEquals(1, send(server, "POST", "/classify?top=1", img, null).body().split("\"index\"").length - 1);
        assertEquals(3, send(server, "POST", "/classify?top=3", img, null).body().split("\"index\"").length - 1);
        HttpResponse<String> tooMany = send(server, "POST", "/classify?top=4", img, null);
        assertEquals(400, tooMany.statusCode());
        assertTrue(tooMany.body().contains("from 1 to 3"), tooMany.body());
        assertEquals("close", tooMany.headers().firstValue("Connection").orElse(""), "refused with its body unread");
        assertEquals(400, send(server, "POST", "/classify?top=two", img, null).statusCode());
        assertEquals(400, send(server, "POST", "/classify?top=0", img, null).statusCode());

        String boundary = "gapnetBoundary42";
        java.util.function.BiFunction<String, String, byte[]> form = (name, fileName) -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n").getBytes());
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                    + (fileName == null ? "" : "; filename=\"" + fileName + "\"") + "\r\nContent-Type: image/png\r\n\r\n").getBytes());
            out.writeBytes(img);
            out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes());
            return out.toByteArray();
        };
        String type = "multipart/form-data; boundary=" + boundary;
        HttpResponse<String> named = send(server, "POST", "/classify", form.apply("image", null), type);
        assertEquals(200, named.statusCode(), named.body());
        assertEquals(raw, named.body(), "the form's image part is classified like the raw body");
        assertEquals(raw, send(server, "POST", "/classify", form.apply("upload", "cat.png"), type).body());
        HttpResponse<String> none = send(server, "POST", "/classify", form.apply("other", null), type);
        assertEquals(400, none.statusCode());
        assertTrue(none.body().contains("name the image's part 'image'"), none.body());
        HttpResponse<String> broken = send(server, "POST", "/classify", "--x\r\nno end".getBytes(), "multipart/form-data; boundary=x");
        assertEquals(400, broken.statusCode(), broken.body());
    }
}
