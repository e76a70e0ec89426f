import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Lists the classes that more than one entry of a class path provides (jars or folders), and exits 1 when there are
 * any. Multi-release variants (META-INF/versions) and module-info are not duplicates.
 *   java DuplicateClasses.java CLASSPATH
 */
public class DuplicateClasses {
    public static void main(String[] args) throws IOException {
        Map<String, List<String>> owners = new TreeMap<>();
        int entries = 0;
        for (String part : args[0].split(java.io.File.pathSeparator)) {
            if (part.isBlank()) continue;
            Path p = Path.of(part);
            entries++;
            if (Files.isDirectory(p)) {
                try (var walk = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) walk::iterator) {
                        String name = p.relativize(f).toString().replace('\\', '/');
                        if (name.endsWith(".class")) add(owners, name, part);
                    }
                }
            } else if (Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) add(owners, e.getName(), part);
                }
            }
        }
        int duplicates = 0, classes = 0;
        for (Map.Entry<String, List<String>> e : owners.entrySet()) {
            classes++;
            if (e.getValue().size() < 2) continue;
            if (duplicates++ < 20) System.out.println("duplicate " + e.getKey() + " in " + e.getValue());
        }
        System.out.println(classes + " classes in " + entries + " class path entries, " + duplicates + " duplicated");
        System.exit(duplicates == 0 ? 0 : 1);
    }

    private static void add(Map<String, List<String>> owners, String name, String from) {
        if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")) return;
        owners.computeIfAbsent(name, k -> new ArrayList<>()).add(Path.of(from).getFileName().toString());
    }
}
