package io.gapnet.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java example compiles as pasted and runs; every public type has a Javadoc comment. */
class ReadmeTest {
    static final Path README = Path.of("README.md");

    /** The fenced Java block after {@code <!-- readme-example: NAME.java -->}. */
    static String example(String name) throws Exception {
        String md = Files.readString(README);
        Matcher m = Pattern.compile("<!-- readme-example: " + Pattern.quote(name) + " -->\\s*```java\\n(.*?)```", Pattern.DOTALL)
                .matcher(md);
        assertTrue(m.find(), "README.md has no example marked " + name);
        return m.group(1);
    }

    @Test
    void theJavaExampleCompilesAsPastedAndRuns(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("ClassifyExample.java");
        Files.writeString(src, example("ClassifyExample.java"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        // -path: the bytedeco CUDA jar's manifest names a javacpp.jar beside it, which Maven keeps elsewhere
        int rc = javac.run(null, diag, diag, "-d", dir.toString(), "-cp", System.getProperty("java.class.path"), "-Xlint:all,-path",
                "-Werror", src.toString());
        assertEquals(0, rc, "the README example does not compile:\n" + diag);

        BufferedImage img = new BufferedImage(300, 240, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 240; y++) for (int x = 0; x < 300; x++) img.setRGB(x, y, (x * 7 + y * 3) * 0x010203);
        Path png = dir.resolve("photo.png");
        ImageIO.write(img, "png", png.toFile());
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            // the built-in ResNet-18 (random weights) stands in for the zoo model: no network in tests
            loader.loadClass("ClassifyExample").getMethod("main", String[].class).invoke(null,
                    (Object) new String[] {"resnet18", png.toString()});
        } finally {
            System.setOut(old);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(4, lines.size(), String.join("\n", lines));
        for (int i = 0; i < 3; i++) assertTrue(lines.get(i).matches(".+ 0\\.\\d{4}"), lines.get(i));
        // ResNet-18's GAP vector has 512 channels, its last maps are 7x7 for a 224x224 crop
        assertTrue(lines.get(3).startsWith("embedding of 512 values, CAM of 7x7 for "), lines.get(3));
    }

    @Test
    void theSparkExampleCompilesAsPasted(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("SparkExample.java");
        Files.writeString(src, example("SparkExample.java"));
        ByteArrayOutputStream diag = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diag, diag, "-d", dir.toString(), "-cp",
                System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "the README's Spark example does not compile:\n" + diag);
    }

    @Test
    void everyPublicTypeHasAJavadocComment() throws Exception {
        Pattern type = Pattern.compile("^\\s*public\\s+(?:(?:static|final|abstract|sealed|non-sealed)\\s+)*"
                + "(?:class|interface|record|enum|@interface)\\s+(\\w+)");
        List<String> missing = new ArrayList<>();
        List<Path> files;
        try (var walk = Files.walk(Path.of("src/main/java"))) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertTrue(files.size() > 50, "found the sources");
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = type.matcher(lines.get(i));
                if (!m.find()) continue;
                // walk back over annotations (which may span lines) to the comment that must end right above
                int j = i - 1;
                while (j >= 0 && !lines.get(j).trim().endsWith("*/") && !lines.get(j).isBlank()
                        && !lines.get(j).trim().matches(".*[;{}]$")) {
                    j--;
                }
                if (j < 0 || !lines.get(j).trim().endsWith("*/")) missing.add(f + ":" + (i + 1) + " " + m.group(1));
            }
        }
        assertTrue(missing.isEmpty(), "public types without a Javadoc comment:\n" + String.join("\n", missing));
    }
}
