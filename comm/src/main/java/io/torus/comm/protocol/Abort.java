package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;

/**
 * The sender's group is broken and no collective can complete any more. Names the rank to blame
 * (the one that was lost, or the one that detected a misuse) and why, so that every rank's error
 * message can name it too.
 *
 * <pre>
 * culpritRank  int32
 * reasonLength int32  bytes of reason, at most {@value #MAX_REASON_BYTES}
 * reason       UTF-8
 * </pre>
 */
public record Abort(int culpritRank, String reason) implements Message {
    public static final int MAX_REASON_BYTES = 4096;

    public Abort {
        if (culpritRank < 0) {
            throw new IllegalArgumentException("Abort: culprit rank " + culpritRank + ": expected >= 0");
        }
        reason = truncate(reason == null ? "" : reason);
    }

    @Override
    public MessageType type() {
        return MessageType.ABORT;
    }

    @Override
    public int fieldsLength() {
        return 8 + reason.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public void writeFields(ByteBuf out) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        out.writeInt(culpritRank).writeInt(utf8.length).writeBytes(utf8);
    }

    public static Abort decode(ByteBuf in) {
        int culprit = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > MAX_REASON_BYTES || length > in.readableBytes()) {
            throw new IllegalArgumentException("Abort: reason length " + length + ": expected 0.."
                    + Math.min(MAX_REASON_BYTES, in.readableBytes()));
        }
        return new Abort(culprit, in.readCharSequence(length, StandardCharsets.UTF_8).toString());
    }

    private static String truncate(String s) {
        // A char is at most 3 UTF-8 bytes: a third of the limit always fits.
        return s.length() <= MAX_REASON_BYTES / 3 ? s : s.substring(0, MAX_REASON_BYTES / 3 - 3) + "...";
    }
}
