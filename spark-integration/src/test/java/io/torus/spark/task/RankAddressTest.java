package io.torus.spark.task;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RankAddressTest {
    @Test
    void decode_roundTripsIpv4AndIpv6() {
        RankAddress v4 = new RankAddress("127.0.0.1", 4567);
        assertEquals(v4, RankAddress.decode(v4.encode()));
        assertEquals(new RankAddress("0:0:0:0:0:0:0:1", 80), RankAddress.decode("0:0:0:0:0:0:0:1:80"));
        assertThrows(IllegalArgumentException.class, () -> RankAddress.decode("nohost"));
    }

    @Test
    void rankHello_roundTripsAndRejectsMalformed() {
        RankHello h = new RankHello(new RankAddress("127.0.0.1", 4567), "boot|host|pid:[1]|/dev/shm@2:3", "ab12");
        assertEquals(h, RankHello.decode(h.encode()));
        RankHello noShm = new RankHello(new RankAddress("10.0.0.2", 80), "", "ff");
        assertEquals(noShm, RankHello.decode(noShm.encode()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RankHello.decode("127.0.0.1:80"));
        assertTrue(e.getMessage().contains("127.0.0.1:80"), e.getMessage());
    }

    @Test
    void parseRank_readsTheRankFromAFailureMessage() {
        assertEquals(4, RankFailure.parseRank("...RankFailure: Torus rank 4 of 8 failed in X: boom"));
        assertEquals(-1, RankFailure.parseRank("something else"));
        assertEquals(-1, RankFailure.parseRank(null));
    }
}
