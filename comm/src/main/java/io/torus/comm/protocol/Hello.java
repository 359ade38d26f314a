package io.torus.comm.protocol;

import io.netty.buffer.ByteBuf;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The first message on every connection, sent by both ends: who is speaking. A connection is
 * used for nothing else until both Hellos have been checked.
 *
 * <pre>
 * magic       int32   0x54525332 ("TRS2": Torus wire protocol version 2, typed chunks)
 * rank        int32   the sender's rank
 * worldSize   int32   the sender's world size
 * tokenLength uint8   0 (no job secret) or 32
 * token       tokenLength bytes: HMAC-SHA256(jobSecret, "torus-hello" ‖ magic ‖ rank ‖ worldSize)
 * </pre>
 *
 * <p>The job token proves that the sender knows the secret the launcher generated for this job:
 * a Hello captured from another job (another secret) or forged without the secret does not
 * verify. The MAC covers the sender's rank and world size, so a token cannot be moved onto a
 * Hello claiming another rank. The secret itself never travels.
 */
public record Hello(int rank, int worldSize, byte[] token) implements Message {
    public static final int MAGIC = 0x54525332;
    public static final int TOKEN_LENGTH = 32;
    private static final byte[] LABEL = "torus-hello".getBytes(StandardCharsets.US_ASCII);

    public Hello {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException("Hello: rank " + rank + " of world size " + worldSize
                    + ": expected 0 <= rank < worldSize");
        }
        if (token != null && token.length != TOKEN_LENGTH) {
            throw new IllegalArgumentException("Hello: token of " + token.length + " bytes, expected " + TOKEN_LENGTH);
        }
        token = token == null ? null : token.clone();
    }

    /** A Hello without a job token (jobs without a secret). */
    public Hello(int rank, int worldSize) {
        this(rank, worldSize, null);
    }

    /** A Hello carrying the job token for {@code secret}, or none when {@code secret} is null. */
    public static Hello signed(int rank, int worldSize, byte[] secret) {
        return new Hello(rank, worldSize, secret == null ? null : mac(secret, rank, worldSize));
    }

    /** Whether this Hello carries a valid token for {@code secret} (constant-time comparison). */
    public boolean verify(byte[] secret) {
        return token != null && MessageDigest.isEqual(token, mac(secret, rank, worldSize));
    }

    @Override
    public byte[] token() {
        return token == null ? null : token.clone();
    }

    private static byte[] mac(byte[] secret, int rank, int worldSize) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(LABEL);
            mac.update(ByteBuffer.allocate(12).putInt(MAGIC).putInt(rank).putInt(worldSize).array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Hello: HMAC-SHA256 unavailable", e);
        }
    }

    @Override
    public MessageType type() {
        return MessageType.HELLO;
    }

    @Override
    public int fieldsLength() {
        return 13 + (token == null ? 0 : TOKEN_LENGTH);
    }

    @Override
    public void writeFields(ByteBuf out) {
        out.writeInt(MAGIC).writeInt(rank).writeInt(worldSize);
        if (token == null) {
            out.writeByte(0);
        } else {
            out.writeByte(TOKEN_LENGTH).writeBytes(token);
        }
    }

    public static Hello decode(ByteBuf in) {
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new IllegalArgumentException(String.format(
                    "Hello: magic 0x%08x, expected 0x%08x (is the peer a Torus transport of the same version?)", magic, MAGIC));
        }
        int rank = in.readInt();
        int worldSize = in.readInt();
        int tokenLength = in.readUnsignedByte();
        if (tokenLength != 0 && tokenLength != TOKEN_LENGTH) {
            throw new IllegalArgumentException("Hello: token length " + tokenLength + ", expected 0 or " + TOKEN_LENGTH);
        }
        byte[] token = null;
        if (tokenLength > 0) {
            token = new byte[tokenLength];
            in.readBytes(token);
        }
        return new Hello(rank, worldSize, token);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Hello h && h.rank == rank && h.worldSize == worldSize && Arrays.equals(h.token, token);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rank + worldSize) + Arrays.hashCode(token);
    }

    @Override
    public String toString() {
        return "Hello[rank=" + rank + ", worldSize=" + worldSize + (token == null ? "" : ", token") + "]";
    }
}
