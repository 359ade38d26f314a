package io.torus.data;

import io.torus.autograd.Tensor;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Batches a dataset in the order of a sampler. With {@code prefetch > 0} a background thread
 * assembles up to that many batches ahead of the training loop. Rows of a {@link TensorDataset}
 * (also under a {@link TransformedDataset}) are gathered in one copy per batch; other datasets are
 * stacked sample by sample.
 */
public final class DataLoader implements Iterable<Batch> {
    private final Dataset<Sample> dataset;
    private final int batchSize;
    private final Sampler sampler;
    private final boolean dropLast;
    private final int prefetch;

    public DataLoader(Dataset<Sample> dataset, int batchSize, Sampler sampler, boolean dropLast, int prefetch) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("DataLoader: batchSize " + batchSize + " must be >= 1");
        }
        if (prefetch < 0) {
            throw new IllegalArgumentException("DataLoader: prefetch " + prefetch + " must be >= 0");
        }
        this.dataset = dataset;
        this.batchSize = batchSize;
        this.sampler = sampler;
        this.dropLast = dropLast;
        this.prefetch = prefetch;
    }

    /** Batches in dataset order (or a fresh random order each pass when {@code shuffle}). */
    public DataLoader(Dataset<Sample> dataset, int batchSize, boolean shuffle) {
        this(dataset, batchSize, shuffle ? new RandomSampler(dataset.size()) : new SequentialSampler(dataset.size()), false, 0);
    }

    /** Number of batches in one pass. */
    public int size() {
        int n = sampler.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    @Override
    public Iterator<Batch> iterator() {
        return iterator(0);
    }

    /**
     * The batches of one pass from batch {@code first} on: the sampler is walked in full (so its
     * order, and whatever it draws from a generator, is that of a whole pass) but the first
     * {@code first} batches are not assembled. Resumes an epoch at a
     * {@link io.torus.io.TrainingCheckpoint#samplerPosition()}.
     */
    public Iterable<Batch> fromBatch(int first) {
        if (first < 0 || first > size()) {
            throw new IllegalArgumentException("DataLoader.fromBatch: batch " + first + " is outside 0.." + size()
                    + " (this loader has " + size() + " batches per pass)");
        }
        return () -> iterator(first);
    }

    private Iterator<Batch> iterator(int first) {
        List<long[]> plan = new ArrayList<>();
        List<Long> current = new ArrayList<>();
        for (int i : sampler) {
            current.add((long) i);
            if (current.size() == batchSize) {
                plan.add(current.stream().mapToLong(Long::longValue).toArray());
                current.clear();
            }
        }
        if (!current.isEmpty() && !dropLast) {
            plan.add(current.stream().mapToLong(Long::longValue).toArray());
        }
        plan = plan.subList(Math.min(first, plan.size()), plan.size());
        return prefetch == 0 ? plan.stream().map(this::assemble).iterator() : new Prefetcher(plan);
    }

    private Batch assemble(long[] indices) {
        Batch gathered = dataset instanceof BatchGather g ? g.gather(indices) : null;
        if (gathered != null) {
            return gathered;
        }
        Tensor[] in = new Tensor[indices.length];
        Tensor[] tg = new Tensor[indices.length];
        for (int i = 0; i < indices.length; i++) {
            Sample s = dataset.get((int) indices[i]);
            in[i] = s.input();
            tg[i] = s.target();
        }
        return new Batch(Tensor.stack(0, in), Tensor.stack(0, tg));
    }

    /** Assembles batches on a daemon thread into a bounded queue; failures surface in next(). */
    private final class Prefetcher implements Iterator<Batch> {
        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(prefetch);
        private final int total;
        private int taken;

        Prefetcher(List<long[]> plan) {
            this.total = plan.size();
            Thread t = new Thread(() -> {
                try {
                    for (long[] idx : plan) {
                        queue.put(assemble(idx));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    queue.offer(e);
                }
            }, "torus-dataloader");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public boolean hasNext() {
            return taken < total;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            try {
                Object o = queue.take();
                if (o instanceof RuntimeException e) {
                    throw new IllegalStateException("DataLoader worker failed: " + e.getMessage(), e);
                }
                taken++;
                return (Batch) o;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            }
        }
    }
}
