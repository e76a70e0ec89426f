package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.Labels;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.runtime.Session;
import io.gapnet.serving.Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Serve a model over HTTP: POST /classify and POST /embed (image bytes, or a multipart form, in; "
            + "JSON out; /classify?top=K), GET /health, GET /metrics (Prometheus) and GET /metrics.json. "
            + "Requests from many clients are batched dynamically. SIGTERM or Ctrl-C stops accepting, lets "
            + "requests in flight finish (up to 10 s) and closes the model. Timeouts and the decoding budget "
            + "are set with gapnet.server.* properties (see the README's limits table).",
        footer = {"", "Examples:",
            "  gapnet serve --model zoo:resnet50-v1-7 --port 8080",
            "  curl --data-binary @cat.jpg 'http://127.0.0.1:8080/classify?top=3'",
            "  curl -F image=@cat.jpg http://127.0.0.1:8080/classify"})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", description = Models.MODEL_HELP)
    String model = Models.DEFAULT;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The SHA-256 a downloaded model must have (default: none).")
    String sha256;

    @Option(names = "--backend", description = "The backend: cpu, cpu-ref, opencl or cuda (default: ${DEFAULT-VALUE}).")
    String backend = "cpu";

    @Option(names = "--host", description = "The address to listen on; 0.0.0.0 for every interface, as in a container"
            + " (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "The port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8080;

    @Option(names = "--labels", paramLabel = "FILE", description = "A labels file (default: a zoo model's own, else class"
            + " numbers).")
    Path labels;

    @Option(names = "--top", paramLabel = "K", description = "Classes per answer, unless the request says ?top=K"
            + " (default: ${DEFAULT-VALUE}).")
    int top = 5;

    @Option(names = "--max-batch", paramLabel = "N", description = "The most images in one batch (default: ${DEFAULT-VALUE}).")
    int maxBatch = 16;

    @Option(names = "--max-delay-ms", paramLabel = "MS", description = "The longest a request waits for a batch to fill"
            + " (default: ${DEFAULT-VALUE}).")
    int maxDelayMs = 5;

    @Option(names = "--parallel-batches", paramLabel = "N", description = "Batches run at once (default: ${DEFAULT-VALUE}).")
    int parallel = 2;

    @Option(names = "--max-request-bytes", paramLabel = "BYTES", description = "The largest request body; larger ones get 413"
            + " (default: ${DEFAULT-VALUE}).")
    long maxRequestBytes = 20L << 20;

    @Option(names = "--max-connections", paramLabel = "N", description = "The most connections open at once; more wait to be"
            + " accepted (default: ${DEFAULT-VALUE}).")
    int maxConnections = 1024;

    @Option(names = "--max-requests", paramLabel = "N", description = "The most image requests in progress at once; more get"
            + " 503 (default: ${DEFAULT-VALUE}).")
    int maxRequests = 256;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new GapnetException("--port must be 0 to 65535 (0 picks a free one), not " + port);
        if (maxBatch < 1) throw new GapnetException("--max-batch must be at least 1, not " + maxBatch);
        if (parallel < 1) throw new GapnetException("--parallel-batches must be at least 1, not " + parallel);
        if (maxDelayMs < 0) throw new GapnetException("--max-delay-ms must be 0 or more, not " + maxDelayMs);
        if (top < 1) throw new GapnetException("--top must be at least 1, not " + top);
        if (maxRequestBytes < 1) throw new GapnetException("--max-request-bytes must be at least 1, not " + maxRequestBytes);
        if (maxConnections < 1) throw new GapnetException("--max-connections must be at least 1, not " + maxConnections);
        if (maxRequests < 1) throw new GapnetException("--max-requests must be at least 1, not " + maxRequests);
        Server.Limits limits = Server.Limits.defaults().withMaxConnections(maxConnections).withMaxRequests(maxRequests);
        io.gapnet.models.Models.Resolved resolved = Models.resolve(model, sha256);
        Labels names = Models.labels(labels, resolved);
        // SIGTERM (and Ctrl-C) runs the hook: it wakes this thread, which stops the server and closes the Session, and
        // waits for that, since the JVM ends as soon as its hooks return
        CountDownLatch stop = new CountDownLatch(1), stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "gapnet-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean served = false;
        try (Backend b = Backends.open(backend); Session s = Session.open(resolved.graph(), b);
             Server server = new Server(s, new Server.Config(host, port, maxBatch, Duration.ofMillis(maxDelayMs), parallel,
                     maxRequestBytes, top, pre.build(resolved.preprocessing()), names::name, limits))) {
            Models.noticeIfRandom(resolved);
            String where = host.contains(":") ? "[" + host + "]" : host;
            System.out.println("gapnet: serving " + s.graph().name() + " on " + b.name() + " at http://" + where + ":" + server.port()
                    + " (POST /classify, POST /embed, GET /health, GET /metrics); Ctrl-C or SIGTERM stops");
            System.out.flush();
            stop.await();
            served = true;
            System.err.println("gapnet: stopping: no new connections; finishing the requests in flight (up to 10 s)");
        } finally {
            // said before the hook is released: the JVM ends as soon as the hook returns, and a line printed after that
            // may never be written
            if (served) System.err.println("gapnet: stopped");
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already: the hook is running
            }
        }
        return 0;
    }
}
