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

    /** The CUDA enum {@code enumName} in {@code cudaFile} and the OpenCL #defines in {@code clFile} number {@code values} as Java does. */
    private static void assertNumbering(String cudaFile, String enumName, String clFile, String prefix, Enum<?>[] values)
            throws IOException {
        Matcher enumBody = Pattern.compile("enum " + enumName + " \\{([^}]*)\\}").matcher(read(cudaFile));
        assertTrue(enumBody.find(), cudaFile + " has no enum " + enumName);
        String[] names = enumBody.group(1).replaceAll("\\s+", "").replace("=0", "").split(",");
        String cl = read(clFile);
        for (Enum<?> v : values) {
            assertEquals(prefix + v.name(), names[v.ordinal()], "CUDA " + enumName + " order");
            assertTrue(cl.contains("#define " + prefix + v.name() + " " + v.ordinal() + "\n"), "OpenCL " + prefix + v.name()
                    + " != " + v.ordinal());
        }
        assertEquals(values.length, names.length, enumName + " length");
    }

    @Test
    void activationNumberingMatches() throws IOException {
        assertNumbering("cuda-kernels/common.cuh", "ActKind", "opencl-kernels/common.cl", "ACT_", Activation.Kind.values());
    }

    @Test
    void binaryOpNumberingMatches() throws IOException {
        assertNumbering("cuda-kernels/elementwise.cu", "BinOp", "opencl-kernels/elementwise.cl", "OP_", BinaryOp.values());
    }

    @Test
    void reduceOpNumberingMatches() throws IOException {
        assertNumbering("cuda-kernels/gap.cu", "ReduceKind", "opencl-kernels/gap.cl", "RED_", io.gapnet.backend.ReduceOp.values());
    }
}
