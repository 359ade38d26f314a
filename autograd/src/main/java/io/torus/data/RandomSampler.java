package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.Generator;

import java.util.Arrays;
import java.util.Iterator;

/** A fresh random permutation of 0..n-1 on every pass, drawn from its generator. */
public final class RandomSampler implements Sampler {
    private final int n;
    private final Generator generator;

    public RandomSampler(int n, Generator generator) {
        this.n = n;
        this.generator = generator;
    }

    public RandomSampler(int n) {
        this(n, Generator.global());
    }

    @Override
    public int size() {
        return n;
    }

    @Override
    public Iterator<Integer> iterator() {
        return Arrays.stream(Tensor.randperm(n, generator).toLongArray()).mapToInt(l -> (int) l).iterator();
    }
}
