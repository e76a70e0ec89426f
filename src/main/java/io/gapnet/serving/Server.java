package io.gapnet.serving;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gapnet.GapnetException;
import io.gapnet.InvalidImageException;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * An HTTP front end for one Session (the JDK's built-in server, module jdk.httpserver):
 * {@code POST /classify} (image bytes in, top-K JSON out), {@code POST /embed} (the GAP vector),
 * {@code GET /health} and {@code GET /metrics} (requests, errors, latency percentiles, batch sizes).
 * Requests go through a {@link Batcher}; bodies over the size limit get 413; bad requests get 4xx with a
 * JSON error.
 */
public final class Server implements AutoCloseable {
    /** How the server behaves. */
    public record Config(int port, int maxBatch, Duration maxDelay, int parallelism, long maxRequestBytes, int top,
                         Preprocessing preprocessing, IntFunction<String> labels) {}

    private final Session session;
    private final Config config;
    private final Batcher batcher;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final AtomicLong requests = new AtomicLong(), errors = new AtomicLong();
    private final long[] latencies = new long[10_000];
    private long latencyCount;
    private final boolean softmax;
    private final String embedding;

    public Server(Session session, Config config) throws IOException {
        this.session = session;
        this.config = config;
        this.softmax = !session.endsInSoftmax();
        String emb;
        try {
            emb = session.embeddingValue();
        } catch (GapnetException e) {
            emb = null; // /embed answers 404 for models without a GAP head
        }
        this.embedding = emb;
        this.batcher = new Batcher(session, embedding == null ? List.of() : List.of(embedding), config.maxBatch(),
                config.maxDelay(), config.parallelism());
        this.http = HttpServer.create(new InetSocketAddress("127.0.0.1", config.port()), 0);
        this.handlers = Executors.newFixedThreadPool(Math.max(8, config.maxBatch() * 2));
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The port the server listens on (useful when started on port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        long t0 = System.nanoTime();
        requests.incrementAndGet();
        int status;
        String body;
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case "/health":
                    requireMethod(method, "GET");
                    status = 200;
                    body = "{\"status\":\"ok\",\"backend\":" + quote(session.backend().name()) + ",\"model\":"
                            + quote(session.graph().name()) + "}";
                    break;
                case "/metrics":
                    requireMethod(method, "GET");
                    status = 200;
                    body = metrics();
                    break;
                case "/classify":
                case "/embed":
                    requireMethod(method, "POST");
                    if (path.equals("/embed") && embedding == null) {
                        throw new HttpError(404, "this model has no GAP embedding");
                    }
                    Tensor x = Images.toTensor(Images.decode(new ByteArrayInputStream(readBody(ex)), "request body"),
                            config.preprocessing());
                    Map<String, Tensor> out = batcher.submit(x).join();
                    status = 200;
                    body = path.equals("/embed") ? embeddingJson(out.get(embedding)) : topJson(out.values().iterator().next());
                    break;
                default:
                    throw new HttpError(404, "no such endpoint: " + path + " (POST /classify, POST /embed, GET /health, GET /metrics)");
            }
        } catch (HttpError e) {
            status = e.status;
            body = error(e.getMessage());
        } catch (InvalidImageException e) {
            status = 400;
            body = error(e.getMessage());
        } catch (CompletionException e) {
            status = e.getCause() instanceof io.gapnet.ShapeException ? 400 : 500;
            body = error(String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        } catch (GapnetException e) {
            status = 400;
            body = error(e.getMessage());
        } catch (RuntimeException e) {
            status = 500;
            body = error("internal error: " + e);
        }
        if (status >= 400) errors.incrementAndGet();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
        recordLatency(System.nanoTime() - t0);
    }

    private static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) throw new HttpError(405, "use " + allowed + " here, not " + method);
    }

    private byte[] readBody(HttpExchange ex) throws IOException {
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared) > config.maxRequestBytes()) {
                    throw new HttpError(413, "request body of " + declared + " bytes is over the limit of " + config.maxRequestBytes());
                }
            } catch (NumberFormatException e) {
                throw new HttpError(400, "bad Content-Length: " + declared);
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, config.maxRequestBytes() + 1));
            if (data.length > config.maxRequestBytes()) {
                throw new HttpError(413, "request body is over the limit of " + config.maxRequestBytes() + " bytes");
            }
            if (data.length == 0) throw new HttpError(400, "empty request body: send the image bytes (PNG or JPEG)");
            return data;
        }
    }

    private String topJson(Tensor scores) {
        List<Prediction> top = Session.topK(scores, config.top(), softmax).get(0);
        StringBuilder sb = new StringBuilder("{\"top\":[");
        for (int i = 0; i < top.size(); i++) {
            Prediction p = top.get(i);
            sb.append(i > 0 ? "," : "").append("{\"index\":").append(p.index()).append(",\"label\":")
                    .append(quote(config.labels().apply(p.index()))).append(",\"probability\":").append(p.probability()).append('}');
        }
        return sb.append("]}").toString();
    }

    private static String embeddingJson(Tensor e) {
        StringBuilder sb = new StringBuilder("{\"embedding\":[");
        float[] v = e.floats();
        for (int i = 0; i < v.length; i++) sb.append(i > 0 ? "," : "").append(v[i]);
        return sb.append("]}").toString();
    }

    private synchronized void recordLatency(long nanos) {
        latencies[(int) (latencyCount++ % latencies.length)] = nanos;
    }

    private synchronized String metrics() {
        int n = (int) Math.min(latencyCount, latencies.length);
        long[] sorted = Arrays.copyOf(latencies, n);
        Arrays.sort(sorted);
        StringBuilder sb = new StringBuilder("{\"requests\":").append(requests.get()).append(",\"errors\":").append(errors.get())
                .append(",\"latency_ms\":{");
        double[] qs = {0.5, 0.9, 0.99};
        for (int i = 0; i < qs.length; i++) {
            double ms = n == 0 ? 0 : sorted[Math.min(n - 1, (int) Math.floor(qs[i] * n))] / 1e6;
            sb.append(i > 0 ? "," : "").append("\"p").append((int) Math.round(qs[i] * 100)).append("\":")
                    .append(String.format(java.util.Locale.ROOT, "%.3f", ms));
        }
        sb.append("},\"batch_sizes\":{");
        long[] counts = batcher.batchSizeCounts();
        boolean first = true;
        for (int size = 1; size < counts.length; size++) {
            if (counts[size] == 0) continue;
            sb.append(first ? "" : ",").append('"').append(size).append("\":").append(counts[size]);
            first = false;
        }
        return sb.append("}}").toString();
    }

    private static String error(String message) {
        return "{\"error\":" + quote(message) + "}";
    }

    static String quote(String s) {
        return io.gapnet.util.Json.quote(s);
    }

    /** Stops listening, lets queued requests finish, and stops the batcher (the Session stays open). */
    @Override
    public void close() {
        http.stop(1);
        batcher.close();
        handlers.shutdown();
    }
}
