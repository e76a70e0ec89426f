package io.gapnet.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gapnet.GapnetException;
import io.gapnet.TestGraphs;
import io.gapnet.onnx.OnnxWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads from a real HTTP server on the loopback address (nothing leaves the machine). */
class ModelCacheTest {
    @TempDir
    Path tmp;

    HttpServer server;
    byte[] model;
    String sha;
    /** The Range header of each request ("" when none). */
    final List<String> ranges = new CopyOnWriteArrayList<>();
    /** Requests that break the connection after half the body, counted down. */
    final AtomicInteger breakNext = new AtomicInteger();
    volatile boolean honourRanges = true;

    @BeforeEach
    void start() throws Exception {
        Path f = tmp.resolve("src.onnx");
        OnnxWriter.writeModel(TestGraphs.tinyCnn(), f);
        model = Files.readAllBytes(f);
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/models/", this::serve);
        server.start();
    }

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "" : range);
        if (ex.getRequestURI().getPath().endsWith("missing.onnx")) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        int from = 0;
        if (range != null && honourRanges) {
            from = Integer.parseInt(range.replaceAll("bytes=(\\d+)-.*", "$1"));
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (model.length - 1) + "/" + model.length);
            ex.sendResponseHeaders(206, model.length - from);
        } else {
            ex.sendResponseHeaders(200, model.length);
        }
        OutputStream out = ex.getResponseBody();
        if (breakNext.getAndDecrement() > 0) {
            // half the body, then the connection drops: the client sees fewer bytes than Content-Length
            out.write(model, from, (model.length - from) / 2);
            out.flush();
            ex.close(); // before Content-Length bytes went out: the connection ends mid-body
            return;
        }
        out.write(model, from, model.length - from);
        out.close();
    }

    String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/models/" + name;
    }

    @Test
    void downloadsOnceThenServesFromTheCacheWithTheServerGone() {
        ModelCache cache = new ModelCache(tmp.resolve("cache"));
        long[] seen = {0, 0};
        Path a = cache.fetch(url("tiny.onnx"), sha, (done, total) -> {
            seen[0] = done;
            seen[1] = total;
        });
        assertArrayEquals(new long[] {model.length, model.length}, seen, "progress reached the whole file");
        assertEquals(1, ranges.size());
        Path b = cache.fetch(url("tiny.onnx"), null, ModelCache.Listener.NONE);
        assertEquals(a, b);
        assertEquals(1, ranges.size(), "the second fetch did not reach the server");
        String gone = url("tiny.onnx");
        server.stop(0);
        server = null;
        Models.Resolved r = Models.resolve(gone, null, cache, ModelCache.Listener.NONE);
        assertEquals(TestGraphs.tinyCnn().nodes().size(), r.graph().nodes().size());
        List<ModelCache.Entry> list = cache.list();
        assertEquals(1, list.size());
        assertEquals(sha, list.get(0).sha256());
        assertEquals(model.length, list.get(0).bytes());
    }

    @Test
    void aBrokenConnectionIsResumedWithARangeRequest() throws Exception {
        breakNext.set(1);
        Path f = new ModelCache(tmp.resolve("cache")).fetch(url("tiny.onnx"), sha, ModelCache.Listener.NONE);
        assertArrayEquals(model, Files.readAllBytes(f));
        assertEquals(2, ranges.size(), ranges.toString());
        assertTrue(ranges.get(1).matches("bytes=[1-9]\\d*-"), "the second request resumed: " + ranges);
    }

    @Test
    void aServerThatIgnoresRangesGetsTheDownloadRestarted() throws Exception {
        honourRanges = false;
        breakNext.set(2);
        Path f = new ModelCache(tmp.resolve("cache")).fetch(url("tiny.onnx"), sha, ModelCache.Listener.NONE);
        assertArrayEquals(model, Files.readAllBytes(f), "a 200 to a range request restarts from byte 0");
        assertEquals(3, ranges.size(), ranges.toString());
    }

    @Test
    void aWrongChecksumIsRefusedAndNothingLooksComplete() {
        ModelCache cache = new ModelCache(tmp.resolve("cache"));
        String wrong = "0".repeat(64);
        GapnetException e = assertThrows(GapnetException.class, () -> cache.fetch(url("tiny.onnx"), wrong, ModelCache.Listener.NONE));
        assertTrue(e.getMessage().contains("SHA-256 " + sha) && e.getMessage().contains("not the expected " + wrong), e.getMessage());
        assertTrue(cache.list().isEmpty());
        // the same through the URL's fragment, and a fragment that agrees is accepted
        assertThrows(GapnetException.class, () -> cache.fetch(url("tiny.onnx") + "#sha256=" + wrong, null, ModelCache.Listener.NONE));
        Path ok = cache.fetch(url("tiny.onnx") + "#sha256=" + sha.toUpperCase(), null, ModelCache.Listener.NONE);
        assertTrue(Files.isRegularFile(ok));
        GapnetException bad = assertThrows(GapnetException.class, () -> cache.fetch(url("tiny.onnx") + "#sha256=12", null,
                ModelCache.Listener.NONE));
        assertTrue(bad.getMessage().contains("not 64 hexadecimal digits"), bad.getMessage());
    }

    @Test
    void aConnectionThatKeepsBreakingLeavesOnlyAPartFile() throws Exception {
        breakNext.set(ModelCache.ATTEMPTS);
        honourRanges = false;
        ModelCache cache = new ModelCache(tmp.resolve("cache"));
        GapnetException e = assertThrows(GapnetException.class, () -> cache.fetch(url("tiny.onnx"), sha, ModelCache.Listener.NONE));
        assertTrue(e.getMessage().startsWith("cannot download " + url("tiny.onnx")), e.getMessage());
        assertTrue(cache.list().isEmpty(), "a partial download never looks complete");
        try (var files = Files.walk(cache.dir())) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().equals("tiny.onnx")));
        }
        // the next call, with the server fixed, finishes it
        assertArrayEquals(model, Files.readAllBytes(cache.fetch(url("tiny.onnx"), sha, ModelCache.Listener.NONE)));
    }

    @Test
    void missingFilesAndDeadServersGetOneClearLine() {
        ModelCache cache = new ModelCache(tmp.resolve("cache"));
        GapnetException notFound = assertThrows(GapnetException.class, () -> cache.fetch(url("missing.onnx"), null,
                ModelCache.Listener.NONE));
        assertTrue(notFound.getMessage().contains("HTTP 404 (not found)"), notFound.getMessage());
        String dead = url("tiny.onnx");
        server.stop(0);
        server = null;
        GapnetException refused = assertThrows(GapnetException.class, () -> cache.fetch(dead, null, ModelCache.Listener.NONE));
        assertTrue(refused.getMessage().contains("cannot download " + dead) && refused.getMessage().contains("connection refused"),
                refused.getMessage());
    }

    @Test
    void zooModelsComeFromTheCacheWithTheirPreprocessingAndLabels() throws Exception {
        Path mnist = io.gapnet.TestData.require("models/mnist-8/model.onnx");
        ModelCache cache = new ModelCache(tmp.resolve("cache"));
        ModelZoo.Entry e = ModelZoo.find("mnist-8").orElseThrow();
        // the zoo's published checksum is the shared copy's: the entry names the real file
        assertEquals(e.sha256(), ModelCache.sha256(mnist));
        assertEquals(e.bytes(), Files.size(mnist));
        cache.put(e.url(), e.sha256(), mnist);
        Models.Resolved r = Models.resolve("zoo:mnist-8", null, cache, ModelCache.Listener.NONE);
        assertEquals(io.gapnet.image.Preprocessing.mnist(), r.preprocessing());
        assertEquals("7", r.labels().name(7));
        assertFalse(r.randomWeights());
        assertThrows(GapnetException.class, () -> cache.put(ModelZoo.find("resnet18-v1-7").orElseThrow().url(),
                ModelZoo.find("resnet18-v1-7").orElseThrow().sha256(), mnist));
        GapnetException unknown = assertThrows(GapnetException.class, () -> Models.resolve("zoo:nope", null, cache, ModelCache.Listener.NONE));
        assertTrue(unknown.getMessage().contains("mnist-8"), unknown.getMessage());
    }

    @Test
    void builtInModelsSayTheirWeightsAreRandom() {
        Models.Resolved r = Models.resolve("resnet18", null, new ModelCache(tmp), ModelCache.Listener.NONE);
        assertTrue(r.randomWeights());
        assertTrue(Models.RANDOM_WEIGHTS_NOTICE.contains("random weights"));
        GapnetException e = assertThrows(GapnetException.class, () -> Models.resolve("no-such.onnx", null, new ModelCache(tmp),
                ModelCache.Listener.NONE));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }
}
