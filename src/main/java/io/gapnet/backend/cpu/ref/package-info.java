/**
 * The CPU reference, backend {@code cpu-ref}: the specification. Naive loops, double-precision accumulation, one small
 * class per op family; never optimised. Every other backend, the fast {@code cpu} path included, is checked against
 * these kernels by the conformance suite.
 */
package io.gapnet.backend.cpu.ref;
