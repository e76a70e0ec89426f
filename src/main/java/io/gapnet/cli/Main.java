package io.gapnet.cli;

import io.gapnet.GapnetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `gapnet` command line. */
@Command(name = "gapnet", mixinStandardHelpOptions = true, version = "gapnet 0.1.0",
        description = "Run convolutional image classifiers from Java on the CPU, OpenCL and CUDA.",
        subcommands = {DevicesCommand.class, InfoCommand.class, TestOnnxCommand.class, ClassifyCommand.class,
            BenchCommand.class, ConformanceCommand.class, ParityCommand.class, ExplainCommand.class, EmbedCommand.class, ServeCommand.class, ModelsCommand.class, SparkCommand.class, GapBandwidthCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Exit code of a user error: a bad argument, model, image or file; one line says what and what to do. */
    static final int USER_ERROR = 2;
    /** Exit code of a bug in gapnet: one line names the exception; GAPNET_DEBUG=1 prints the stack trace too. */
    static final int INTERNAL_ERROR = 3;

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --colormap viridis, --format JSONL
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean internal = internal(e);
            cmd.getErr().println("gapnet: " + message(e));
            if (System.getenv("GAPNET_DEBUG") != null) e.printStackTrace(cmd.getErr());
            return internal ? INTERNAL_ERROR : USER_ERROR;
        });
        return cl.execute(args);
    }

    private static boolean internal(Throwable e) {
        return !(e instanceof GapnetException || e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException
                || e instanceof OutOfMemoryError);
    }

    /** Refuses, before any work is done, an output file whose folder does not exist or cannot be written. */
    static void checkWritable(java.nio.file.Path file, String option) {
        java.nio.file.Path dir = file.toAbsolutePath().getParent();
        if (dir == null) return;
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new GapnetException(option + " " + file + ": the folder " + dir + " does not exist; create it first");
        }
        if (!java.nio.file.Files.isWritable(dir)) throw new GapnetException(option + " " + file + ": the folder " + dir + " is not writable");
    }

    /** The JSON-lines row of an image that could not be used, the same in classify and embed. */
    static String jsonErrorRow(java.nio.file.Path image, String message) {
        return "{\"image\":" + io.gapnet.util.Json.quote(image.toString()) + ",\"error\":" + io.gapnet.util.Json.quote(message) + "}";
    }

    /** The end of a run over many images: how many failed, if any, on standard error; exit code 1 when any did. */
    static int itemsDone(int failures, int items) {
        if (failures == 0) return 0;
        System.err.println("gapnet: " + failures + " of " + items + " failed");
        return 1;
    }

    /** What a user sees of an exception: never a stack trace. */
    static String message(Throwable e) {
        if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) e = u.getCause();
        if (e instanceof GapnetException) return e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException f) return "no such file or folder: " + f.getFile();
        if (e instanceof java.nio.file.AccessDeniedException f) return "permission denied: " + f.getFile();
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : e.getClass().getSimpleName());
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.net.BindException) {
                return "cannot listen: " + c.getMessage() + " (another program holds the port? choose another with --port)";
            }
        }
        if (e instanceof java.io.IOException) return e.getMessage() != null ? e.getMessage() : e.toString();
        if (e instanceof OutOfMemoryError) {
            return "out of memory (" + e.getMessage() + "); give Java more heap (GAPNET_JAVA_OPTS=-Xmx8g) or use a smaller"
                    + " batch or input";
        }
        return "internal error: " + e + " (please report it; GAPNET_DEBUG=1 prints the stack trace)";
    }
}
