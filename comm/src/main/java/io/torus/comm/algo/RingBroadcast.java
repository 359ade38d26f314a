package io.torus.comm.algo;

import io.torus.comm.transport.Elements;
import io.torus.comm.transport.Tag;
import io.torus.comm.transport.Transport;

/*
 * Pipelined ring broadcast. The root cuts its vector into segments of at most SEGMENT_BYTES bytes
 * and sends them to its right; every other rank receives each segment from its left and, unless
 * its right neighbour is the root, forwards it at once. While rank r forwards segment k, segment
 * k + 1 is already on its way to it, so a large vector costs about S/bandwidth plus N - 1 segment
 * latencies rather than (N - 1) S/bandwidth. Copies only: identical bits everywhere.
 * Message tags: segment k travels as chunk id k.
 */
final class RingBroadcast {
    /** Segment size in bytes (1 MiB). */
    static final int SEGMENT_BYTES = 1 << 20;

    private RingBroadcast() {
    }

    /** Copies {@code root}'s {@code data[offset, offset + length)} into every other rank's. */
    static void run(Transport transport, long seq, Object data, int offset, int length, int root) {
        Ring ring = Ring.of(transport);
        ChunkPlan segments = ChunkPlan.ofMaxLength(length, SEGMENT_BYTES / Elements.byteSize(Elements.dtype(data)));
        boolean forward = ring.right() != root;
        for (int k = 0; k < segments.parts(); k++) {
            Tag tag = new Tag(seq, k);
            int at = offset + segments.offset(k);
            if (ring.rank() != root) {
                transport.receive(ring.left(), tag, data, at, segments.length(k));
            }
            if (forward) {
                transport.send(ring.right(), tag, data, at, segments.length(k));
            }
        }
    }
}
