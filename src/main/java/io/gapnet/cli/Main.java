package io.gapnet.cli;

import io.gapnet.GapnetException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The `gapnet` command line. */
@Command(name = "gapnet", mixinStandardHelpOptions = true, version = "gapnet 0.1.0",
        description = "Run convolutional image classifiers from Java on the CPU, OpenCL and CUDA.",
        subcommands = {DevicesCommand.class, InfoCommand.class, TestOnnxCommand.class, ClassifyCommand.class,
            BenchCommand.class, ConformanceCommand.class, ParityCommand.class, ExplainCommand.class, EmbedCommand.class, ServeCommand.class, CommandLine.HelpCommand.class})
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

    /** Runs the CLI and returns its exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof GapnetException) {
                cmd.getErr().println("gapnet: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl.execute(args);
    }
}
