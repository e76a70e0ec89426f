package io.gapnet.backend;

/** How Pad fills the new border: a constant, a mirror image without the edge, or copies of the edge. */
public enum PadMode { CONSTANT, REFLECT, EDGE }
