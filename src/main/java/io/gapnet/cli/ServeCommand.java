package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.runtime.Session;
import io.gapnet.serving.Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over HTTP: POST /classify and POST /embed (image bytes in, JSON out),",
            "GET /health, GET /metrics. Requests from many clients are batched dynamically. Timeouts and the",
            "decoding budget are set with gapnet.server.* properties (see the README's limits table)."})
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "resnet18 ... resnet152, or an .onnx file (default: ${DEFAULT-VALUE})")
    String model = Models.DEFAULT;

    @Option(names = "--backend", description = "backend (default: ${DEFAULT-VALUE})")
    String backend = "cpu";

    @Option(names = "--host", description = "address to listen on; 0.0.0.0 for every interface (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "port (default: ${DEFAULT-VALUE}; 0 picks a free one)")
    int port = 8080;

    @Option(names = "--labels", description = "labels file")
    Path labels;

    @Option(names = "--top", description = "classes per answer (default: ${DEFAULT-VALUE})")
    int top = 5;

    @Option(names = "--max-batch", description = "most images per batch (default: ${DEFAULT-VALUE})")
    int maxBatch = 16;

    @Option(names = "--max-delay-ms", description = "longest a request waits for a batch to fill (default: ${DEFAULT-VALUE})")
    int maxDelayMs = 5;

    @Option(names = "--parallel-batches", description = "batches run at once (default: ${DEFAULT-VALUE})")
    int parallel = 2;

    @Option(names = "--max-request-bytes", description = "largest request body (default: ${DEFAULT-VALUE})")
    long maxRequestBytes = 20L << 20;

    @Option(names = "--max-connections", description = "most connections open at once (default: ${DEFAULT-VALUE})")
    int maxConnections = 1024;

    @Option(names = "--max-requests", description = "most image requests in progress at once; more get 503 (default: ${DEFAULT-VALUE})")
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
        Labels names = labels == null ? Labels.none() : Labels.read(labels);
        try (Backend b = Backends.open(backend); Session s = Session.open(Models.load(model, 1000), b);
             Server server = new Server(s, new Server.Config(host, port, maxBatch, Duration.ofMillis(maxDelayMs), parallel,
                     maxRequestBytes, top, pre.build(), names::name, limits))) {
            String where = host.contains(":") ? "[" + host + "]" : host;
            System.out.println("gapnet: serving " + s.graph().name() + " on " + b.name() + " at http://" + where + ":" + server.port()
                    + " (POST /classify, POST /embed, GET /health, GET /metrics); Ctrl-C stops");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }
}
