package io.torus.comm.algo;

/**
 * How {@code count} consecutive elements are cut into {@code parts} contiguous chunks, as evenly
 * as possible: the first {@code count % parts} chunks hold one element more than the others.
 * Pure arithmetic, the single home of the offset formula that every chunked algorithm uses.
 *
 * <pre>
 * new ChunkPlan(10, 4):  chunk 0 = [0, 3)  chunk 1 = [3, 6)  chunk 2 = [6, 8)  chunk 3 = [8, 10)
 * new ChunkPlan(2, 4):   chunk 0 = [0, 1)  chunk 1 = [1, 2)  chunk 2 = [2, 2)  chunk 3 = [2, 2)
 * </pre>
 *
 * When {@code count < parts} some chunks are empty; algorithms still send them (as empty
 * messages), so the message pattern never depends on the data size.
 *
 * @param count elements in total, {@code >= 0}
 * @param parts number of chunks, {@code >= 1}
 */
public record ChunkPlan(int count, int parts) {
    public ChunkPlan {
        if (count < 0) {
            throw new IllegalArgumentException("ChunkPlan: count " + count + ": expected >= 0");
        }
        if (parts < 1) {
            throw new IllegalArgumentException("ChunkPlan: parts " + parts + ": expected >= 1");
        }
    }

    /** The fewest chunks of at most {@code maxLength} elements each (at least one chunk). */
    public static ChunkPlan ofMaxLength(int count, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("ChunkPlan.ofMaxLength: max length " + maxLength + ": expected >= 1");
        }
        return new ChunkPlan(count, Math.max(1, (int) (((long) count + maxLength - 1) / maxLength)));
    }

    /** Index of the first element of {@code chunk}. */
    public int offset(int chunk) {
        checkChunk(chunk);
        // Chunks before this one: chunk * base elements, plus one extra for each of the first min(chunk, extra).
        return chunk * (count / parts) + Math.min(chunk, count % parts);
    }

    /** Number of elements in {@code chunk}. */
    public int length(int chunk) {
        checkChunk(chunk);
        return count / parts + (chunk < count % parts ? 1 : 0);
    }

    /** Index one past the last element of {@code chunk}. */
    public int end(int chunk) {
        return offset(chunk) + length(chunk);
    }

    /** Length of the largest chunk (chunk 0). */
    public int maxLength() {
        return length(0);
    }

    private void checkChunk(int chunk) {
        if (chunk < 0 || chunk >= parts) {
            throw new IndexOutOfBoundsException("ChunkPlan: chunk " + chunk + ": expected 0.." + (parts - 1));
        }
    }
}
