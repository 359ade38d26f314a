package io.torus.comm.transport.shm;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Unmaps a mapped buffer at once (through {@code sun.misc.Unsafe.invokeCleaner}, exported by the
 * {@code jdk.unsupported} module without any flag) instead of whenever the garbage collector gets
 * to it: an unlinked file in {@code /dev/shm} keeps its memory until its last mapping goes. If
 * Unsafe is unavailable the buffer is left to the collector.
 */
final class Unmapper {
    private static final Object UNSAFE = load();

    private Unmapper() {
    }

    private static Object load() {
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static void unmap(ByteBuffer mapped) {
        if (UNSAFE == null) {
            return;
        }
        try {
            ((sun.misc.Unsafe) UNSAFE).invokeCleaner(mapped);
        } catch (RuntimeException e) {
            // a duplicate or slice, or already unmapped: leave it to the collector
        }
    }
}
