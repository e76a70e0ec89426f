package io.gapnet.cli;

import io.gapnet.GapnetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Class labels from a file: one label per line, {@code index,label}, or {@code synset label} (ImageNet style). */
final class Labels {
    private static final Pattern INDEXED = Pattern.compile("^\\s*(\\d+)\\s*,\\s*(.*)$");
    private static final Pattern SYNSET = Pattern.compile("^n\\d{8}\\s+(.*)$");

    private final List<String> names;

    private Labels(List<String> names) {
        this.names = names;
    }

    static Labels none() {
        return new Labels(List.of());
    }

    static Labels read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new GapnetException("cannot read labels file " + file + ": " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) continue;
            Matcher m = INDEXED.matcher(line);
            if (m.matches()) {
                int i = Integer.parseInt(m.group(1));
                while (names.size() <= i) names.add(null);
                names.set(i, m.group(2).trim());
                continue;
            }
            Matcher s = SYNSET.matcher(line.trim());
            names.add(s.matches() ? s.group(1).trim() : line.trim());
        }
        return new Labels(names);
    }

    /** The label of a class index, or the index itself when there is none. */
    String name(int index) {
        return index < names.size() && names.get(index) != null ? names.get(index) : Integer.toString(index);
    }
}
