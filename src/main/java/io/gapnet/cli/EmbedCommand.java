package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.image.ImageLoader;
import io.gapnet.runtime.Session;
import io.gapnet.tensor.Npy;
import io.gapnet.tensor.Tensor;
import io.gapnet.util.Json;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write the GAP vector (the embedding) of each image, for transfer learning and image search: "
            + "JSON lines, or one .npy array [images, channels] with the image paths beside it in "
            + "FILE.npy.txt.",
        footer = {"", "Examples:",
            "  gapnet embed --model zoo:resnet50-v1-7 photos/ > embeddings.jsonl",
            "  gapnet embed --model model.onnx --format npy -o embeddings.npy photos/"})
final class EmbedCommand implements Callable<Integer> {
    enum Format { jsonl, npy }

    @Option(names = "--model", description = Models.MODEL_HELP + " The embedding is the GAP vector of its head (GAP and a"
            + " linear layer, GAP of one map per class, GeM, or GAP before a deeper classifier), unless --layer names another.")
    String model = Models.DEFAULT;

    @Option(names = "--sha256", paramLabel = "HEX", description = "The SHA-256 a downloaded model must have (default: none).")
    String sha256;

    @Option(names = "--backend", description = "The backend: cpu, cpu-ref, opencl or cuda (default: ${DEFAULT-VALUE}).")
    String backend = "cpu";

    @Option(names = "--format", description = "The output format: jsonl or npy (default: ${DEFAULT-VALUE}).")
    Format format = Format.jsonl;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The file to write; required for npy (default for"
            + " jsonl: standard output).")
    Path output;

    @Option(names = "--threads", paramLabel = "N", description = "Decoding threads (default: the number of cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--layer", paramLabel = "NAME", description = "Embed this named value instead, flattened per image (names:"
            + " gapnet info --layers; default: the GAP vector).")
    String layer;

    @Option(names = "--normalize", description = "Scale each embedding to unit L2 length, for cosine search (default: as"
            + " computed).")
    boolean normalize;

    @Option(names = {"-q", "--quiet"}, description = "Show no progress bar (default: shown on a terminal).")
    boolean quiet;

    @Mixin
    PreprocessOptions pre = new PreprocessOptions();

    @Parameters(arity = "1..*", paramLabel = "IMAGE_OR_DIR", description = "Images, or folders of images.")
    List<Path> paths;

    private Progress progress;

    @Override
    public Integer call() throws IOException {
        if (format == Format.npy && output == null) throw new GapnetException("--format npy needs -o FILE.npy");
        if (threads < 1) throw new GapnetException("--threads must be at least 1, not " + threads);
        if (output != null) Main.checkWritable(output, "-o");
        ImageLoader.Listing listing = ImageLoader.list(paths);
        List<Path> files = listing.images();
        if (files.isEmpty()) throw new GapnetException(ImageLoader.nothingToDo(listing, paths));
        List<float[]> vectors = new ArrayList<>();
        List<Path> embedded = new ArrayList<>();
        int failures = 0, done = 0;
        io.gapnet.models.Models.Resolved resolved = Models.resolve(model, sha256);
        progress = new Progress(files.size(), quiet);
        try (Backend b = Backends.open(backend); Session s = Session.open(resolved.graph(), b);
             ImageLoader loader = new ImageLoader(files, pre.build(resolved.preprocessing()), threads);
             PrintStream text = format == Format.jsonl ? open() : null) {
            // fail early, before decoding anything, when the model has no GAP head or no such layer
            if (layer == null) s.embeddingValue();
            else s.valueNamed(layer);
            Models.noticeIfRandom(resolved);
            for (ImageLoader.Item bad : listing.errors()) {
                failures++;
                failed(text, bad.path(), bad.error().getMessage());
            }
            for (ImageLoader.Item item : loader) {
                try {
                    if (item.error() != null) throw item.error();
                    Tensor e = s.embed(item.tensor(), layer, normalize);
                    if (text != null) {
                        StringBuilder sb = new StringBuilder("{\"image\":").append(Json.quote(item.path().toString()))
                                .append(",\"embedding\":[");
                        float[] v = e.floats();
                        for (int i = 0; i < v.length; i++) sb.append(i > 0 ? "," : "").append(v[i]);
                        if (output == null) progress.clear();
                        text.println(sb.append("]}"));
                    } else {
                        vectors.add(e.floats());
                        embedded.add(item.path());
                    }
                } catch (GapnetException e) {
                    failures++;
                    failed(text, item.path(), e.getMessage());
                } catch (RuntimeException e) { // a bug with this image: reported alone, the run goes on
                    failures++;
                    failed(text, item.path(), Main.message(e));
                }
                progress.update(++done);
            }
        } finally {
            progress.finish();
        }
        if (format == Format.npy) writeNpy(vectors, embedded);
        return Main.itemsDone(failures, files.size() + listing.errors().size());
    }

    /** An image that could not be embedded: a line on standard error, and an error row in JSON lines. */
    private void failed(PrintStream text, Path image, String message) {
        if (progress != null) progress.clear();
        System.err.println("gapnet: " + image + ": " + message);
        if (text != null) text.println(Main.jsonErrorRow(image, message));
    }

    private PrintStream open() throws IOException {
        // lines go out one by one when a progress bar shares the terminal
        if (output == null) return new PrintStream(new BufferedOutputStream(System.out), Progress.stderrIsTerminal(),
                StandardCharsets.UTF_8) {
            @Override
            public void close() {
                flush(); // standard output stays open
            }
        };
        return new PrintStream(new BufferedOutputStream(Files.newOutputStream(output)), false, StandardCharsets.UTF_8);
    }

    private void writeNpy(List<float[]> vectors, List<Path> embedded) throws IOException {
        int c = vectors.isEmpty() ? 0 : vectors.get(0).length;
        float[] all = new float[vectors.size() * c];
        for (int i = 0; i < vectors.size(); i++) System.arraycopy(vectors.get(i), 0, all, i * c, c);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(output))) {
            Npy.write(out, all, vectors.size(), c);
        }
        Path index = Path.of(output + ".txt");
        Files.write(index, embedded.stream().map(Path::toString).toList(), StandardCharsets.UTF_8);
        System.err.println("wrote " + vectors.size() + " embeddings of " + c + " values to " + output + " (rows in the order of " + index + ")");
    }
}
