package io.gapnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gapnet.backend.Backend;
import io.gapnet.backend.Backends;
import io.gapnet.conformance.Conformance;
import io.gapnet.conformance.KernelCase;
import io.gapnet.conformance.KernelCases;
import io.gapnet.conformance.Require;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every argument list the Java side builds for {@code cuLaunchKernel} against the kernel's parameter list: the
 * count, and for each parameter its width and class, as {@code nvcc -ptx} declares them (with the .cu prototype
 * telling a pointer from a 64-bit integer, which PTX spells alike). An {@code int} passed for a {@code long long}
 * reads four bytes of whatever follows: it may work on a little-endian machine by luck, and this test fails it.
 * The launches come from running the whole conformance suite on CUDA (the simulator in CI), once through
 * cuBLAS and once through gapnet's own SGEMM, so that every launch site in {@link CudaKernels} runs.
 */
class LaunchSignatureTest {
    static final Path ROOT = Path.of("").toAbsolutePath();
    /** Kernels that only run after a cuBLAS call. */
    static final Set<String> CUBLAS_ONLY = Set.of("gemm_c_init_f32", "act_inplace_f32");

    static Path nvcc() {
        List<Path> candidates = new ArrayList<>();
        String env = System.getenv("NVCC");
        if (env != null && !env.isBlank()) candidates.add(Path.of(env));
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty()) candidates.add(Path.of(dir, "nvcc"));
        }
        candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        return candidates.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** The kind letter of one PTX parameter declaration, such as ".param .u64 gemm_f32_param_3". */
    static char ptxKind(String decl) {
        Matcher array = Pattern.compile("\\.b8\\s+\\w+\\[(\\d+)]").matcher(decl);
        if (array.find()) return array.group(1).equals("32") && decl.contains(".align 4") ? 'd' : '?';
        if (Pattern.compile("\\.[usb]64\\b").matcher(decl).find()) return '8'; // a pointer or a 64-bit integer
        if (Pattern.compile("\\.[usb]32\\b").matcher(decl).find()) return 'i';
        if (Pattern.compile("\\.f32\\b").matcher(decl).find()) return 'f';
        return '?';
    }

    /** The kind letter of one C++ parameter, such as "const float* __restrict__ x" or "long long aOff". */
    static char sourceKind(String param) {
        String p = param.replaceAll("\\s+", " ").trim();
        if (p.contains("*")) return 'p';
        if (p.matches("(const )?(long long|unsigned long long|int64_t|size_t) \\w+")) return 'l';
        if (p.matches("(const )?(int|unsigned|unsigned int|int32_t) \\w+")) return 'i';
        if (p.matches("(const )?float \\w+")) return 'f';
        if (p.matches("(const )?Dims8 \\w+")) return 'd';
        return '?';
    }

    /** Kernel name to its kind string, from the PTX of every cuda-kernels/*.cu checked against its source. */
    static Map<String, String> kernelSignatures(Path nvcc, Path tmp) throws IOException, InterruptedException {
        Map<String, String> out = new TreeMap<>();
        Pattern entry = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
        try (var files = Files.list(ROOT.resolve("cuda-kernels"))) {
            for (Path cu : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                Path ptx = tmp.resolve(cu.getFileName().toString().replace(".cu", ".ptx"));
                Process p = new ProcessBuilder(nvcc.toString(), "-ptx", "-arch=compute_90", "-std=c++17", "-O3", "-o",
                        ptx.toString(), cu.toString()).redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes());
                assertEquals(0, p.waitFor(), "nvcc -ptx " + cu + ":\n" + log);
                String source = Files.readString(cu);
                Matcher m = entry.matcher(Files.readString(ptx));
                while (m.find()) {
                    String name = m.group(1);
                    StringBuilder ptxKinds = new StringBuilder();
                    for (String decl : m.group(2).split(",")) if (!decl.isBlank()) ptxKinds.append(ptxKind(decl));
                    Matcher proto = Pattern.compile("extern \"C\" __global__[^{;]*?\\b" + name + "\\s*\\(([^)]*)\\)").matcher(source);
                    assertTrue(proto.find(), cu.getFileName() + ": no prototype for " + name);
                    StringBuilder kinds = new StringBuilder();
                    for (String param : proto.group(1).split(",")) if (!param.isBlank()) kinds.append(sourceKind(param));
                    String widths = kinds.toString().replace('p', '8').replace('l', '8');
                    assertEquals(ptxKinds.toString(), widths, name + ": the .cu prototype and nvcc's PTX disagree (kinds "
                            + kinds + " vs PTX " + ptxKinds + "); teach this test the parameter type");
                    out.put(name, kinds.toString());
                }
            }
        }
        return out;
    }

    static String explain(String kinds) {
        List<String> names = new ArrayList<>();
        for (char c : kinds.toCharArray()) {
            names.add(switch (c) {
                case 'p' -> "pointer";
                case 'l' -> "int64";
                case 'i' -> "int32";
                case 'f' -> "float32";
                case 'd' -> "Dims8";
                default -> "?";
            });
        }
        return String.join(", ", names);
    }

    /** What is wrong with Java passing {@code got} to a kernel that takes {@code want}, or null. */
    static String mismatch(String kernel, String got, String want) {
        if (got.equals(want)) return null;
        int at = 0;
        while (at < Math.min(got.length(), want.length()) && got.charAt(at) == want.charAt(at)) at++;
        String where = at < Math.min(got.length(), want.length())
                ? "parameter " + at + " is " + explain(String.valueOf(got.charAt(at))) + " in Java but "
                        + explain(String.valueOf(want.charAt(at))) + " in the kernel"
                : "Java passes " + got.length() + " arguments, the kernel takes " + want.length();
        return kernel + ": " + where + " (Java: " + explain(got) + "; kernel: " + explain(want) + ")";
    }

    @Test
    void mismatchesAreNamed() {
        assertEquals(null, mismatch("k", "pil", "pil"));
        assertEquals("k: parameter 2 is int32 in Java but int64 in the kernel (Java: pointer, int32, int32; kernel: pointer, "
                + "int32, int64)", mismatch("k", "pii", "pil"));
        assertEquals("k: Java passes 2 arguments, the kernel takes 3 (Java: pointer, int32; kernel: pointer, int32, float32)",
                mismatch("k", "pi", "pif"));
        assertEquals('l', sourceKind(" long long aOff"));
        assertEquals('p', sourceKind("const float* __restrict__ x"));
        assertEquals('8', ptxKind(".param .u64 gemm_f32_param_4"));
        assertEquals('d', ptxKind(".param .align 4 .b8 binary_f32_param_5[32]"));
    }

    @Test
    void everyLaunchMatchesItsKernelsParameters(@TempDir Path tmp) throws Exception {
        assumeTrue(Require.acceleratedBackends().contains("cuda"), "SKIPPED: no CUDA device here (mvn verify builds the "
                + "CUDA simulator when g++ is installed)");
        Path nvcc = nvcc();
        Require.tool("nvcc", nvcc != null, "nvcc is not installed, so the kernels' PTX signatures cannot be produced");
        Map<String, String> want = kernelSignatures(nvcc, tmp);
        assertTrue(want.size() >= 20, "kernels found in the PTX: " + want.keySet());

        Map<String, Set<String>> seen = new ConcurrentHashMap<>();
        CudaKernels.observer = (kernel, kinds) -> seen.computeIfAbsent(kernel, k -> ConcurrentHashMap.newKeySet()).add(kinds);
        boolean cublasLoaded;
        try {
            for (String cublas : new String[] {"true", "false"}) {
                System.setProperty("gapnet.cuda.cublas", cublas);
                try (Backend b = Backends.open("cuda")) {
                    for (KernelCase c : KernelCases.all()) Conformance.check(b, c);
                }
            }
            // cuDNN's epilogue, which the conformance suite reaches only where cuDNN loads (CudaLibrariesTest checks
            // what it computes)
            try (Backend b = Backends.open("cuda"); io.gapnet.backend.Queue q = b.openQueue();
                 io.gapnet.backend.DeviceBuffer y = b.allocate(6 * 4 * 4, "y");
                 io.gapnet.backend.DeviceBuffer bias = b.allocate(6, "bias")) {
                ((CudaKernels) q.kernels()).convEpilogue(new io.gapnet.backend.ConvDesc(1, 3, 4, 4, 6, 1, 1, 1, 1, 1, 1,
                        0, 0, 0, 0, 1, io.gapnet.backend.Activation.RELU), bias, y, y);
                q.synchronize();
            }
        } finally {
            CudaKernels.observer = null;
            System.clearProperty("gapnet.cuda.cublas");
            cublasLoaded = CudaLibrary.gemm() != CudaLibrary.Gemm.OWN;
        }

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : new TreeMap<>(seen).entrySet()) {
            String kinds = want.get(e.getKey());
            if (kinds == null) {
                problems.add(e.getKey() + ": launched, but no cuda-kernels/*.cu defines it");
                continue;
            }
            for (String got : e.getValue()) {
                String m = mismatch(e.getKey(), got, kinds);
                if (m != null) problems.add(m);
            }
        }
        for (String kernel : want.keySet()) {
            if (seen.containsKey(kernel) || (!cublasLoaded && CUBLAS_ONLY.contains(kernel))) continue;
            problems.add(kernel + ": never launched by the conformance suite, so its arguments are unchecked; add a case");
        }
        assertTrue(problems.isEmpty(), "launch arguments that do not match the kernels:\n" + String.join("\n", problems));
    }
}
