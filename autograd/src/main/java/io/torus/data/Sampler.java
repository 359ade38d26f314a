package io.torus.data;

/** An order in which to visit dataset indices. */
public interface Sampler extends Iterable<Integer> {
    int size();
}
