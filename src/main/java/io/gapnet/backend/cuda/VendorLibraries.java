package io.gapnet.backend.cuda;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * NVIDIA's cuBLAS 13 and cuDNN 9 (CUDA 13 libraries) through the bytedeco CUDA presets, loaded when the machine
 * has them and never required. The presets ship only their JNI bindings, which link the NVIDIA libraries by soname;
 * those are found here (in {@code -Dgapnet.cuda.libraryPath}, {@code GAPNET_CUDA_LIBRARY_PATH},
 * {@code LD_LIBRARY_PATH}, the CUDA toolkit and the {@code nvidia/*}{@code /lib} folders of Python's
 * site-packages, where PyTorch's wheels put them) and loaded by absolute path first, so that the bindings
 * resolve against them wherever they lie. Whatever fails is kept as a one-line reason that {@code gapnet devices}
 * and {@code bench} print.
 */
final class VendorLibraries {
    /** The runtime and cuBLAS, in an order where each library's dependencies come before it. */
    static final List<String> CUBLAS = List.of("libcudart.so.13", "libcublasLt.so.13", "libcublas.so.13");
    /** cuDNN 9's libraries (its bindings link the first four; the shim loads the engines at run time). */
    static final List<String> CUDNN = List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9",
            "libcudnn_adv.so.9", "libcudnn.so.9", "libcudnn_heuristic.so.9", "libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9");
    /** Loaded when present: cuDNN's runtime-compiled engines use NVRTC and nvJitLink. */
    static final List<String> OPTIONAL = List.of("libnvrtc.so.13", "libnvJitLink.so.13");

    private static String cublasReason;
    private static Boolean cublas;
    private static String cudnnReason;
    private static Boolean cudnn;
    private static final Map<String, Path> loaded = new LinkedHashMap<>();

    private VendorLibraries() {}

    /** Whether cuBLAS 13 is loaded; the first call loads it (and never again after a failure). */
    static synchronized boolean cublas() {
        if (cublas == null) {
            cublasReason = loadAll(CUBLAS, List.of());
            if (cublasReason == null) cublasReason = bind("org.bytedeco.cuda.global.cublas");
            cublas = cublasReason == null;
        }
        return cublas;
    }

    /** Whether cuDNN 9 is loaded (it needs cuBLAS 13's runtime too). */
    static synchronized boolean cudnn() {
        if (cudnn == null) {
            if (!cublas()) {
                cudnnReason = "needs the CUDA 13 runtime and cuBLAS 13, which did not load (" + cublasReason + ")";
            } else {
                cudnnReason = loadAll(CUDNN, OPTIONAL);
                if (cudnnReason == null) cudnnReason = bind("org.bytedeco.cuda.global.cudnn");
            }
            cudnn = cudnnReason == null;
        }
        return cudnn;
    }

    static synchronized String cublasReason() {
        cublas();
        return cublasReason;
    }

    static synchronized String cudnnReason() {
        cudnn();
        return cudnnReason;
    }

    /** Where a loaded library came from (for the device report), or null. */
    static synchronized Path where(String soname) {
        return loaded.get(soname);
    }

    /** cuDNN's version as major.minor.patch (cudnnGetVersion's 91900 is 9.19.0); cuDNN must be loaded. */
    static String cudnnVersion() {
        long v = org.bytedeco.cuda.global.cudnn.cudnnGetVersion();
        return (v / 10000) + "." + (v % 10000 / 100) + "." + (v % 100);
    }

    /**
     * Loads {@code required} (and whichever of {@code optional} exist) by absolute path; returns null on success or
     * the reason it failed. A library whose dependency is not loaded yet is tried again after the others.
     */
    static String loadAll(List<String> required, List<String> optional) {
        List<Path> dirs = searchDirs();
        List<Path> pending = new ArrayList<>();
        for (String name : required) {
            if (loaded.containsKey(name)) continue;
            Path p = find(name, dirs);
            if (p == null) {
                return name + " not found (looked in " + dirs.size() + " folders: -Dgapnet.cuda.libraryPath, "
                        + "GAPNET_CUDA_LIBRARY_PATH, LD_LIBRARY_PATH, the CUDA toolkit and Python's nvidia/*/lib); install it"
                        + " or point -Dgapnet.cuda.libraryPath at its folder";
            }
            pending.add(p);
        }
        for (String name : optional) {
            Path p = find(name, dirs);
            if (p != null && !loaded.containsKey(name)) pending.add(p);
        }
        Map<Path, String> errors = new LinkedHashMap<>();
        boolean progress = true;
        while (!pending.isEmpty() && progress) {
            progress = false;
            for (var it = pending.iterator(); it.hasNext(); ) {
                Path p = it.next();
                try {
                    System.load(p.toString());
                    loaded.put(p.getFileName().toString(), p);
                    errors.remove(p);
                    it.remove();
                    progress = true;
                } catch (UnsatisfiedLinkError e) {
                    errors.put(p, CudaLibrary.linkError(e));
                }
            }
        }
        for (Path p : pending) {
            if (required.contains(p.getFileName().toString())) return "cannot load " + p + ": " + errors.get(p);
        }
        return null;
    }

    /** Loads a presets class's JNI binding (javacpp), which now finds its NVIDIA libraries already loaded. */
    private static String bind(String presetsClass) {
        try {
            Set<String> dirs = new LinkedHashSet<>();
            for (Path p : loaded.values()) dirs.add(p.getParent().toString());
            System.setProperty("org.bytedeco.javacpp.platform.preloadpath", String.join(File.pathSeparator, dirs));
            org.bytedeco.javacpp.Loader.load(Class.forName(presetsClass));
            return null;
        } catch (Throwable t) { // UnsatisfiedLinkError, or the bindings missing from a trimmed jar
            return "the bytedeco binding " + presetsClass + " did not load: " + CudaLibrary.linkError(t);
        }
    }

    /** The folders searched, in order, without duplicates or folders that do not exist. */
    static List<Path> searchDirs() {
        List<String> entries = new ArrayList<>();
        addPathList(entries, System.getProperty("gapnet.cuda.libraryPath"));
        addPathList(entries, System.getenv("GAPNET_CUDA_LIBRARY_PATH"));
        addPathList(entries, System.getenv("LD_LIBRARY_PATH"));
        entries.add("/usr/local/cuda/lib64");
        entries.add("/usr/local/cuda/targets/x86_64-linux/lib");
        entries.add("/usr/lib/x86_64-linux-gnu");
        List<Path> sitePackages = new ArrayList<>();
        for (String env : new String[] {"VIRTUAL_ENV", "CONDA_PREFIX"}) {
            String prefix = System.getenv(env);
            if (prefix != null) sitePackages.addAll(pythonSitePackages(Path.of(prefix, "lib")));
        }
        for (String lib : new String[] {"/usr/local/lib", "/usr/lib", "/opt/conda/lib", System.getProperty("user.home")
                + "/.local/lib"}) {
            sitePackages.addAll(pythonSitePackages(Path.of(lib)));
        }
        List<Path> out = new ArrayList<>();
        for (String e : entries) out.add(Path.of(e));
        for (Path site : sitePackages) out.addAll(nvidiaLibDirs(site));
        return existing(out);
    }

    private static void addPathList(List<String> into, String value) {
        if (value == null) return;
        for (String s : value.split(File.pathSeparator)) if (!s.isBlank()) into.add(s.trim());
    }

    /** {@code lib/python3.*}{@code /site-packages} and {@code dist-packages} under {@code lib}. */
    static List<Path> pythonSitePackages(Path lib) {
        List<Path> out = new ArrayList<>();
        for (Path py : list(lib, "python3*")) {
            for (String kind : new String[] {"site-packages", "dist-packages"}) out.add(py.resolve(kind));
        }
        return out;
    }

    /** The {@code nvidia/*}{@code /lib} and {@code lib64} folders of one site-packages (PyTorch's CUDA wheels). */
    static List<Path> nvidiaLibDirs(Path sitePackages) {
        List<Path> out = new ArrayList<>();
        for (Path pkg : list(sitePackages.resolve("nvidia"), "*")) {
            out.add(pkg.resolve("lib"));
            out.add(pkg.resolve("lib64"));
        }
        return out;
    }

    /** The first folder holding {@code soname}, or null. */
    static Path find(String soname, List<Path> dirs) {
        for (Path d : dirs) {
            Path p = d.resolve(soname);
            if (Files.isRegularFile(p)) return p.toAbsolutePath();
        }
        return null;
    }

    private static List<Path> existing(List<Path> dirs) {
        Set<Path> seen = new LinkedHashSet<>();
        for (Path d : dirs) if (Files.isDirectory(d)) seen.add(d.toAbsolutePath().normalize());
        return List.copyOf(seen);
    }

    private static List<Path> list(Path dir, String glob) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, glob)) {
            for (Path p : s) if (Files.isDirectory(p)) out.add(p);
        } catch (IOException | SecurityException e) {
            // an unreadable folder holds nothing we can load
        }
        out.sort(null);
        return out;
    }
}
