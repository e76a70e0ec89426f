package io.gapnet.spark;

import io.gapnet.Labels;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.Preprocessing;
import io.gapnet.models.ModelCache;
import io.gapnet.models.Models;
import io.gapnet.runtime.Session;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Session per executor JVM, model and backend, shared by that executor's tasks: created by the first task that
 * needs it, counted by reference, and closed a while after the last task let it go (so that the stages of one job,
 * or the next job, find it open).
 */
final class ExecutorSessions {
    /** How long an unused Session stays open. */
    static final long IDLE_MILLIS = Long.getLong("gapnet.spark.sessionIdleMs", 120_000);

    /** Sessions this JVM has opened (for the tests: one per model and backend). */
    static final AtomicInteger OPENED = new AtomicInteger();

    private static final Map<String, Entry> ENTRIES = new HashMap<>();
    private static final ScheduledExecutorService CLOSER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gapnet-spark-session-closer");
        t.setDaemon(true);
        return t;
    });

    private ExecutorSessions() {}

    /** A Session in use by one task, with what the model brought (a zoo model's preprocessing and labels). */
    static final class Lease implements AutoCloseable {
        private final String key;
        private final Entry entry;
        private boolean closed;

        private Lease(String key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        Session session() {
            return entry.session;
        }

        Preprocessing modelPreprocessing() {
            return entry.model.preprocessing();
        }

        Labels modelLabels() {
            return entry.model.labels();
        }

        @Override
        public void close() {
            synchronized (ENTRIES) {
                if (closed) return;
                closed = true;
                if (--entry.users == 0) {
                    entry.idle = CLOSER.schedule(() -> closeIfIdle(key, entry), IDLE_MILLIS, TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    private static final class Entry {
        final Models.Resolved model;
        final Backend backend;
        final Session session;
        int users;
        ScheduledFuture<?> idle;

        Entry(Models.Resolved model, Backend backend, Session session) {
            this.model = model;
            this.backend = backend;
            this.session = session;
        }
    }

    /** The Session of {@code model} on {@code backend}, opened on first use in this JVM. */
    static Lease acquire(String model, String sha256, String backend) {
        String key = model + "\u0000" + sha256 + "\u0000" + backend;
        synchronized (ENTRIES) {
            Entry e = ENTRIES.get(key);
            if (e == null) {
                // executors share the machine's model cache: a URL is downloaded once per machine, under a file lock
                Models.Resolved resolved = Models.resolve(sparkFile(model), sha256, ModelCache.defaultCache(),
                        ModelCache.Listener.NONE);
                Backend b = Backends.open(backend);
                try {
                    e = new Entry(resolved, b, Session.open(resolved.graph(), b));
                } catch (RuntimeException ex) {
                    b.close();
                    throw ex;
                }
                OPENED.incrementAndGet();
                ENTRIES.put(key, e);
            }
            if (e.idle != null) {
                e.idle.cancel(false);
                e.idle = null;
            }
            e.users++;
            return new Lease(key, e);
        }
    }

    /**
     * A file name shipped with {@code SparkContext.addFile} (or {@code spark-submit --files}) stands for the executor's
     * local copy when no file of that name exists where the task runs.
     */
    static String sparkFile(String model) {
        if (model.contains(":") || java.nio.file.Files.exists(java.nio.file.Path.of(model))) return model;
        try {
            String local = org.apache.spark.SparkFiles.get(model);
            return java.nio.file.Files.exists(java.nio.file.Path.of(local)) ? local : model;
        } catch (RuntimeException e) {
            return model; // no SparkContext here: the name is resolved as given
        }
    }

    private static void closeIfIdle(String key, Entry e) {
        synchronized (ENTRIES) {
            if (e.users > 0 || ENTRIES.get(key) != e) return;
            ENTRIES.remove(key);
        }
        e.session.close();
        e.backend.close();
    }
}
