package io.gapnet.cli;

import io.gapnet.GapnetException;
import io.gapnet.models.ModelCache;
import io.gapnet.models.ModelZoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "models", mixinStandardHelpOptions = true, sortOptions = false,
        description = "List the downloaded models in the cache ($GAPNET_CACHE, default ~/.cache/gapnet) and the "
            + "trained models of the zoo, which --model zoo:NAME downloads once and then uses offline.",
        footer = {"", "Examples:",
            "  gapnet models",
            "  gapnet models --add https://example.org/model.onnx model.onnx     (a file fetched by other means)"})
final class ModelsCommand implements Callable<Integer> {
    @Option(names = "--add", arity = "2", paramLabel = "URL_OR_ZOO FILE", description = "Put FILE into the cache as the"
            + " download of URL (or zoo:NAME, whose SHA-256 it must match), for machines without network access.")
    List<String> add;

    @Override
    public Integer call() {
        ModelCache cache = ModelCache.defaultCache();
        if (add != null) {
            String url = add.get(0), sha = null;
            if (url.startsWith("zoo:")) {
                ModelZoo.Entry e = ModelZoo.require(url.substring(4));
                url = e.url();
                sha = e.sha256();
            }
            Path file = Path.of(add.get(1));
            if (!Files.isRegularFile(file)) throw new GapnetException("--add: no such file: " + file);
            System.out.println("added " + cache.put(url, sha, file) + " as " + url);
            return 0;
        }
        List<ModelCache.Entry> cached = cache.list();
        System.out.println("cache " + cache.dir() + (cached.isEmpty() ? ": empty" : ":"));
        Set<String> urls = new HashSet<>();
        for (ModelCache.Entry e : cached) {
            urls.add(e.url());
            System.out.printf(Locale.ROOT, "  %-60s %9.1f MB  %s  sha256 %s%n", e.url(), e.bytes() / 1e6,
                    e.downloaded().toString().substring(0, 10), e.sha256());
        }
        System.out.println("zoo (--model zoo:NAME; ONNX model zoo files, checked against their published SHA-256):");
        for (ModelZoo.Entry z : ModelZoo.entries()) {
            System.out.printf(Locale.ROOT, "  %-18s %7.1f MB  %-8s %s%n", z.name(), z.bytes() / 1e6,
                    urls.contains(z.url()) ? "cached" : "", z.description());
        }
        return 0;
    }
}
