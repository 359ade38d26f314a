package io.torus.autograd.engine;

/** Where a gradient goes next: input {@code inputNr} of {@code node} (an output slot of that node). */
public record Edge(Node node, int inputNr) {
}
