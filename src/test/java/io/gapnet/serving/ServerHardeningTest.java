package io.gapnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.cpu.CpuBackend;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.Session;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server attacked as a hostile client would: slow headers, bodies that trickle or never end, many large images at
 * once, images of extreme aspect ratios. Every request gets an answer or is dropped within its limit, and
 * {@code /health} keeps answering throughout.
 */
class ServerHardeningTest {
    static final Preprocessing CROP = Preprocessing.builder().resizeShorter(8).centerCrop(8).mean(0.5f).std(0.25f).build();
    static CpuBackend cpu;
    static Session session;
    static HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void open() {
        cpu = new CpuBackend();
        session = Session.open(TinyModels.rgbCnn(), cpu);
    }

    @AfterAll
    static void close() {
        session.close();
        cpu.close();
    }

    static Server.Limits limits(long headerMs, long bodyMs, long decodePixels, long decodeWaitMs, long inferenceMs) {
        return new Server.Limits(Duration.ofMillis(headerMs), Duration.ofMillis(bodyMs), Duration.ofMillis(Math.min(headerMs, bodyMs)),
                1024, 256, decodePixels, Duration.ofMillis(decodeWaitMs), Duration.ofMillis(inferenceMs));
    }

    static Server start(Preprocessing pre, Duration maxDelay, Server.Limits limits) throws IOException {
        return new Server(session, new Server.Config(0, 8, maxDelay, 2, 4_000_000, 2, pre, i -> "class" + i).withLimits(limits));
    }

    static HttpResponse<String> get(Server s, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static CompletableFuture<HttpResponse<String>> post(Server s, String path, byte[] body) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static byte[] png(int w, int h) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(new Color(200, 30, 90));
        g.fillRect(0, 0, w, h);
        g.setColor(new Color(10, 220, 40));
        g.fillRect(0, 0, Math.max(1, w / 3), Math.max(1, h / 2));
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static long metric(Server s, String name) throws Exception {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(get(s, "/metrics.json").body());
        assertTrue(m.find());
        return Long.parseLong(m.group(1));
    }

    /** Asks /health every 100 ms while {@code attack} runs; every answer must be 200 within a second. */
    static List<Long> healthDuring(Server s, long millis) throws Exception {
        List<Long> times = new ArrayList<>();
        long end = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            HttpResponse<String> h = get(s, "/health");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, h.statusCode(), h.body());
            assertTrue(ms < 1000, "/health took " + ms + " ms under attack");
            times.add(ms);
            Thread.sleep(100);
        }
        return times;
    }

    /** Opens {@code n} connections that each send {@code start}, then {@code drip} every 200 ms until told to stop. */
    static final class Attackers implements AutoCloseable {
        final List<Socket> sockets = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread dripper;

        Attackers(Server s, int n, String start, String drip) throws IOException {
            for (int i = 0; i < n; i++) {
                Socket c = new Socket();
                c.connect(new InetSocketAddress("127.0.0.1", s.port()), 5000);
                c.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
                sockets.add(c);
            }
            byte[] d = drip.getBytes(StandardCharsets.US_ASCII);
            dripper = new Thread(() -> {
                while (!stop.get()) {
                    for (Socket c : sockets) {
                        try {
                            if (!c.isClosed()) c.getOutputStream().write(d);
                        } catch (IOException e) {
                            // the server dropped it: what the test wants to see
                        }
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            dripper.setDaemon(true);
            dripper.start();
        }

        /** What each connection got back before the server closed it (waits up to {@code waitMs} each). */
        List<String> answers(long waitMs) throws IOException {
            List<String> out = new ArrayList<>();
            long end = System.nanoTime() + waitMs * 1_000_000;
            for (Socket c : sockets) {
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                try {
                    InputStream in = c.getInputStream();
                    byte[] buf = new byte[4096];
                    while (true) {
                        long left = (end - System.nanoTime()) / 1_000_000;
                        if (left <= 0) {
                            got.write("<still open>".getBytes(StandardCharsets.US_ASCII));
                            break;
                        }
                        c.setSoTimeout((int) left);
                        int n = in.read(buf);
                        if (n < 0) break;
                        got.write(buf, 0, n);
                    }
                } catch (SocketTimeoutException e) {
                    got.write("<still open>".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // reset by the server: dropped
                }
                out.add(got.toString(StandardCharsets.US_ASCII));
            }
            return out;
        }

        @Override
        public void close() throws IOException {
            stop.set(true);
            dripper.interrupt();
            for (Socket c : sockets) c.close();
        }
    }

    @Test
    void slowHeadersAreDroppedWhileHealthKeepsAnswering() throws Exception {
        try (Server s = start(CROP, Duration.ofMillis(5), limits(3000, 5000, 50_000_000, 5000, 30_000));
             Attackers slow = new Attackers(s, 64, "POST /classify HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n")) {
            healthDuring(s, 2000); // all 64 are connected and still sending headers meanwhile
            List<String> answers = slow.answers(6000);
            for (String a : answers) {
                assertTrue(!a.contains("<still open>"), "a client that never finished its headers was not dropped: " + a);
                assertTrue(a.isEmpty() || a.startsWith("HTTP/1.1 4"), a);
            }
            HttpResponse<String> r = post(s, "/classify", png(20, 12)).get();
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void trickledAndEndlessBodiesGet408WhileHealthKeepsAnswering() throws Exception {
        String chunked = "POST /classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        try (Server s = start(CROP, Duration.ofMillis(5), limits(5000, 2000, 50_000_000, 5000, 30_000));
             Attackers slow = new Attackers(s, 64, chunked, "1\r\nA\r\n")) {
            long errors = metric(s, "errors");
            healthDuring(s, 1500);
            List<String> answers = slow.answers(6000);
            for (String a : answers) {
                assertTrue(a.isEmpty() || a.startsWith("HTTP/1.1 408"), "a body that never ended got " + a);
                assertTrue(!a.contains("<still open>"), a);
            }
            long answered = answers.stream().filter(a -> a.startsWith("HTTP/1.1 408")).count();
            assertTrue(answered > 0, "no trickling client was told 408: " + answers.get(0));
            assertTrue(metric(s, "errors") >= errors + answered);
            HttpResponse<String> r = post(s, "/classify", png(20, 12)).get();
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    void anEndlessFastBodyStopsAtTheSizeLimit() throws Exception {
        try (Server s = start(CROP, Duration.ofMillis(5), limits(5000, 20_000, 50_000_000, 5000, 30_000));
             Socket c = new Socket("127.0.0.1", s.port())) {
            c.setSoTimeout(20_000);
            OutputStream out = c.getOutputStream();
            out.write("POST /classify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = ("10000\r\n" + "A".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            String answer = "";
            try {
                for (int i = 0; i < 1000 && c.getInputStream().available() == 0; i++) out.write(chunk); // 64 MiB at most
            } catch (IOException e) {
                // closed after the answer
            }
            byte[] buf = new byte[4096];
            int n = c.getInputStream().read(buf);
            if (n > 0) answer = new String(buf, 0, n, StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("over the limit of 4000000"), answer);
        }
    }

    @Test
    void concurrentLargeImagesEachGetAnAnswerWithinTheDecodingBudget() throws Exception {
        byte[] large = png(2000, 2000); // 4 Mpixel: two do not fit a 6 Mpixel budget at once
        byte[] tooLarge = png(3000, 2500);
        try (Server s = start(CROP, Duration.ofMillis(5), limits(5000, 20_000, 6_000_000, 200, 30_000))) {
            long errors = metric(s, "errors");
            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
            for (int i = 0; i < 12; i++) pending.add(post(s, "/classify", large));
            HttpResponse<String> refused = post(s, "/classify", tooLarge).get();
            assertEquals(413, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("gapnet.server.decodePixels"), refused.body());
            Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
            String ok = null;
            for (CompletableFuture<HttpResponse<String>> f : pending) {
                HttpResponse<String> r = f.get(); // a silent timeout would throw here
                statuses.merge(r.statusCode(), 1, Integer::sum);
                assertTrue(r.statusCode() == 200 || r.statusCode() == 503, r.statusCode() + " " + r.body());
                if (r.statusCode() == 503) {
                    assertTrue(r.body().contains("retry"), r.body());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
                } else if (ok == null) {
                    ok = r.body();
                } else {
                    assertEquals(ok, r.body(), "the same image answered differently");
                }
            }
            assertTrue(statuses.getOrDefault(200, 0) >= 1, statuses.toString());
            assertEquals(errors + 1 + statuses.getOrDefault(503, 0), metric(s, "errors"), statuses.toString());
        }
    }

    @Test
    void extremeAspectRatiosCostOnlyTheirCropOrAreRefusedWith413() throws Exception {
        byte[] wide = png(20_000, 1), tall = png(1, 65_535), widest = png(65_535, 1);
        try (Server s = start(CROP, Duration.ofMillis(5), limits(5000, 20_000, 1_000_000, 5000, 30_000))) {
            for (byte[] img : new byte[][] {wide, tall, widest}) {
                HttpResponse<String> r = post(s, "/classify", img).get();
                assertEquals(200, r.statusCode(), r.body());
            }
        }
        Preprocessing noCrop = Preprocessing.builder().resizeShorter(256).mean(0.5f).std(0.25f).build();
        try (Server s = start(noCrop, Duration.ofMillis(5), limits(5000, 20_000, 50_000_000, 5000, 30_000))) {
            long errors = metric(s, "errors");
            Function<byte[], HttpResponse<String>> send = img -> post(s, "/classify", img).join();
            for (byte[] img : new byte[][] {wide, tall, widest}) {
                HttpResponse<String> r = send.apply(img);
                assertEquals(413, r.statusCode(), r.body());
                assertTrue(r.body().contains("use a centre crop") || r.body().contains("decodePixels"), r.body());
            }
            assertEquals(errors + 3, metric(s, "errors"));
            assertEquals(200, get(s, "/health").statusCode());
        }
    }

    @Test
    void aModelThatDoesNotAnswerInTimeGets503() throws Exception {
        // the batch waits 3 s for company, longer than the 300 ms a request may wait for the model
        try (Server s = start(CROP, Duration.ofSeconds(3), limits(5000, 20_000, 50_000_000, 5000, 300))) {
            HttpResponse<String> r = post(s, "/classify", png(20, 12)).get();
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("did not answer within"), r.body());
            assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
        }
    }

    @Test
    void limitsAreValidated() {
        org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.GapnetException.class, () -> limits(0, 1000, 10, 10, 10));
        org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.GapnetException.class, () -> limits(1000, 1000, 0, 10, 10));
        System.setProperty("gapnet.server.maxRequests", "lots");
        try {
            io.gapnet.GapnetException e = org.junit.jupiter.api.Assertions.assertThrows(io.gapnet.GapnetException.class,
                    Server.Limits::defaults);
            assertTrue(e.getMessage().contains("gapnet.server.maxRequests"), e.getMessage());
        } finally {
            System.clearProperty("gapnet.server.maxRequests");
        }
    }
}
