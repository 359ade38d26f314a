package io.torus.comm.transport.netty;

import io.torus.comm.ReduceOp;
import io.torus.comm.algo.Collectives;
import io.torus.comm.testing.Ranks;
import io.torus.comm.transport.PeerLostException;
import io.torus.comm.transport.Tag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Collectives over real sockets on 127.0.0.1; the ranks are threads of this JVM. */
class NettyTransportTest {
    private static final ReduceOp[] OPS = ReduceOp.values();
    private final List<NettyTransport> open = new ArrayList<>();

    @AfterEach
    void closeAll() {
        open.forEach(NettyTransport::close);
    }

    /** Binds {@code n} transports and connects them into a ring, each rank on its own thread. */
    private List<NettyTransport> ring(int n, NettyTransport.Options options) {
        List<NettyTransport> ts = bind(n, options);
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        Ranks.run(n, rank -> {
            ts.get(rank).connect(rank, addresses);
            return null;
        });
        return ts;
    }

    private List<NettyTransport> ring(int n) {
        return ring(n, NettyTransport.Options.defaults());
    }

    private List<NettyTransport> bind(int n, NettyTransport.Options options) {
        List<NettyTransport> ts = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            NettyTransport t = NettyTransport.bind("127.0.0.1", options);
            open.add(t);
            ts.add(t);
        }
        return ts;
    }

    @Test
    void allReduce_twoRanksOverSockets() {
        List<NettyTransport> ts = ring(2);
        Ranks.run(2, rank -> {
            Collectives ring = new Collectives(ts.get(rank), -1);
            Collectives auto = new Collectives(ts.get(rank));
            for (int count : new int[] {0, 1, 1000, (1 << 20) + 7}) {
                for (ReduceOp op : OPS) {
                    for (Collectives c : List.of(ring, auto)) {
                        float[] data = input(rank, 2, count);
                        c.allReduce(data, 0, count, op);
                        check(op, 2, rank, data);
                    }
                }
            }
            return null;
        });
    }

    @Test
    void allReduce_threeRanksOverSocketsIsBitIdenticalEverywhere() {
        List<NettyTransport> ts = ring(3);
        int count = (1 << 20) + 7; // chunks of 349,527 floats: two frames each
        List<float[]> sums = Ranks.run(3, rank -> {
            Collectives c = new Collectives(ts.get(rank));
            for (ReduceOp op : OPS) {
                float[] data = input(rank, 3, count);
                c.allReduce(data, 0, count, op);
                check(op, 3, rank, data);
            }
            float[] random = new float[count];
            Random rnd = new Random(rank);
            for (int i = 0; i < count; i++) {
                random[i] = (float) (rnd.nextGaussian() * 1e3);
            }
            c.allReduce(random, 0, count, ReduceOp.AVG);
            return random;
        });
        assertArrayEquals(sums.get(0), sums.get(1), "rank 1 differs from rank 0");
        assertArrayEquals(sums.get(0), sums.get(2), "rank 2 differs from rank 0");
    }

    @Test
    void collectives_manyBackToBackOverSockets() {
        List<NettyTransport> ts = ring(3);
        Ranks.run(3, rank -> {
            Collectives c = new Collectives(ts.get(rank));
            Random plan = new Random(7);
            for (int k = 0; k < 150; k++) {
                int size = new int[] {0, 1, 100, 3000}[plan.nextInt(4)];
                switch (plan.nextInt(4)) {
                    case 0 -> {
                        float[] data = input(rank, 3, size);
                        c.allReduce(data, 0, size, ReduceOp.SUM);
                        check(ReduceOp.SUM, 3, rank, data);
                    }
                    case 1 -> {
                        int root = plan.nextInt(3);
                        float[] data = new float[size];
                        Arrays.fill(data, rank == root ? k : -1);
                        c.broadcast(data, 0, size, root);
                        for (float v : data) {
                            assertEquals(k, v, "broadcast " + k + " on rank " + rank);
                        }
                    }
                    case 2 -> {
                        float[] out = new float[3 * size];
                        float[] mine = new float[size];
                        Arrays.fill(mine, rank);
                        c.allGather(mine, 0, size, out, 0);
                        for (int i = 0; i < out.length; i++) {
                            assertEquals(i / size, out[i], "allGather " + k + " element " + i);
                        }
                    }
                    default -> c.barrier();
                }
            }
            return null;
        });
    }

    @Test
    void broadcast_largeVectorFromTheLastRankOverSockets() {
        List<NettyTransport> ts = ring(3);
        int count = 1_000_003;
        Ranks.run(3, rank -> {
            float[] data = new float[count];
            if (rank == 2) {
                for (int i = 0; i < count; i++) {
                    data[i] = i;
                }
            }
            new Collectives(ts.get(rank)).broadcast(data, 0, count, 2);
            for (int i = 0; i < count; i++) {
                if (data[i] != i) {
                    fail("rank " + rank + " element " + i + " is " + data[i]);
                }
            }
            return null;
        });
    }

    @Test
    void closeMidCollective_othersFailNamingTheClosedRank() {
        List<NettyTransport> ts = ring(3);
        int count = 3000;
        List<Ranks.Outcome<Object>> outcomes = assertTimeoutPreemptively(Duration.ofSeconds(15), () ->
                Ranks.runAll(3, rank -> {
                    if (rank == 1) {
                        // Take part until rank 0's first chunk has arrived, then leave.
                        ts.get(1).receive(0, new Tag(0, 0), new float[count / 3], 0, count / 3);
                        ts.get(1).close();
                        return null;
                    }
                    new Collectives(ts.get(rank), -1).allReduce(new float[count], 0, count, ReduceOp.SUM);
                    return null;
                }));
        for (int r : new int[] {0, 2}) {
            PeerLostException e = assertInstanceOf(PeerLostException.class, outcomes.get(r).error(), "rank " + r);
            assertEquals(1, e.lostRank(), e.getMessage());
            assertTrue(e.getMessage().contains("rank 1 closed its transport"), e.getMessage());
        }
        // The group stays broken: later collectives fail at once, still naming rank 1.
        PeerLostException later = assertThrows(PeerLostException.class,
                () -> ts.get(0).send(1, new Tag(1, 0), new float[1], 0, 1));
        assertEquals(1, later.lostRank());
    }

    @Test
    void close_dataSentBeforeAnOrderlyCloseCanStillBeReceived() {
        for (int round = 0; round < 20; round++) {
            List<NettyTransport> ts = ring(2);
            ts.get(1).send(0, new Tag(0, 0), new float[] {round}, 0, 1);
            ts.get(1).close(); // Goodbye on both connections, possibly overtaking the data
            float[] got = new float[1];
            ts.get(0).receive(1, new Tag(0, 0), got, 0, 1);
            assertEquals(round, got[0]);
            PeerLostException e = assertThrows(PeerLostException.class,
                    () -> ts.get(0).receive(1, new Tag(0, 1), got, 0, 1));
            assertTrue(e.getMessage().endsWith("rank 1 closed its transport"), e.getMessage());
            closeAll();
            open.clear();
        }
    }

    @Test
    void close_rightAfterTheLastCollectiveFailsNobody() {
        for (int round = 0; round < 10; round++) {
            List<NettyTransport> ts = ring(3);
            Ranks.run(3, rank -> {
                Collectives c = new Collectives(ts.get(rank));
                float[] data = input(rank, 3, 5000);
                c.allReduce(data, 0, data.length, ReduceOp.MAX);
                c.barrier();
                ts.get(rank).close();
                check(ReduceOp.MAX, 3, rank, data);
                return null;
            });
            open.clear();
        }
    }

    @Test
    void connect_wrongAddressOrderFailsNamingTheRankThatAnswered() {
        NettyTransport.Options quick = NettyTransport.Options.defaults().withConnectTimeout(Duration.ofSeconds(2));
        List<NettyTransport> ts = bind(3, quick);
        List<InetSocketAddress> right = ts.stream().map(NettyTransport::localAddress).toList();
        List<InetSocketAddress> swapped = List.of(right.get(0), right.get(2), right.get(1));
        List<Ranks.Outcome<Object>> outcomes = Ranks.runAll(3, rank -> {
            ts.get(rank).connect(rank, rank == 0 ? swapped : right);
            return null;
        });
        String rank0 = outcomes.get(0).error().getMessage();
        assertTrue(rank0.contains("expecting rank 1") && rank0.contains("but rank 2 answered"), rank0);
        assertTrue(rank0.contains("rank order"), rank0);
        String rank1 = outcomes.get(1).error().getMessage();
        assertTrue(rank1.contains("left neighbour rank 0 has not connected"), rank1);
    }

    @Test
    void connect_timesOutNamingTheSilentNeighbour() {
        NettyTransport.Options quick = NettyTransport.Options.defaults().withConnectTimeout(Duration.ofMillis(500));
        List<NettyTransport> ts = bind(2, quick);
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ts.get(0).connect(0, addresses));
        assertTrue(e.getMessage().contains("ring not connected after PT0.5S"), e.getMessage());
        assertTrue(e.getMessage().contains("right neighbour rank 1 at " + addresses.get(1) + " did not answer"), e.getMessage());
        assertTrue(e.getMessage().contains("left neighbour rank 1 has not connected"), e.getMessage());
    }

    @Test
    void receive_timeoutBlamesTheSilentPeer() {
        List<NettyTransport> ts = ring(2, NettyTransport.Options.defaults().withReceiveTimeout(Duration.ofMillis(200)));
        PeerLostException e = assertThrows(PeerLostException.class,
                () -> ts.get(0).receive(1, new Tag(0, 0), new float[1], 0, 1));
        assertEquals(1, e.lostRank());
        assertTrue(e.getMessage().contains("rank 1 sent nothing for PT0.2S"), e.getMessage());
    }

    @Test
    void worldOfOne_needsNoConnections() {
        NettyTransport t = bind(1, NettyTransport.Options.defaults()).get(0);
        t.connect(0, List.of(t.localAddress()));
        float[] data = {1, 2, 3};
        Collectives c = new Collectives(t);
        c.allReduce(data, 0, 3, ReduceOp.AVG);
        c.barrier();
        assertArrayEquals(new float[] {1, 2, 3}, data);
    }

    static float[] input(int rank, int n, int count) {
        float[] data = new float[count];
        for (int i = 0; i < count; i++) {
            data[i] = (rank + i) % n + 1 + 8 * (i % 4);
        }
        return data;
    }

    static void check(ReduceOp op, int n, int rank, float[] actual) {
        for (int i = 0; i < actual.length; i++) {
            float base = 8 * (i % 4);
            float want = switch (op) {
                case SUM -> n * (n + 1) / 2f + n * base;
                case AVG -> (n + 1) / 2f + base;
                case MAX -> n + base;
                case MIN -> 1 + base;
            };
            if (actual[i] != want) {
                fail(op + " over " + n + " ranks: rank " + rank + " element " + i + " is " + actual[i] + ", expected " + want);
            }
        }
    }
}
