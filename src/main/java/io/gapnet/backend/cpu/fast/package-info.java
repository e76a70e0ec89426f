/**
 * The fast CPU path, backend {@code cpu}: packed, register-tiled SGEMM and implicit-GEMM convolutions (Vector API
 * kernels where the JVM has them, a scalar fallback otherwise), direct convolutions for narrow groups, windowed
 * pooling, and the reference's element-wise loops run on every core. Tested against {@code cpu.ref}, the
 * specification.
 */
package io.gapnet.backend.cpu.fast;
