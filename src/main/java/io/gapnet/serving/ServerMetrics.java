package io.gapnet.serving;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The server's metrics in a Micrometer registry of its own, scraped in the Prometheus text format at {@code /metrics}:
 * inference requests by endpoint and status ({@code gapnet_requests_total}), their latency
 * ({@code gapnet_request_seconds}, a histogram), batch sizes and inference time per batch (histograms), requests
 * queued for a batch and in progress, and the backend's live device memory. {@code /health} and the metrics
 * endpoints are not counted: a scraper or a load balancer's probe is not traffic.
 */
final class ServerMetrics {
    /** The content type of the Prometheus text format. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ConcurrentHashMap<String, Counter> requests = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> latency = new ConcurrentHashMap<>();
    private final DistributionSummary batchSize;
    private final Timer batchTime;

    ServerMetrics(int maxBatch, Supplier<Number> queued, Supplier<Number> inProgress, Supplier<Number> deviceBytes) {
        double[] sizes = java.util.stream.IntStream.iterate(1, i -> i <= Math.max(1, maxBatch), i -> i * 2).asDoubleStream().toArray();
        batchSize = DistributionSummary.builder("gapnet.batch.size").description("images per batch the model ran")
                .baseUnit("images").serviceLevelObjectives(sizes).register(registry);
        batchTime = Timer.builder("gapnet.batch.inference").description("time the model took per batch")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
                .register(registry);
        Gauge.builder("gapnet.queue.depth", queued).description("requests waiting for a batch").register(registry);
        Gauge.builder("gapnet.requests.in.progress", inProgress).description("image requests being served").register(registry);
        Gauge.builder("gapnet.device.memory", deviceBytes).description("device memory the backend holds").baseUnit("bytes")
                .register(registry);
    }

    /** One answered inference request (or an unknown path, as endpoint "other"). */
    void request(String endpoint, int status, long nanos) {
        String key = endpoint + " " + status;
        requests.computeIfAbsent(key, k -> Counter.builder("gapnet.requests").description("inference requests answered")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry)).increment();
        latency.computeIfAbsent(endpoint, e -> Timer.builder("gapnet.request").description("time from request to answer")
                .tag("endpoint", e).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(2)).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** One batch the model ran. */
    void batch(int images, long nanos) {
        batchSize.record(images);
        batchTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** Everything, in the Prometheus text format. */
    String scrape() {
        return registry.scrape();
    }
}
