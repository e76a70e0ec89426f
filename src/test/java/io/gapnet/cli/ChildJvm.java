package io.gapnet.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts the CLI in a JVM of its own (for what an in-process run cannot show: the working folder, signals, modules). */
final class ChildJvm {
    private ChildJvm() {}

    static ProcessBuilder builder(Path cwd, List<String> jvmArgs, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.gapnet.cli.Main");
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(cwd.toFile());
    }

    record Result(int code, String out, String err) {}

    /** Runs to the end (at most ten minutes: a hung child fails the test instead of the build). */
    static Result run(Path cwd, List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        Path out = cwd.resolve(".child-out"), err = cwd.resolve(".child-err");
        Process p = builder(cwd, jvmArgs, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the child JVM did not finish: gapnet " + String.join(" ", args));
        }
        return new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
    }
}
