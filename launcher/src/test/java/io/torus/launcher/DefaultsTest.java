package io.torus.launcher;

import org.junit.jupiter.api.Test;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DefaultsTest {
    private static final Path CONF = TestSupport.projectRoot().resolve("conf/torus-defaults.properties");

    @Test
    void resource_isTheConfFile() throws Exception {
        Properties conf = new Properties();
        try (Reader r = Files.newBufferedReader(CONF)) {
            conf.load(r);
        }
        assertEquals(conf, Defaults.file());
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
    void get_systemProperty_overridesFile() {
        System.setProperty("torus.agent.log-tail-lines", "7");
        try {
            assertEquals(7, Defaults.getInt("torus.agent.log-tail-lines"));
        } finally {
            System.clearProperty("torus.agent.log-tail-lines");
        }
        assertEquals(10, Defaults.getInt("torus.agent.log-tail-lines"));
    }
}
