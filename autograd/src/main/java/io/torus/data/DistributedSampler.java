package io.torus.data;

import io.torus.autograd.Tensor;
import io.torus.tensor.Generator;

import java.util.Arrays;
import java.util.Iterator;

/**
 * This rank's share of a dataset, with PyTorch's DistributedSampler semantics: the (optionally
 * shuffled by seed + epoch) index list is padded by wrapping around, or truncated with
 * {@code dropLast}, to a multiple of the replica count, and rank r takes every numReplicas-th
 * index starting at r. Call {@link #setEpoch} before each epoch for a new order.
 */
public final class DistributedSampler implements Sampler {
    private final int datasetSize;
    private final int numReplicas;
    private final int rank;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int numSamples;
    private int epoch;

    public DistributedSampler(int datasetSize, int numReplicas, int rank, boolean shuffle, long seed, boolean dropLast) {
        if (numReplicas < 1) {
            throw new IllegalArgumentException("DistributedSampler: numReplicas " + numReplicas + " must be >= 1");
        }
        if (rank < 0 || rank >= numReplicas) {
            throw new IllegalArgumentException("Invalid rank " + rank + ", rank should be in the interval [0, " + (numReplicas - 1) + "]");
        }
        this.datasetSize = datasetSize;
        this.numReplicas = numReplicas;
        this.rank = rank;
        this.shuffle = shuffle;
        this.seed = seed;
        this.dropLast = dropLast;
        this.numSamples = dropLast && datasetSize % numReplicas != 0
                ? (int) Math.ceil((datasetSize - numReplicas) / (double) numReplicas)
                : (int) Math.ceil(datasetSize / (double) numReplicas);
    }

    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    public int epoch() {
        return epoch;
    }

    @Override
    public int size() {
        return numSamples;
    }

    /** This rank's indices for the current epoch. */
    public int[] indices() {
        int total = numSamples * numReplicas;
        int[] all;
        if (shuffle) {
            all = Arrays.stream(Tensor.randperm(datasetSize, new Generator(seed + epoch)).toLongArray())
                    .mapToInt(l -> (int) l).toArray();
        } else {
            all = new int[datasetSize];
            Arrays.setAll(all, i -> i);
        }
        int[] padded = new int[total];
        for (int i = 0; i < total; i++) {
            padded[i] = all.length == 0 ? 0 : all[i % all.length];
        }
        int[] mine = new int[numSamples];
        for (int i = 0; i < numSamples; i++) {
            mine[i] = padded[rank + i * numReplicas];
        }
        return mine;
    }

    @Override
    public Iterator<Integer> iterator() {
        return Arrays.stream(indices()).iterator();
    }
}
