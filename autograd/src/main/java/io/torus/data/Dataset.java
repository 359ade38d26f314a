package io.torus.data;

/** A finite, indexable collection of samples, as in PyTorch's map-style datasets. */
public interface Dataset<T> {
    int size();

    T get(int index);
}
