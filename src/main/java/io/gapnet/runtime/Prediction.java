package io.gapnet.runtime;

/** One class of a top-K answer: its index in the output and its probability (or score). */
public record Prediction(int index, float probability) {}
