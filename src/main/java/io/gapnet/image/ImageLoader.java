package io.gapnet.image;

import io.gapnet.GapnetException;
import io.gapnet.InvalidImageException;
import io.gapnet.tensor.Tensor;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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

    /** The images a listing found, and the paths it could not use (each with its error, for an error row). */
    public record Listing(List<Path> images, List<Item> errors) {}

    /**
     * PNG and JPEG files: the files given, and those found (recursively, sorted) in the folders given. A path
     * that does not exist, or a folder that cannot be read, is an error of its own and the rest is still listed.
     */
    public static Listing list(List<Path> inputs) {
        List<Path> out = new ArrayList<>();
        List<Item> errors = new ArrayList<>();
        for (Path p : inputs) {
            if (!Files.exists(p)) {
                errors.add(new Item(p, null, new InvalidImageException("no such file or folder")));
            } else if (!Files.isDirectory(p)) {
                out.add(p);
            } else {
                List<Path> found = new ArrayList<>();
                try {
                    Files.walkFileTree(p, new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                            String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                            if (Files.isRegularFile(f) && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"))) found.add(f);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path f, IOException e) {
                            errors.add(new Item(f, null, new InvalidImageException("cannot read: " + reason(e))));
                            return FileVisitResult.CONTINUE;
                        }
                    });
                } catch (IOException e) {
                    errors.add(new Item(p, null, new InvalidImageException("cannot list: " + reason(e))));
                }
                found.sort(null);
                out.addAll(found);
            }
        }
        return new Listing(out, errors);
    }

    /** Why a listing that found no image leaves nothing to do: its first error, or that the folders hold no image. */
    public static String nothingToDo(Listing listing, List<Path> inputs) {
        if (listing.errors().isEmpty()) return "no PNG or JPEG images in " + inputs;
        Item first = listing.errors().get(0);
        int more = listing.errors().size() - 1;
        return first.path() + ": " + first.error().getMessage() + (more > 0 ? " (and " + more + " more)" : "");
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        return e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : String.valueOf(e.getMessage());
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
                        } catch (RuntimeException e) { // a bug in decoding this image: it fails alone, the run goes on
                            return new Item(p, null, new GapnetException("internal error while decoding: " + e, e));
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
