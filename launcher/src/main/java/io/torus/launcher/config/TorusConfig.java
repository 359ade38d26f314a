package io.torus.launcher.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Torus's settings, layered through Typesafe Config. Lowest to highest precedence:
 * <ol>
 *   <li>{@code conf/torus-defaults.properties}, copied into the launcher jar: a documented default
 *       for every key of {@link Tunables};</li>
 *   <li>a user file given with {@code --config FILE} ({@code .conf} HOCON, {@code .json} or
 *       {@code .properties}); a key Torus does not know is an error, so a typo cannot pass silently;</li>
 *   <li>environment variables: key {@code torus.run.nproc-per-node} is {@code TORUS_RUN_NPROC_PER_NODE}
 *       (upper case, {@code .} and {@code -} become {@code _}); {@code TORUS_NUM_THREADS} is also read
 *       for {@code torus.intraop.threads};</li>
 *   <li>JVM system properties of the {@code torus} JVM ({@code TORUS_JAVA_OPTS=-Dtorus.worker.heap=4g});</li>
 *   <li>command-line flags ({@link #withOverride}).</li>
 * </ol>
 * Every layer's value goes through the same {@link Tunable} check when the object is built, so a
 * bad value is rejected at start with its key, value, source and what was expected, e.g.
 * {@code torus.worker.heap=lots (from environment variable TORUS_WORKER_HEAP): expected auto or a
 * size such as 2g or 768m}. The launcher reads nothing else: records ({@code LaunchConfig},
 * {@code AgentSettings}) are built from this object, and worker JVMs get the resolved non-launcher
 * keys as {@code -Dkey=value} ({@link #workerProperties()}).
 */
public final class TorusConfig {
    /** Classpath location of the defaults (see launcher/pom.xml). */
    public static final String DEFAULTS_RESOURCE = "torus-defaults.properties";
    /** How the defaults are named in messages. */
    public static final String DEFAULTS_ORIGIN = "conf/torus-defaults.properties";
    /** An older name of {@code TORUS_INTRAOP_THREADS}, still read. */
    public static final String NUM_THREADS_ENV = "TORUS_NUM_THREADS";

    private static final Config DEFAULTS = loadDefaults();

    private final Config config;
    private final Map<String, String> values;

    private TorusConfig(Config config) {
        this.config = config.resolve();
        this.values = Collections.unmodifiableMap(validate(this.config));
    }

    /** The shipped defaults alone. */
    public static TorusConfig defaults() {
        return new TorusConfig(DEFAULTS);
    }

    /** Defaults, this process's environment and system properties; no user file. */
    public static TorusConfig standard() {
        return load(null, System.getenv(), System.getProperties());
    }

    /** Defaults, {@code userFile} (may be null), this process's environment and system properties. */
    public static TorusConfig load(Path userFile) {
        return load(userFile, System.getenv(), System.getProperties());
    }

    /**
     * Defaults, then {@code userFile} (null for none), then {@code env}, then {@code systemProperties}.
     *
     * @throws IllegalArgumentException for an unreadable or malformed file, an unknown key in it, or
     *                                  any invalid value (naming key, value, source and what was expected)
     */
    public static TorusConfig load(Path userFile, Map<String, String> env, Properties systemProperties) {
        Config c = DEFAULTS;
        if (userFile != null) {
            c = userFile(userFile).withFallback(c);
        }
        c = environment(env).withFallback(c);
        c = systemProperties(systemProperties).withFallback(c);
        return new TorusConfig(c);
    }

    /** This configuration with {@code key} set to {@code value}, whose source is {@code source} (e.g. "flag --nnodes"). */
    public TorusConfig withOverride(String key, String value, String source) {
        if (Tunables.get(key) == null) {
            throw new IllegalArgumentException("unknown setting '" + key + "' (" + source + ")");
        }
        Config layer = ConfigFactory.parseMap(Map.of(key, value), source);
        return new TorusConfig(layer.withFallback(config));
    }

    /** The value of {@code key}, trimmed. */
    public String get(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no setting '" + key + "': expected a key of " + DEFAULTS_ORIGIN);
        }
        return v;
    }

    public int getInt(String key) {
        return Math.toIntExact(getLong(key));
    }

    public long getLong(String key) {
        String v = get(key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw invalid(key, v, source(key), "an integer");
        }
    }

    /** Where the value of {@code key} came from: the defaults file, a user file and line, a variable, a flag. */
    public String source(String key) {
        return config.hasPath(key) ? config.getValue(key).origin().description() : "(nowhere)";
    }

    /** Every known key with its resolved value, in {@link Tunables} order (plus keys of the defaults file it lacks). */
    public Map<String, String> values() {
        return values;
    }

    /** The keys that worker JVMs read, with their values: every key outside {@link Tunables#LAUNCHER_SECTIONS}. */
    public Map<String, String> workerProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (!Tunables.launcherOnly(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    /** The environment variable that sets {@code key}: {@code torus.worker.heap} is {@code TORUS_WORKER_HEAP}. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static IllegalArgumentException invalid(String key, String value, String source, String expected) {
        return new IllegalArgumentException(key + "=" + value + " (from " + source + "): expected " + expected);
    }

    private static Map<String, String> validate(Config c) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : Tunables.keys()) {
            if (!c.hasPath(key)) {
                throw new IllegalStateException("no default for '" + key + "': expected the key in " + DEFAULTS_ORIGIN);
            }
            out.put(key, scalar(c, key));
        }
        // Keys of the defaults file that Tunables does not know yet are passed through unchecked.
        for (Map.Entry<String, ConfigValue> e : DEFAULTS.entrySet()) {
            out.putIfAbsent(e.getKey(), scalar(c, e.getKey()));
        }
        for (String key : Tunables.keys()) {
            String v = out.get(key);
            Tunable t = Tunables.get(key);
            if (!t.accepts(v)) {
                throw invalid(key, v, c.getValue(key).origin().description(), t.expected());
            }
        }
        return out;
    }

    private static String scalar(Config c, String key) {
        ConfigValue v;
        try {
            v = c.getValue(key);
        } catch (ConfigException.Missing | ConfigException.WrongType e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage() + ": expected a single value");
        }
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
            throw invalid(key, v.render(), v.origin().description(), "a single value, not a "
                    + v.valueType().name().toLowerCase(Locale.ROOT));
        }
        Object raw = v.unwrapped();
        return raw == null ? "" : raw.toString().trim();
    }

    private static Config loadDefaults() {
        ConfigParseOptions opts = ConfigParseOptions.defaults().setSyntax(ConfigSyntax.PROPERTIES)
                .setOriginDescription(DEFAULTS_ORIGIN).setAllowMissing(false);
        try {
            return ConfigFactory.parseResources(TorusConfig.class.getClassLoader(), DEFAULTS_RESOURCE, opts);
        } catch (ConfigException e) {
            throw new IllegalStateException(DEFAULTS_RESOURCE + " is not readable on the classpath: expected it in the "
                    + "launcher jar (built from " + DEFAULTS_ORIGIN + "): " + e.getMessage(), e);
        }
    }

    private static Config userFile(Path file) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("--config " + file + ": no such readable file: expected a .conf, .json "
                    + "or .properties file");
        }
        Config c;
        try {
            c = ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false)
                    .setOriginDescription(file.toString()));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("--config " + file + ": " + e.getMessage()
                    + ": expected HOCON (.conf), JSON (.json) or a properties file (.properties)", e);
        }
        for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
            if (Tunables.get(e.getKey()) == null && !DEFAULTS.hasPath(e.getKey())) {
                throw new IllegalArgumentException("unknown setting '" + e.getKey() + "' (from "
                        + e.getValue().origin().description() + "): expected a key of " + DEFAULTS_ORIGIN);
            }
        }
        return c;
    }

    private static Config environment(Map<String, String> env) {
        Config c = ConfigFactory.empty();
        for (String key : Tunables.keys()) {
            String name = envName(key);
            String v = env.get(name);
            if (v == null && key.equals("torus.intraop.threads")) {
                name = NUM_THREADS_ENV;
                v = env.get(name);
            }
            if (v != null) {
                c = ConfigFactory.parseMap(Map.of(key, v), "environment variable " + name).withFallback(c);
            }
        }
        return c;
    }

    private static Config systemProperties(Properties props) {
        Config c = ConfigFactory.empty();
        for (String key : Tunables.keys()) {
            String v = props.getProperty(key);
            if (v != null) {
                c = ConfigFactory.parseMap(Map.of(key, v), "system property -D" + key).withFallback(c);
            }
        }
        return c;
    }
}
