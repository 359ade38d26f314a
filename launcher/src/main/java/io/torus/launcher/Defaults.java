package io.torus.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The launcher's tunables: {@code conf/torus-defaults.properties} (copied into the jar at build
 * time, so the file in {@code conf/} is the one place that documents and sets a default),
 * overridden key by key by JVM system properties of the same name.
 */
public final class Defaults {
    /** Classpath location of the defaults file (see launcher/pom.xml). */
    public static final String RESOURCE = "/torus-defaults.properties";

    private static final Properties FILE = load();

    private Defaults() {
    }

    /** The value of {@code key}: a system property if set, else the defaults file; never null. */
    public static String get(String key) {
        String v = System.getProperty(key);
        if (v == null) {
            v = FILE.getProperty(key);
        }
        if (v == null) {
            throw new IllegalStateException("no default for '" + key + "' in " + RESOURCE
                    + ": expected the key in conf/torus-defaults.properties");
        }
        return v.trim();
    }

    /** Whether {@code key} has a default (in the file or as a system property). */
    public static boolean has(String key) {
        return System.getProperty(key) != null || FILE.getProperty(key) != null;
    }

    public static int getInt(String key) {
        String v = get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + ": expected an integer");
        }
    }

    /** The defaults file as shipped, without system-property overrides. */
    public static Properties file() {
        Properties copy = new Properties();
        copy.putAll(FILE);
        return copy;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Defaults.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath: expected it in the "
                        + "launcher jar (built from conf/torus-defaults.properties)");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE, e);
        }
        return p;
    }
}
