package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The sender is closing its transport on purpose. Data it sent before still counts; a receive
 * that needs more data from it fails. No fields.
 */
public record Goodbye() implements Message {
    public static final Goodbye INSTANCE = new Goodbye();

    @Override
    public MessageType type() {
        return MessageType.GOODBYE;
    }

    @Override
    public int fieldsLength() {
        return 0;
    }

    @Override
    public void writeFields(ByteBuf out) {
    }

    public static Goodbye decode(ByteBuf in) {
        return INSTANCE;
    }
}
