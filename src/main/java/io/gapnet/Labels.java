package io.gapnet;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Class names, one per class index. A labels file has one line per class, in one of three forms: the label alone
 * (line {@code i} names class {@code i}), {@code index,label}, or {@code synset label} (ImageNet's
 * {@code n01440764 tench, Tinca tinca}). A blank line keeps its position: that class has no name and is shown by
 * its index. Blank lines at the end of the file are ignored.
 */
public final class Labels implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    private static final Pattern INDEXED = Pattern.compile("^\\s*(\\d+)\\s*,\\s*(.*)$");
    private static final Pattern SYNSET = Pattern.compile("^n\\d{8}\\s+(.*)$");

    private final List<String> names;
    private final String source;

    private Labels(List<String> names, String source) {
        this.names = Collections.unmodifiableList(names);
        this.source = source;
    }

    /** No labels: every class is shown by its index. */
    public static Labels none() {
        return new Labels(new ArrayList<>(), "no labels");
    }

    /** These names, class 0 first. */
    public static Labels of(List<String> names) {
        return new Labels(new ArrayList<>(names), "a list of " + names.size() + " labels");
    }

    /** The 1000 ImageNet-1k class names (the torchvision and ONNX model zoo order), shipped with gapnet. */
    public static Labels imagenet() {
        try (InputStream in = Labels.class.getResourceAsStream("/io/gapnet/imagenet-labels.txt")) {
            if (in == null) throw new GapnetException("the ImageNet labels are missing from the gapnet jar");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList(), "the ImageNet labels");
        } catch (IOException e) {
            throw new GapnetException("cannot read the ImageNet labels shipped with gapnet: " + e.getMessage(), e);
        }
    }

    /** Reads a labels file (UTF-8). */
    public static Labels read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new GapnetException("no such labels file: " + file);
        } catch (IOException e) {
            throw new GapnetException("cannot read labels file " + file + ": " + e.getMessage(), e);
        }
        return parse(lines, "labels file " + file);
    }

    /** Parses the lines of a labels file; {@code source} names it in error messages. */
    public static Labels parse(List<String> lines, String source) {
        int end = lines.size();
        while (end > 0 && lines.get(end - 1).isBlank()) end--;
        List<String> names = new ArrayList<>();
        for (int n = 0; n < end; n++) {
            String line = lines.get(n);
            if (n == 0 && line.startsWith("\uFEFF")) line = line.substring(1);
            Matcher m = INDEXED.matcher(line);
            if (m.matches()) {
                int i;
                try {
                    i = Integer.parseInt(m.group(1));
                } catch (NumberFormatException e) {
                    throw new GapnetException(source + " line " + (n + 1) + ": class index " + m.group(1) + " is too large");
                }
                if (i > 10_000_000) throw new GapnetException(source + " line " + (n + 1) + ": class index " + i + " is too large");
                while (names.size() <= i) names.add(null);
                if (names.get(i) != null) {
                    throw new GapnetException(source + " line " + (n + 1) + ": class " + i + " is named twice ('" + names.get(i)
                            + "' and '" + m.group(2).trim() + "')");
                }
                names.set(i, m.group(2).trim());
                continue;
            }
            if (line.isBlank()) {
                names.add(null);
                continue;
            }
            Matcher s = SYNSET.matcher(line.trim());
            names.add(s.matches() ? s.group(1).trim() : line.trim());
        }
        return new Labels(names, source);
    }

    /** The number of classes named (the highest index plus one); 0 for {@link #none()}. */
    public int size() {
        return names.size();
    }

    /** The label of a class index, or the index itself when it has none. */
    public String name(int index) {
        return index >= 0 && index < names.size() && names.get(index) != null ? names.get(index) : Integer.toString(index);
    }

    /**
     * Refuses labels that do not fit a model with {@code classes} outputs: a file of 1001 lines for 1000 classes
     * (a background class, or a header line) would shift every name by one, silently. No labels fit every model.
     */
    public Labels checkClasses(int classes) {
        if (!names.isEmpty() && names.size() != classes) {
            throw new GapnetException(source + " names " + names.size() + " classes but the model has " + classes
                    + " outputs; give a labels file with one line per class (a header line or a background class shifts"
                    + " every label)");
        }
        return this;
    }

    @Override
    public String toString() {
        return source + " (" + names.size() + " classes)";
    }
}
