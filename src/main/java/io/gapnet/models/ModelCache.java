package io.gapnet.models;

import io.gapnet.GapnetException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Model files downloaded from {@code http://} and {@code https://} URLs, kept in a folder ({@code $GAPNET_CACHE},
 * by default {@code ~/.cache/gapnet}) and used offline afterwards. Each URL has a folder of its own named by a hash
 * of the URL, holding the file under its own name and {@code source.properties} (URL, SHA-256, size, date).
 *
 * <p>A download goes to {@code NAME.part} and is renamed only once complete (and checked against the SHA-256 when
 * one is given), so a partial download never looks complete. A broken connection is resumed with an HTTP range
 * request where the server allows it, restarted where it does not, up to {@link #ATTEMPTS} times. Processes that
 * fetch the same URL at once (Spark executors on one machine, say) take turns through a file lock.
 */
public final class ModelCache {
    /** Tries per download before giving up (a resume or a restart each). */
    public static final int ATTEMPTS = 4;

    /** Receives the progress of a download: bytes so far and the total (-1 when the server does not say). */
    @FunctionalInterface
    public interface Listener {
        /** Called as bytes arrive, at most a few times per second. */
        void progress(long done, long total);

        /** A listener that ignores progress. */
        Listener NONE = (done, total) -> {};
    }

    /** One cached model: where it came from, where it lies, its size and SHA-256. */
    public record Entry(String url, Path file, long bytes, String sha256, Instant downloaded) {}

    private final Path dir;
    private final Duration stallTimeout;

    /** A cache in {@code dir}, created when first written to. */
    public ModelCache(Path dir) {
        this(dir, Duration.ofSeconds(60));
    }

    /** A cache in {@code dir} that gives up on a connection after {@code stallTimeout} without a byte. */
    public ModelCache(Path dir, Duration stallTimeout) {
        this.dir = dir.toAbsolutePath();
        this.stallTimeout = stallTimeout;
    }

    /** {@code -Dgapnet.cache} when set, else {@code $GAPNET_CACHE}, else {@code ~/.cache/gapnet}. */
    public static ModelCache defaultCache() {
        String env = System.getProperty("gapnet.cache", System.getenv("GAPNET_CACHE"));
        Path dir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "gapnet");
        return new ModelCache(dir);
    }

    /** The cache folder. */
    public Path dir() {
        return dir;
    }

    /** Whether {@code spec} is an http:// or https:// URL (with or without a {@code #sha256=...} fragment). */
    public static boolean isUrl(String spec) {
        String s = spec.toLowerCase(Locale.ROOT);
        return s.startsWith("http://") || s.startsWith("https://");
    }

    /**
     * The local file for {@code url}, downloaded first unless the cache holds it. {@code sha256} (64 hex digits, or
     * null) may also come as the URL's fragment, {@code URL#sha256=...}; a download that does not match is deleted and
     * refused, and so is a cached file that no longer matches (then it is downloaded again).
     */
    public Path fetch(String url, String sha256, Listener listener) {
        Source src = Source.parse(url, sha256);
        Path folder = dir.resolve(key(src.url));
        Path file = folder.resolve(fileName(src.url));
        if (Files.isRegularFile(file) && matches(file, src.sha256)) return file; // offline from here on
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new GapnetException("cannot create the model cache folder " + folder + ": " + e.getMessage()
                    + " (set GAPNET_CACHE to a writable folder)", e);
        }
        try (FileChannel lockFile = FileChannel.open(folder.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            // another process may have finished it while this one waited for the lock
            if (Files.isRegularFile(file) && matches(file, src.sha256)) return file;
            Files.deleteIfExists(file);
            download(src, file, listener);
            return file;
        } catch (IOException e) {
            throw new GapnetException("cannot download " + src.url + ": " + describe(e) + " (check the URL and the network;"
                    + " a model downloaded once is used offline afterwards)", e);
        }
    }

    /**
     * Puts a file already on disk into the cache as the download of {@code url} (for machines without network
     * access); it is checked against the SHA-256 when one is given.
     */
    public Path put(String url, String sha256, Path source) {
        Source src = Source.parse(url, sha256);
        Path folder = dir.resolve(key(src.url));
        Path file = folder.resolve(fileName(src.url));
        try {
            Files.createDirectories(folder);
            Path part = folder.resolve(file.getFileName() + ".part");
            Files.copy(source, part, StandardCopyOption.REPLACE_EXISTING);
            String got = sha256(part);
            if (src.sha256 != null && !src.sha256.equals(got)) {
                Files.deleteIfExists(part);
                throw new GapnetException(source + " has SHA-256 " + got + ", not the expected " + src.sha256);
            }
            finish(src, part, file, got);
            return file;
        } catch (IOException e) {
            throw new GapnetException("cannot add " + source + " to the model cache " + dir + ": " + describe(e), e);
        }
    }

    /** Every complete model in the cache, oldest first. */
    public List<Entry> list() {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (var folders = Files.list(dir)) {
            for (Path folder : (Iterable<Path>) folders.sorted()::iterator) {
                Path meta = folder.resolve("source.properties");
                if (!Files.isRegularFile(meta)) continue;
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(meta)) {
                    p.load(in);
                }
                Path file = folder.resolve(p.getProperty("file", ""));
                if (!Files.isRegularFile(file)) continue;
                out.add(new Entry(p.getProperty("url"), file, Files.size(file), p.getProperty("sha256"),
                        Instant.parse(p.getProperty("downloaded", Instant.EPOCH.toString()))));
            }
        } catch (IOException | RuntimeException e) {
            throw new GapnetException("cannot list the model cache " + dir + ": " + describe(e), e);
        }
        out.sort(java.util.Comparator.comparing(Entry::downloaded));
        return out;
    }

    private void download(Source src, Path file, Listener listener) throws IOException {
        Path part = file.resolveSibling(file.getFileName() + ".part");
        HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build();
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(src.url)).timeout(Duration.ofSeconds(60)).GET();
            if (have > 0) rb.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> r;
            try {
                r = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                last = e;
                pause(attempt);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            int status = r.statusCode();
            boolean resumed = status == 206 && have > 0 && contentRangeStart(r) == have;
            if (status != 200 && !resumed) {
                r.body().close();
                if (status == 206 || status == 416) { // a range the server cannot honour: start again from byte 0
                    Files.deleteIfExists(part);
                    last = new IOException("the server refused to resume (HTTP " + status + ")");
                    continue;
                }
                throw new IOException("the server answered HTTP " + status + (status == 404 ? " (not found)" : ""));
            }
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            long total = length < 0 ? -1 : resumed ? have + length : length;
            try {
                copy(r.body(), part, resumed, resumed ? have : 0, total, listener);
            } catch (IOException e) {
                last = e;
                pause(attempt);
                continue; // resumed from what arrived on the next attempt
            }
            long size = Files.size(part);
            if (total >= 0 && size != total) {
                last = new IOException("the connection closed after " + size + " of " + total + " bytes");
                continue;
            }
            String got = sha256(part);
            if (src.sha256 != null && !src.sha256.equals(got)) {
                Files.deleteIfExists(part);
                throw new GapnetException("the download of " + src.url + " has SHA-256 " + got + ", not the expected "
                        + src.sha256 + "; it was deleted (a wrong checksum, or the file changed on the server)");
            }
            finish(src, part, file, got);
            return;
        }
        throw last != null ? last : new IOException("no attempt succeeded");
    }

    private void copy(InputStream body, Path part, boolean append, long start, long total, Listener listener) throws IOException {
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gapnet-download-watchdog");
            t.setDaemon(true);
            return t;
        });
        long stallNanos = stallTimeout.toNanos();
        // a server that stops sending without closing would block the read forever: closing the stream ends it
        watchdog.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - lastByte.get() > stallNanos) {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the reader sees the closed stream
                }
            }
        }, 1, 1, TimeUnit.SECONDS);
        try (InputStream in = body;
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buf = new byte[1 << 16];
            long done = start, lastReport = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                lastByte.set(System.nanoTime());
                out.write(buf, 0, n);
                done += n;
                long now = System.nanoTime();
                if (now - lastReport > 100_000_000L) {
                    listener.progress(done, total);
                    lastReport = now;
                }
            }
            listener.progress(done, total);
        } finally {
            watchdog.shutdownNow();
        }
    }

    /** A short wait before the next attempt, longer each time (0.2, 0.4, 0.8 s). */
    private static void pause(int attempt) throws IOException {
        try {
            Thread.sleep(100L << attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static long contentRangeStart(HttpResponse<?> r) {
        String v = r.headers().firstValue("Content-Range").orElse("");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("bytes\\s+(\\d+)-").matcher(v);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Writes the metadata, then moves the part file to its final name in one step. */
    private static void finish(Source src, Path part, Path file, String sha) throws IOException {
        Properties p = new Properties();
        p.setProperty("url", src.url);
        p.setProperty("file", file.getFileName().toString());
        p.setProperty("sha256", sha);
        p.setProperty("downloaded", Instant.now().toString());
        Path meta = file.resolveSibling("source.properties");
        Path metaPart = file.resolveSibling("source.properties.part");
        try (OutputStream out = Files.newOutputStream(metaPart)) {
            p.store(out, "gapnet model cache entry");
        }
        move(metaPart, meta);
        move(part, file);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean matches(Path file, String sha) {
        if (sha == null) return true;
        try {
            return sha.equals(sha256(file));
        } catch (IOException e) {
            return false;
        }
    }

    /** The SHA-256 of a file, as 64 lowercase hex digits. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }

    /** The folder name of a URL: the first 16 hex digits of its SHA-256. */
    static String key(String url) {
        return HexFormat.of().formatHex(digest().digest(url.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    }

    /** The URL path's last segment, made safe as a file name ({@code model.onnx} when there is none). */
    static String fileName(String url) {
        String path = URI.create(url).getPath();
        String name = path == null ? "" : path.substring(path.lastIndexOf('/') + 1);
        name = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.endsWith(".part") || name.equals("source.properties")) {
            name = "model.onnx";
        }
        return name;
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.net.ConnectException) return "connection refused" + (m != null ? " (" + m + ")" : "");
        if (e instanceof java.net.UnknownHostException) return "unknown host " + m;
        if (e instanceof java.net.http.HttpTimeoutException) return "the server did not answer in time";
        return m != null ? m : e.getClass().getSimpleName();
    }

    /** A URL without its fragment, and the SHA-256 from the fragment or the argument (they must agree). */
    private record Source(String url, String sha256) {
        static Source parse(String spec, String sha256) {
            String url = spec;
            String fromFragment = null;
            int hash = spec.indexOf('#');
            if (hash >= 0) {
                String fragment = spec.substring(hash + 1);
                url = spec.substring(0, hash);
                if (!fragment.toLowerCase(Locale.ROOT).startsWith("sha256=")) {
                    throw new GapnetException("model URL " + spec + ": the only fragment understood is #sha256=HEX");
                }
                fromFragment = checkSha(fragment.substring(7));
            }
            String given = sha256 == null ? null : checkSha(sha256);
            if (fromFragment != null && given != null && !fromFragment.equals(given)) {
                throw new GapnetException("model URL " + spec + ": the #sha256 fragment and --sha256 disagree");
            }
            try {
                URI u = URI.create(url);
                if (u.getHost() == null) throw new IllegalArgumentException("no host");
            } catch (IllegalArgumentException e) {
                throw new GapnetException("model URL " + url + " is not a valid URL: " + e.getMessage());
            }
            return new Source(url, fromFragment != null ? fromFragment : given);
        }

        private static String checkSha(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            if (!v.matches("[0-9a-f]{64}")) throw new GapnetException("SHA-256 '" + s + "' is not 64 hexadecimal digits");
            return v;
        }
    }
}
