package io.torus.comm;

import io.torus.comm.ProcessGroups.TransportMode;
import io.torus.comm.rendezvous.RendezvousInfo;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How {@link ProcessGroups#join} picks the transport, and the shm file key. */
class TransportModeTest {
    private static RendezvousInfo info(String... hosts) {
        List<InetSocketAddress> peers = java.util.Arrays.stream(hosts).map(h -> new InetSocketAddress("127.0.0.1", 1)).toList();
        return new RendezvousInfo(0, hosts.length, 0, peers, List.of(hosts), "00112233445566778899aabbccddeeff");
    }

    @Test
    void parse_acceptsTheThreeModesInAnyCase_andNamesABadValue() {
        assertEquals(TransportMode.AUTO, TransportMode.parse("auto"));
        assertEquals(TransportMode.NETTY, TransportMode.parse(" Netty "));
        assertEquals(TransportMode.SHM, TransportMode.parse("SHM"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TransportMode.parse("tcp"));
        assertTrue(e.getMessage().contains("'tcp': expected auto, netty or shm"), e.getMessage());
    }

    @Test
    void useShm_onlyWhenEveryRankSharesOneKnownHost() {
        assertTrue(TransportMode.AUTO.useShm(info("a", "a", "a")));
        assertFalse(TransportMode.AUTO.useShm(info("a", "b", "a")));
        assertFalse(TransportMode.AUTO.useShm(info("", "")), "unknown identities never match");
        assertFalse(TransportMode.AUTO.useShm(info("a")), "one rank needs no ring");
        assertFalse(TransportMode.NETTY.useShm(info("a", "a")));
        assertTrue(TransportMode.SHM.useShm(info("a", "a")));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TransportMode.SHM.useShm(info("a", "b")));
        assertTrue(e.getMessage().contains("not all on one host") && e.getMessage().contains("[a, b]"), e.getMessage());
    }

    @Test
    void shmKey_dependsOnJobGenerationNonceAndSecret() {
        String k = ProcessGroups.shmKey("job", 0, "aa", null);
        assertTrue(k.matches("[0-9a-f]{32}"), k);
        assertEquals(k, ProcessGroups.shmKey("job", 0, "aa", null));
        assertNotEquals(k, ProcessGroups.shmKey("job2", 0, "aa", null));
        assertNotEquals(k, ProcessGroups.shmKey("job", 1, "aa", null));
        assertNotEquals(k, ProcessGroups.shmKey("job", 0, "ab", null));
        assertNotEquals(k, ProcessGroups.shmKey("job", 0, "aa", new byte[] {1}));
    }
}
