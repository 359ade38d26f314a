package io.torus.spark.task;

import com.esotericsoftware.kryo.kryo5.Kryo;
import com.esotericsoftware.kryo.kryo5.KryoException;
import com.esotericsoftware.kryo.kryo5.io.Input;
import com.esotericsoftware.kryo.kryo5.io.Output;
import com.esotericsoftware.kryo.kryo5.util.Pool;
import io.torus.spark.data.DataManifest;

/**
 * Torus's driver/task control messages ({@link TaskSpec} out to every rank, {@link RankReport}
 * back) as bytes, written with Kryo 5 whatever {@code spark.serializer} is: Spark only ever moves
 * a {@code byte[]}, so the messages' format is ours and does not depend on Java serialization or
 * on the user's Kryo settings.
 *
 * <h2>Note [Two Kryos]</h2>
 * Spark bundles Kryo 4 ({@code com.esotericsoftware:kryo-shaded}, package
 * {@code com.esotericsoftware.kryo}) for its {@code KryoSerializer}; Torus's types are registered
 * there by {@link io.torus.spark.kryo.TorusKryoRegistrator}. Plain Kryo 5 in the same package
 * would break Spark ({@code NoSuchMethodError}), so Torus uses the {@code kryo5} artifact, whose
 * classes live in {@code com.esotericsoftware.kryo.kryo5}, and the two never meet. Kryo 5 knows
 * records (its {@code RecordSerializer} calls the canonical constructor, so the messages'
 * validation runs on decode too).
 *
 * <p>Only registered classes may be read (registration required), so bytes from elsewhere cannot
 * make the driver instantiate arbitrary classes. Kryo instances are not thread-safe: each call
 * borrows one from a small pool.
 */
public final class ControlCodec {
    private static final Pool<Kryo> POOL = new Pool<>(true, false, 16) {
        @Override
        protected Kryo create() {
            Kryo k = new Kryo();
            k.setRegistrationRequired(true);
            // Fixed ids: driver and executors run the same Torus build, but the order must not matter.
            k.register(String[].class, 100);
            k.register(long[].class, 101);
            k.register(TaskSpec.class, 110);
            k.register(RankReport.class, 111);
            k.register(DataManifest.class, 112);
            return k;
        }
    };

    private ControlCodec() {
    }

    /** {@code message} (one of the registered message types) as bytes. */
    public static byte[] encode(Object message) {
        Kryo k = POOL.obtain();
        try (Output out = new Output(256, -1)) {
            k.writeClassAndObject(out, message);
            return out.toBytes();
        } finally {
            POOL.free(k);
        }
    }

    /** Reads a message written by {@link #encode}; it must be a {@code type}. */
    public static <T> T decode(byte[] bytes, Class<T> type) {
        Kryo k = POOL.obtain();
        try (Input in = new Input(bytes)) {
            Object o = k.readClassAndObject(in);
            if (in.position() != bytes.length) {
                throw new IllegalArgumentException("control message: " + (bytes.length - in.position())
                        + " bytes left over after a " + (o == null ? "null" : o.getClass().getSimpleName()) + " in "
                        + bytes.length + " bytes, expected one " + type.getSimpleName());
            }
            if (!type.isInstance(o)) {
                throw new IllegalArgumentException("control message: got " + (o == null ? "null" : o.getClass().getName())
                        + ", expected " + type.getName());
            }
            return type.cast(o);
        } catch (KryoException e) {
            throw new IllegalArgumentException("control message: cannot decode " + bytes.length + " bytes as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        } finally {
            POOL.free(k);
        }
    }
}
