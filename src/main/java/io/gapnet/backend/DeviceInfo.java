package io.gapnet.backend;

import java.util.Map;

/**
 * One device a backend can run on, as `gapnet devices` lists it.
 *
 * @param backend backend name, such as {@code cpu}, {@code opencl} or {@code cuda}
 * @param id the name to select it with, such as {@code cpu} or {@code opencl:1}
 * @param name human-readable device name
 * @param details further facts (memory, compute units, versions, which GEMM path runs), in display order
 */
public record DeviceInfo(String backend, String id, String name, Map<String, String> details) {}
