package io.torus.launcher.config;

import io.torus.launcher.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TorusConfigTest {
    private static final Path CONF = TestSupport.projectRoot().resolve("conf/torus-defaults.properties");
    private static final Properties NO_PROPERTIES = new Properties();

    @TempDir
    Path tmp;

    private Path file(String name, String content) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    private static Properties props(String key, String value) {
        Properties p = new Properties();
        p.setProperty(key, value);
        return p;
    }

    private static String error(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void defaults_areTheConfFile() throws Exception {
        Properties conf = new Properties();
        try (Reader r = Files.newBufferedReader(CONF)) {
            conf.load(r);
        }
        TorusConfig d = TorusConfig.defaults();
        assertEquals(conf.stringPropertyNames(), d.values().keySet());
        for (String key : conf.stringPropertyNames()) {
            assertEquals(conf.getProperty(key).trim(), d.get(key), key);
            assertEquals(TorusConfig.DEFAULTS_ORIGIN, d.source(key).replaceFirst(": \\d+$", ""), key);
        }
    }

    @Test
    void tunables_nameExactlyTheKeysOfTheConfFile() throws Exception {
        Properties conf = new Properties();
        try (Reader r = Files.newBufferedReader(CONF)) {
            conf.load(r);
        }
        assertEquals(conf.stringPropertyNames(), Set.copyOf(Tunables.keys()));
    }

    /** Each key sits in a block (no blank line in between) that starts with a comment. */
    @Test
    void confFile_everyKeyIsDocumented() throws Exception {
        boolean documented = false;
        for (String line : Files.readAllLines(CONF)) {
            if (line.isBlank()) {
                documented = false;
            } else if (line.startsWith("#")) {
                documented = true;
            } else {
                assertTrue(documented, "undocumented: " + line);
            }
        }
    }

    @Test
    void load_userFile_overridesDefaults() throws Exception {
        Path f = file("my.conf", "torus {\n  worker { heap = 3g }\n  run.nproc-per-node = 4\n}\n");
        TorusConfig c = TorusConfig.load(f, Map.of(), NO_PROPERTIES);
        assertEquals("3g", c.get("torus.worker.heap"));
        assertEquals(4, c.getInt("torus.run.nproc-per-node"));
        assertEquals(f + ": 3", c.source("torus.run.nproc-per-node"));
        assertEquals(TorusConfig.defaults().get("torus.agent.kill-grace-ms"), c.get("torus.agent.kill-grace-ms"));
    }

    @Test
    void load_propertiesUserFile_overridesDefaults() throws Exception {
        Path f = file("my.properties", "torus.comm.io.threads=5\n");
        assertEquals(5, TorusConfig.load(f, Map.of(), NO_PROPERTIES).getInt("torus.comm.io.threads"));
    }

    @Test
    void load_environment_overridesUserFile() throws Exception {
        Path f = file("my.conf", "torus.worker.heap = 3g\ntorus.run.nnodes = 2\n");
        TorusConfig c = TorusConfig.load(f, Map.of("TORUS_WORKER_HEAP", "5g"), NO_PROPERTIES);
        assertEquals("5g", c.get("torus.worker.heap"));
        assertEquals("environment variable TORUS_WORKER_HEAP", c.source("torus.worker.heap"));
        assertEquals(2, c.getInt("torus.run.nnodes"));
    }

    @Test
    void load_systemProperty_overridesEnvironment() {
        TorusConfig c = TorusConfig.load(null, Map.of("TORUS_WORKER_HEAP", "5g"), props("torus.worker.heap", "6g"));
        assertEquals("6g", c.get("torus.worker.heap"));
        assertEquals("system property -Dtorus.worker.heap", c.source("torus.worker.heap"));
    }

    @Test
    void withOverride_flag_overridesEveryOtherLayer() throws Exception {
        Path f = file("my.conf", "torus.run.max-restarts = 1\n");
        TorusConfig c = TorusConfig.load(f, Map.of("TORUS_RUN_MAX_RESTARTS", "2"), props("torus.run.max-restarts", "3"))
                .withOverride("torus.run.max-restarts", "4", "flag --max-restarts");
        assertEquals(4, c.getInt("torus.run.max-restarts"));
        assertEquals("flag --max-restarts", c.source("torus.run.max-restarts"));
    }

    @Test
    void load_numThreadsVariable_setsIntraOpThreadsUnlessTheKeysOwnVariableIsSet() {
        assertEquals(3, TorusConfig.load(null, Map.of("TORUS_NUM_THREADS", "3"), NO_PROPERTIES)
                .getInt("torus.intraop.threads"));
        assertEquals(2, TorusConfig.load(null, Map.of("TORUS_NUM_THREADS", "3", "TORUS_INTRAOP_THREADS", "2"),
                NO_PROPERTIES).getInt("torus.intraop.threads"));
    }

    @Test
    void workerProperties_leaveOutLauncherSections() {
        Map<String, String> w = TorusConfig.defaults().workerProperties();
        assertTrue(w.containsKey("torus.rdzv.timeout.seconds"), w.toString());
        assertTrue(w.containsKey("torus.ddp.bucket.cap.bytes"), w.toString());
        assertTrue(w.keySet().stream().noneMatch(Tunables::launcherOnly), w.toString());
    }

    @Test
    void envName_upperCaseWithUnderscores() {
        assertEquals("TORUS_RUN_NPROC_PER_NODE", TorusConfig.envName("torus.run.nproc-per-node"));
    }

    @Test
    void load_invalidValueInUserFile_rejectedWithKeyValueFileAndLine() throws Exception {
        Path f = file("bad.conf", "# comment\ntorus.rdzv.timeout.seconds = soon\n");
        assertEquals("torus.rdzv.timeout.seconds=soon (from " + f + ": 2): expected an integer >= 1",
                error(() -> TorusConfig.load(f, Map.of(), NO_PROPERTIES)));
    }

    @Test
    void load_invalidEnvironmentVariable_rejectedNamingTheVariable() {
        assertEquals("torus.worker.heap=lots (from environment variable TORUS_WORKER_HEAP): expected auto or a size "
                + "such as 2g or 768m", error(() -> TorusConfig.load(null, Map.of("TORUS_WORKER_HEAP", "lots"),
                NO_PROPERTIES)));
    }

    @Test
    void load_invalidSystemProperty_rejectedNamingTheProperty() {
        assertEquals("torus.vector.disable=yes (from system property -Dtorus.vector.disable): expected true or false",
                error(() -> TorusConfig.load(null, Map.of(), props("torus.vector.disable", "yes"))));
    }

    @Test
    void withOverride_invalidFlag_rejectedNamingTheFlag() {
        assertEquals("torus.run.rdzv-port=70000 (from flag --rdzv-port): expected an integer in 0..65535",
                error(() -> TorusConfig.defaults().withOverride("torus.run.rdzv-port", "70000", "flag --rdzv-port")));
    }

    @Test
    void load_unknownKeyInUserFile_rejected() throws Exception {
        Path f = file("typo.conf", "torus.worker.haep = 2g\n");
        assertEquals("unknown setting 'torus.worker.haep' (from " + f + ": 1): expected a key of "
                + TorusConfig.DEFAULTS_ORIGIN, error(() -> TorusConfig.load(f, Map.of(), NO_PROPERTIES)));
    }

    @Test
    void load_objectWhereValueExpected_rejected() throws Exception {
        Path f = file("obj.conf", "torus.worker.heap { size = 2g }\n");
        String msg = error(() -> TorusConfig.load(f, Map.of(), NO_PROPERTIES));
        assertTrue(msg.startsWith("unknown setting 'torus.worker.heap.size'"), msg);
    }

    @Test
    void load_malformedFile_rejectedNamingTheFile() throws Exception {
        Path f = file("broken.conf", "torus.worker.heap = [\n");
        String msg = error(() -> TorusConfig.load(f, Map.of(), NO_PROPERTIES));
        assertTrue(msg.startsWith("--config " + f + ": "), msg);
        assertTrue(msg.contains("expected HOCON (.conf)"), msg);
    }

    @Test
    void load_missingFile_rejected() {
        Path f = tmp.resolve("nope.conf");
        assertEquals("--config " + f + ": no such readable file: expected a .conf, .json or .properties file",
                error(() -> TorusConfig.load(f, Map.of(), NO_PROPERTIES)));
    }
}
