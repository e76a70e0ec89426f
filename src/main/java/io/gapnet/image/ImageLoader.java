package io.gapnet.image;

import io.gapnet.GapnetException;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Decodes and preprocesses images on background threads, a bounded number ahead of the consumer, so that
 * decoding overlaps inference when a directory is classified. Results come back in input order; an image
 * that cannot be used comes back with its error instead of a tensor.
 */
public final class ImageLoader implements Iterable<ImageLoader.Item>, AutoCloseable {
    /** One image: its tensor [1, C, H, W], or the reason it could not be loaded. */
    public record Item(Path path, Tensor tensor, GapnetException error) {}

    private final List<Path> paths;
    private final Preprocessing pre;
    private final ExecutorService pool;
    private final int ahead;

    public ImageLoader(List<Path> paths, Preprocessing pre, int threads) {
        this.paths = List.copyOf(paths);
        this.pre = pre;
        this.ahead = Math.max(2, threads * 4);
        this.pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "gapnet-decode");
            t.setDaemon(true);
            return t;
        });
    }

    /** PNG and JPEG files: the paths given, and those found (recursively, sorted) in the folders given. */
    public static List<Path> list(List<Path> inputs) {
        List<Path> out = new ArrayList<>();
        for (Path p : inputs) {
            if (!Files.isDirectory(p)) {
                out.add(p);
                continue;
            }
            try (Stream<Path> s = Files.walk(p)) {
                s.filter(Files::isRegularFile).filter(f -> {
                    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
                }).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new GapnetException("cannot list " + p + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    public int size() {
        return paths.size();
    }

    @Override
    public Iterator<Item> iterator() {
        return new Iterator<>() {
            private final ArrayDeque<CompletableFuture<Item>> window = new ArrayDeque<>();
            private int next;

            private void fill() {
                while (window.size() < ahead && next < paths.size()) {
                    Path p = paths.get(next++);
                    window.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            return new Item(p, Images.load(p, pre), null);
                        } catch (GapnetException e) {
                            return new Item(p, null, e);
                        }
                    }, pool));
                }
            }

            @Override
            public boolean hasNext() {
                fill();
                return !window.isEmpty();
            }

            @Override
            public Item next() {
                if (!hasNext()) throw new NoSuchElementException();
                Item item = window.poll().join();
                fill();
                return item;
            }
        };
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
