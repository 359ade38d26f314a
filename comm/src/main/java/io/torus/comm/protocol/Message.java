package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * A message of the Torus wire protocol. Each record owns its layout: {@link #writeFields} writes
 * the fixed-size fields after the type byte, and a static {@code decode(ByteBuf)} on each record
 * reads them back. {@link Frame} adds the length prefix and the type byte around them.
 */
public sealed interface Message permits Hello, Chunk, Goodbye, Abort {
    MessageType type();

    /** Bytes that {@link #writeFields} writes (the payload of a {@link Chunk} is not included). */
    int fieldsLength();

    /** Writes this message's fields, in wire order, after the type byte. */
    void writeFields(ByteBuf out);
}
