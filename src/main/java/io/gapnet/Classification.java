package io.gapnet;

/**
 * One class of an answer: its index in the model's output, its label (the index as text when there are no labels)
 * and its probability (softmax over the classes, or a per-class sigmoid for multi-label heads).
 *
 * @param index the class index
 * @param label the class name
 * @param probability the probability, 0..1
 */
public record Classification(int index, String label, float probability) {}
