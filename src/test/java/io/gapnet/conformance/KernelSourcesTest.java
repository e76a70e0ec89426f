package io.gapnet.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gapnet.backend.Activation;
import io.gapnet.backend.BinaryOp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks without a GPU that the Java launchers and the kernel sources agree: every kernel a backend launches
 * exists in the file it names, every CUDA source has its fatbin in the jar, and the activation and binary-op
 * numbering in the kernels matches the Java enums (a mismatch would silently compute the wrong function).
 */
class KernelSourcesTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Pattern LAUNCH = Pattern.compile("new Launch\\(\"([\\w.]+)\",\\s*(?:gemm \\? )?\"(\\w+)\"(?:\\s*:\\s*\"(\\w+)\")?");

    static String read(String relative) throws IOException {
        return Files.readString(ROOT.resolve(relative));
    }

    static List<String[]> launches(String javaFile) throws IOException {
        List<String[]> out = new ArrayList<>();
        Matcher m = LAUNCH.matcher(read(javaFile));
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2)});
            if (m.group(3) != null) out.add(new String[] {m.group(1), m.group(3)});
        }
        return out;
    }

    @Test
    void everyCudaLaunchHasItsKernel() throws IOException {
        List<String[]> launches = launches("src/main/java/io/gapnet/backend/cuda/CudaKernels.java");
        assertTrue(launches.size() > 15, "found " + launches.size() + " launches");
        for (String[] l : launches) {
            String src = read("cuda-kernels/" + l[0] + ".cu");
            assertTrue(Pattern.compile("extern \"C\" __global__[^{;]*?\\b" + l[1] + "\\s*\\(").matcher(src).find(),
                    "cuda-kernels/" + l[0] + ".cu has no kernel " + l[1]);
        }
    }

    @Test
    void everyOpenClLaunchHasItsKernel() throws IOException {
        List<String[]> launches = launches("src/main/java/io/gapnet/backend/opencl/ClKernels.java");
        assertTrue(launches.size() > 15, "found " + launches.size() + " launches");
        for (String[] l : launches) {
            String src = read("opencl-kernels/" + l[0]);
            assertTrue(Pattern.compile("__kernel[^{;]*?\\b" + l[1] + "\\s*\\(").matcher(src).find(),
                    "opencl-kernels/" + l[0] + " has no kernel " + l[1]);
        }
    }

    @Test
    void everyCudaSourceShipsAsAFatbin() throws IOException {
        try (var files = Files.list(ROOT.resolve("cuda-kernels"))) {
            List<Path> cu = files.filter(p -> p.toString().endsWith(".cu")).toList();
            assertFalse(cu.isEmpty());
            for (Path p : cu) {
                String name = p.getFileName().toString().replace(".cu", ".fatbin");
                assertTrue(getClass().getResource("/cuda/" + name) != null, name + " is not on the classpath; run scripts/build-cuda-kernels");
            }
        }
    }

    @Test
    void activationNumberingMatches() throws IOException {
        String cuda = read("cuda-kernels/common.cuh");
        Matcher enumBody = Pattern.compile("enum ActKind \\{([^}]*)\\}").matcher(cuda);
        assertTrue(enumBody.find());
        String[] names = enumBody.group(1).replaceAll("\\s+", "").replace("=0", "").split(",");
        String cl = read("opencl-kernels/common.cl");
        for (Activation.Kind k : Activation.Kind.values()) {
            assertEquals("ACT_" + k.name(), names[k.ordinal()], "CUDA ActKind order");
            assertTrue(cl.contains("#define ACT_" + k.name() + " " + k.ordinal() + "\n"), "OpenCL ACT_" + k.name() + " != " + k.ordinal());
        }
        assertEquals(Activation.Kind.values().length, names.length);
    }

    @Test
    void binaryOpNumberingMatches() throws IOException {
        String cuda = read("cuda-kernels/elementwise.cu");
        Matcher enumBody = Pattern.compile("enum BinOp \\{([^}]*)\\}").matcher(cuda);
        assertTrue(enumBody.find());
        String[] names = enumBody.group(1).replaceAll("\\s+", "").replace("=0", "").split(",");
        String cl = read("opencl-kernels/elementwise.cl");
        for (BinaryOp op : BinaryOp.values()) {
            assertEquals("OP_" + op.name(), names[op.ordinal()], "CUDA BinOp order");
            assertTrue(cl.contains("#define OP_" + op.name() + " " + op.ordinal() + "\n"), "OpenCL OP_" + op.name());
        }
    }
}
