package io.gapnet.serving;

import io.gapnet.GapnetException;
import io.gapnet.ImageTooLargeException;
import io.gapnet.InvalidImageException;
import io.gapnet.image.Images;
import io.gapnet.image.Preprocessing;
import io.gapnet.runtime.Prediction;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Tensor;
import io.gapnet.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An HTTP front end for one Session (Jetty 12): {@code POST /classify} (image bytes in, top-K JSON out),
 * {@code POST /embed} (the GAP vector), {@code GET /health}, {@code GET /metrics} (the Prometheus text format, see
 * {@link ServerMetrics}) and {@code GET /metrics.json} (requests, errors, latency percentiles, batch sizes). An image
 * comes as the raw body or as a multipart form's part; {@code /classify?top=K} overrides the configured top-K.
 * Requests go through a {@link Batcher}.
 *
 * <p>Every request gets an answer or is dropped, never left waiting: a client that sends its headers too slowly is
 * disconnected ({@link Limits#headerTimeout}), a body that takes too long gets 408 ({@link Limits#bodyTimeout}), too
 * many image requests at once get 503 ({@link Limits#maxRequests}), an image that would not fit the decoding budget
 * gets 413 and one that must wait too long for it 503 ({@link Limits#decodePixels}), and a model that does not answer
 * in time 503 ({@link Limits#inferenceTimeout}). A client slow with its headers holds no thread (Jetty parses them
 * without blocking; one slow with its body holds one of {@link Limits#maxRequests} for at most the body timeout),
 * and {@code /health} needs neither a request slot nor decoding memory, so it keeps answering under any of these.
 * Errors are JSON ({@code {"error": ...}}) and count in {@code /metrics}; {@code /health} and the metrics are not
 * counted as requests.
 */
public final class Server implements AutoCloseable {
    /**
     * What the server protects itself with.
     *
     * @param headerTimeout longest a connection may take to send a request's headers (a slowloris is dropped)
     * @param bodyTimeout longest a request body may take to arrive (408 after it)
     * @param idleTimeout longest a read may wait for the next bytes
     * @param maxConnections most connections open at once (more wait to be accepted)
     * @param maxRequests most image requests in progress at once, from the first body byte to the answer (more get 503
     *     with Retry-After); each holds one HTTP thread, and the pool has 32 more, so {@code /health} always finds one
     * @param decodePixels most pixels being decoded at once, across requests (an image over it alone gets 413)
     * @param decodeWait longest an image waits for decoding memory (503 after it)
     * @param inferenceTimeout longest a request waits for the model (503 after it)
     */
    public record Limits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections, int maxRequests,
                         long decodePixels, Duration decodeWait, Duration inferenceTimeout) {
        public Limits {
            if (maxConnections < 1 || maxRequests < 1 || decodePixels < 1) {
                throw new GapnetException("server limits must be positive (connections " + maxConnections + ", requests "
                        + maxRequests + ", decode pixels " + decodePixels + ")");
            }
            for (Duration d : new Duration[] {headerTimeout, bodyTimeout, idleTimeout, decodeWait, inferenceTimeout}) {
                if (d == null || d.isNegative() || d.isZero()) throw new GapnetException("server timeouts must be positive, not " + d);
            }
        }

        /**
         * The defaults, each overridable with a system property: {@code gapnet.server.headerTimeoutMs} (10,000),
         * {@code bodyTimeoutMs} (30,000), {@code idleTimeoutMs} (10,000), {@code maxConnections} (1024), {@code
         * maxRequests} (256), {@code decodePixels} (half the heap at 24 bytes a pixel, for the decoded ARGB, the float
         * planes and the resampling, at least 16 Mi), {@code decodeWaitMs} (10,000), {@code inferenceTimeoutMs}
         * (60,000).
         */
        public static Limits defaults() {
            long pixels = Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 48);
            return new Limits(millis("headerTimeoutMs", 10_000), millis("bodyTimeoutMs", 30_000), millis("idleTimeoutMs", 10_000),
                    (int) number("maxConnections", 1024), (int) number("maxRequests", 256), number("decodePixels", pixels),
                    millis("decodeWaitMs", 10_000), millis("inferenceTimeoutMs", 60_000));
        }

        public Limits withMaxConnections(int n) {
            return new Limits(headerTimeout, bodyTimeout, idleTimeout, n, maxRequests, decodePixels, decodeWait, inferenceTimeout);
        }

        public Limits withMaxRequests(int n) {
            return new Limits(headerTimeout, bodyTimeout, idleTimeout, maxConnections, n, decodePixels, decodeWait, inferenceTimeout);
        }

        private static long number(String name, long fallback) {
            String v = System.getProperty("gapnet.server." + name);
            if (v == null) return fallback;
            try {
                long n = Long.parseLong(v.trim());
                if (n >= 1 && n <= Integer.MAX_VALUE || name.equals("decodePixels") && n >= 1) return n;
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new GapnetException("gapnet.server." + name + " must be a positive whole number, not '" + v + "'");
        }

        private static Duration millis(String name, long fallback) {
            return Duration.ofMillis(number(name, fallback));
        }
    }

    /** How the server behaves. */
    public record Config(String host, int port, int maxBatch, Duration maxDelay, int parallelism, long maxRequestBytes, int top,
                         Preprocessing preprocessing, IntFunction<String> labels, Limits limits) {
        /** On 127.0.0.1 with the default {@link Limits}. */
        public Config(int port, int maxBatch, Duration maxDelay, int parallelism, long maxRequestBytes, int top,
                      Preprocessing preprocessing, IntFunction<String> labels) {
            this("127.0.0.1", port, maxBatch, maxDelay, parallelism, maxRequestBytes, top, preprocessing, labels, Limits.defaults());
        }

        public Config withLimits(Limits l) {
            return new Config(host, port, maxBatch, maxDelay, parallelism, maxRequestBytes, top, preprocessing, labels, l);
        }
    }

    /** The most of a refused request's body that is read and dropped before the answer ({@link #discardBody}). */
    static final long DISCARD_BYTES = 8L << 20;
    /** The longest that reading and dropping a refused request's body may take. */
    static final Duration DISCARD_TIME = Duration.ofSeconds(2);

    private final Session session;
    private final Config config;
    private final Limits limits;
    private final Batcher batcher;
    private final org.eclipse.jetty.server.Server jetty;
    private final ServerConnector connector;
    private final SlowClients slowClients = new SlowClients();
    private final ScheduledExecutorService sweeper;
    private final Semaphore active;
    /** Decoding memory in units of 1024 pixels. */
    private final Semaphore decoding;
    private final int decodingUnits;
    private final AtomicLong requests = new AtomicLong(), errors = new AtomicLong();
    private final ServerMetrics metrics;
    private final int classes;
    private final long[] latencies = new long[10_000];
    private long latencyCount;
    private final boolean softmax;
    private final String embedding;

    public Server(Session session, Config config) throws IOException {
        this.session = session;
        this.config = config;
        this.limits = config.limits();
        this.softmax = !session.endsInSoftmax();
        String emb;
        try {
            emb = session.embeddingValue();
        } catch (GapnetException e) {
            emb = null; // /embed answers 404 for models without a GAP head
        }
        this.embedding = emb;
        this.active = new Semaphore(limits.maxRequests());
        this.decodingUnits = (int) Math.min(Integer.MAX_VALUE, Math.max(1, limits.decodePixels() >> 10));
        this.decoding = new Semaphore(decodingUnits);
        this.batcher = new Batcher(session, embedding == null ? List.of() : List.of(embedding), config.maxBatch(),
                config.maxDelay(), config.parallelism());
        this.metrics = new ServerMetrics(config.maxBatch(), batcher::queued,
                () -> limits.maxRequests() - active.availablePermits(), () -> session.backend().liveBytes());
        batcher.listener(metrics::batch);
        this.classes = classCount(session);

        QueuedThreadPool threads = new QueuedThreadPool(limits.maxRequests() + 32, 4);
        threads.setName("gapnet-http");
        threads.setDaemon(true);
        jetty = new org.eclipse.jetty.server.Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(16 << 10);
        connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        try {
            java.net.InetAddress.getByName(config.host());
        } catch (java.net.UnknownHostException e) {
            throw new GapnetException("cannot listen on " + config.host() + ": no such host name or address; use an address of this"
                    + " machine (127.0.0.1 for local clients only, 0.0.0.0 for every interface)");
        }
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.addEventListener(slowClients);
        jetty.addConnector(connector);
        jetty.addBean(new NetworkConnectionLimit(limits.maxConnections(), jetty));
        jetty.setHandler(new GracefulHandler(new Endpoints()));
        jetty.setStopTimeout(10_000); // a stop lets requests in flight finish for up to 10 s
        sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gapnet-http-sweeper");
            t.setDaemon(true);
            return t;
        });
        try {
            jetty.start();
        } catch (Exception e) {
            close();
            if (e instanceof IOException io) throw io;
            throw new GapnetException("cannot start the HTTP server: " + e, e);
        }
        sweeper.scheduleWithFixedDelay(slowClients::sweep, 200, 200, TimeUnit.MILLISECONDS);
    }

    /** The port the server listens on (useful when started on port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /**
     * Connections waiting for a request's headers, and since when. Jetty parses headers without a thread, so a slow
     * client costs only its connection; this drops those that take longer than the header timeout.
     */
    private final class SlowClients implements Connection.Listener {
        private final Map<Connection, Long> waitingSince = new ConcurrentHashMap<>();

        @Override
        public void onOpened(Connection c) {
            waitingSince.put(c, System.nanoTime());
        }

        @Override
        public void onClosed(Connection c) {
            waitingSince.remove(c);
        }

        /** Its headers are in: the request is being handled. */
        void busy(Connection c) {
            waitingSince.remove(c);
        }

        /** Its response is sent: the connection waits for the next request's headers. */
        void idle(Connection c) {
            if (c.getEndPoint().isOpen()) waitingSince.put(c, System.nanoTime());
        }

        void sweep() {
            long now = System.nanoTime(), limit = limits.headerTimeout().toNanos();
            waitingSince.forEach((c, since) -> {
                if (now - since > limit) {
                    waitingSince.remove(c);
                    c.getEndPoint().close();
                }
            });
        }
    }

    private static final class HttpError extends RuntimeException {
        final int status;

        HttpError(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private final class Endpoints extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long t0 = System.nanoTime();
            Connection connection = request.getConnectionMetaData().getConnection();
            slowClients.busy(connection);
            String path = request.getHttpURI().getPath();
            // probes and scrapes are not traffic: only inference requests (and unknown paths) are counted
            boolean counted = !(path.equals("/health") || path.equals("/metrics") || path.equals("/metrics.json"));
            if (counted) requests.incrementAndGet();
            int status;
            String body;
            String contentType = "application/json";
            boolean bodyRead = request.getLength() <= 0 && !request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
            try {
                String method = request.getMethod();
                switch (path) {
                    case "/health" -> {
                        requireMethod(method, "GET");
                        status = 200;
                        body = "{\"status\":\"ok\",\"backend\":" + Json.quote(session.backend().name()) + ",\"model\":"
                                + Json.quote(session.graph().name()) + "}";
                    }
                    case "/metrics" -> {
                        requireMethod(method, "GET");
                        status = 200;
                        body = metrics.scrape();
                        contentType = ServerMetrics.CONTENT_TYPE;
                    }
                    case "/metrics.json" -> {
                        requireMethod(method, "GET");
                        status = 200;
                        body = metrics();
                    }
                    case "/classify", "/embed" -> {
                        requireMethod(method, "POST");
                        if (path.equals("/embed") && embedding == null) throw new HttpError(404, "this model has no GAP embedding");
                        int top = path.equals("/classify") ? top(request) : 0;
                        if (!active.tryAcquire()) {
                            throw new HttpError(503, "too many requests in progress (" + limits.maxRequests() + "); retry shortly");
                        }
                        Map<String, Tensor> out;
                        try {
                            byte[] body0 = readBody(request, connection);
                            bodyRead = true;
                            out = infer(preprocess(imageBytes(request, body0)));
                        } finally {
                            active.release();
                        }
                        status = 200;
                        body = path.equals("/embed") ? embeddingJson(out.get(embedding)) : topJson(out.values().iterator().next(), top);
                    }
                    default -> throw new HttpError(404, "no such endpoint: " + path
                            + " (POST /classify, POST /embed, GET /health, GET /metrics, GET /metrics.json)");
                }
            } catch (HttpError e) {
                status = e.status;
                body = error(e.getMessage());
            } catch (InvalidImageException e) {
                status = e instanceof ImageTooLargeException ? 413 : 400;
                body = error(e.getMessage());
            } catch (GapnetException e) {
                status = 400;
                body = error(e.getMessage());
            } catch (RuntimeException | Error e) {
                status = 500;
                body = error("internal error: " + e);
            }
            if (status >= 400 && counted) errors.incrementAndGet();
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
            if (status == 503) response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            // refused before its body was read (a wrong ?top, too many requests, 413 by Content-Length): the rest of the
            // body is still on the connection, so the client must not send its next request there. What is left of it
            // is read first (within bounds): a client whose upload meets a closed connection breaks its pipe, and some
            // (Java's HttpClient) then give up on the exchange without reading the answer
            if (!bodyRead) {
                discardBody(request, connection);
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), new Callback() {
                @Override
                public void succeeded() {
                    slowClients.idle(connection);
                    callback.succeeded();
                }

                @Override
                public void failed(Throwable x) {
                    slowClients.idle(connection);
                    callback.failed(x);
                }
            });
            if (counted) {
                long nanos = System.nanoTime() - t0;
                recordLatency(nanos);
                metrics.request(path.equals("/classify") || path.equals("/embed") ? path : "other", status, nanos);
            }
            return true;
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) throw new HttpError(405, "use " + allowed + " here, not " + method);
    }

    /**
     * The body, read within the size limit and the body timeout: before each read the connection's idle timeout is
     * cut to what is left of the body's time, so a trickling body ends at its deadline, not one idle timeout later.
     */
    private byte[] readBody(Request request, Connection connection) {
        long declared = request.getLength();
        long max = config.maxRequestBytes();
        if (declared > max) throw new HttpError(413, "request body of " + declared + " bytes is over the limit of " + max);
        org.eclipse.jetty.io.EndPoint endPoint = connection.getEndPoint();
        long deadline = System.nanoTime() + limits.bodyTimeout().toNanos();
        String late = "the request body did not arrive within " + limits.bodyTimeout().toMillis() / 1000.0 + " s";
        try (InputStream in = Content.Source.asInputStream(request)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 1 << 12), max));
            byte[] buf = new byte[64 << 10];
            while (true) {
                if (!cutIdleTimeout(endPoint, deadline)) throw new HttpError(408, late);
                int n = in.read(buf);
                if (n < 0) break;
                out.write(buf, 0, n);
                if (out.size() > max) throw new HttpError(413, "request body is over the limit of " + max + " bytes");
            }
            if (out.size() == 0) throw new HttpError(400, "empty request body: send the image bytes (PNG or JPEG)");
            return out.toByteArray();
        } catch (IOException | UncheckedIOException e) {
            throw new HttpError(408, System.nanoTime() - deadline >= 0 ? late
                    : "the request body stopped arriving for " + limits.idleTimeout().toMillis() / 1000.0 + " s");
        } finally {
            endPoint.setIdleTimeout(limits.idleTimeout().toMillis());
        }
    }

    /**
     * Cuts the connection's idle timeout to what is left until {@code deadline} (System.nanoTime), so that a read
     * ends there at the latest; false when nothing is left.
     */
    private boolean cutIdleTimeout(org.eclipse.jetty.io.EndPoint endPoint, long deadline) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) return false;
        endPoint.setIdleTimeout(Math.min(limits.idleTimeout().toMillis(), left));
        return true;
    }

    /**
     * Reads and drops the rest of a refused request's body: at most {@link #DISCARD_BYTES} (none when the declared length
     * is larger) and for at most {@link #DISCARD_TIME} or the body timeout, whichever is shorter.
     */
    private void discardBody(Request request, Connection connection) {
        long declared = request.getLength();
        if (declared == 0 || declared > DISCARD_BYTES) return;
        org.eclipse.jetty.io.EndPoint endPoint = connection.getEndPoint();
        long deadline = System.nanoTime() + Math.min(DISCARD_TIME.toNanos(), limits.bodyTimeout().toNanos());
        try (InputStream in = Content.Source.asInputStream(request)) {
            byte[] buf = new byte[64 << 10];
            for (long total = 0; total <= DISCARD_BYTES; ) {
                if (!cutIdleTimeout(endPoint, deadline)) return;
                int n = in.read(buf);
                if (n < 0) return;
                total += n;
            }
        } catch (IOException | UncheckedIOException e) {
            // the connection closes after the answer anyway
        } finally {
            endPoint.setIdleTimeout(limits.idleTimeout().toMillis());
        }
    }

    /** Decodes and preprocesses within the decoding budget: its share is taken from the header before decoding. */
    private Tensor preprocess(byte[] bytes) {
        int[] wh = Images.declaredSize(bytes, "request body");
        long pixels = Images.workPixels(wh[0], wh[1], config.preprocessing());
        int units = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (pixels + 1023) >> 10));
        if (units > decodingUnits) {
            throw new HttpError(413, "an image of " + wh[0] + "x" + wh[1] + " pixels needs " + pixels + " pixels of decoding memory,"
                    + " more than this server has (" + limits.decodePixels() + " pixels, gapnet.server.decodePixels); send a"
                    + " smaller image");
        }
        try {
            if (!decoding.tryAcquire(units, limits.decodeWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new HttpError(503, "busy decoding other images; retry shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while waiting to decode");
        }
        try {
            return Images.toTensor(Images.decode(bytes, "request body"), config.preprocessing());
        } finally {
            decoding.release(units);
        }
    }

    private Map<String, Tensor> infer(Tensor x) {
        try {
            return batcher.submit(x).get(limits.inferenceTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new HttpError(503, "the model did not answer within " + limits.inferenceTimeout().toSeconds() + " s; retry later");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while waiting for the model");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof io.gapnet.ShapeException) throw new HttpError(400, c.getMessage());
            if (c instanceof GapnetException g) throw new HttpError(500, g.getMessage());
            throw new HttpError(500, "internal error: " + c);
        }
    }

    /** {@code ?top=K} when given (1 to the number of classes), else the configured top-K. */
    private int top(Request request) {
        String v = Request.extractQueryParameters(request).getValue("top");
        if (v == null) return config.top();
        int k;
        try {
            k = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new HttpError(400, "top=" + v + " is not a whole number; give ?top=K with K from 1 to " + classes);
        }
        if (k < 1 || k > classes) throw new HttpError(400, "top=" + k + " is out of range; give ?top=K with K from 1 to " + classes);
        return k;
    }

    /** The number of classes of the model's first output, from a plan for one image (or a large bound if unknown). */
    private int classCount(Session s) {
        int[] shape = config.preprocessing().inputShape();
        if (shape != null) {
            try {
                return s.classes(shape);
            } catch (RuntimeException e) {
                // the first request will say what is wrong with the input shape
            }
        }
        return 1 << 20;
    }

    /**
     * The image in a request body: the body itself, or from a multipart form (an HTML form's upload, {@code curl -F}),
     * the part named image or file, else the first part with a file name, else the only part.
     */
    private byte[] imageBytes(Request request, byte[] body) {
        String type = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) return body;
        String boundary = org.eclipse.jetty.http.MultiPart.extractBoundary(type);
        if (boundary == null || boundary.isEmpty()) {
            throw new HttpError(400, "a multipart form without a boundary; send the image bytes as the body instead"
                    + " (curl --data-binary @image.jpg)");
        }
        org.eclipse.jetty.http.MultiPartFormData.Parser parser = new org.eclipse.jetty.http.MultiPartFormData.Parser(boundary);
        parser.setMaxParts(16);
        parser.setMaxLength(config.maxRequestBytes());
        parser.setMaxMemoryFileSize(config.maxRequestBytes()); // the body is already in memory: no temporary files
        try (org.eclipse.jetty.http.MultiPartFormData.Parts parts = parser.parse(Content.Source.from(ByteBuffer.wrap(body))).get()) {
            org.eclipse.jetty.http.MultiPart.Part chosen = parts.getFirst("image");
            if (chosen == null) chosen = parts.getFirst("file");
            if (chosen == null) {
                for (org.eclipse.jetty.http.MultiPart.Part part : parts) {
                    if (part.getFileName() != null) {
                        chosen = part;
                        break;
                    }
                }
            }
            if (chosen == null && parts.size() == 1) chosen = parts.get(0);
            if (chosen == null) {
                throw new HttpError(400, "the multipart form has " + parts.size() + " parts and none is an image: name the"
                        + " image's part 'image' (curl -F image=@cat.jpg) or send the image bytes as the body");
            }
            ByteBuffer bytes = Content.Source.asByteBuffer(chosen.getContentSource());
            byte[] out = new byte[bytes.remaining()];
            bytes.get(out);
            if (out.length == 0) throw new HttpError(400, "the form's image part is empty");
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "interrupted while reading the form");
        } catch (ExecutionException | IOException e) {
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new HttpError(400, "cannot read the multipart form: " + c.getMessage() + "; or send the image bytes as the"
                    + " body (curl --data-binary @image.jpg)");
        }
    }

    private String topJson(Tensor scores, int k) {
        List<Prediction> top = Session.topK(scores, k, softmax).get(0);
        StringBuilder sb = new StringBuilder("{\"top\":[");
        for (int i = 0; i < top.size(); i++) {
            Prediction p = top.get(i);
            sb.append(i > 0 ? "," : "").append("{\"index\":").append(p.index()).append(",\"label\":")
                    .append(Json.quote(config.labels().apply(p.index()))).append(",\"probability\":").append(p.probability()).append('}');
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
        return "{\"error\":" + Json.quote(message) + "}";
    }

    /** Stops accepting, lets requests in flight finish (up to 10 s), then stops the batcher (the Session stays open). */
    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            // stopping is best effort: what follows frees the rest
        }
        sweeper.shutdownNow();
        batcher.close();
    }
}
