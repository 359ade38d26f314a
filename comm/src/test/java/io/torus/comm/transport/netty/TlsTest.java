package io.torus.comm.transport.netty;

import io.torus.comm.ReduceOp;
import io.torus.comm.algo.Collectives;
import io.torus.comm.testing.LogCapture;
import io.torus.comm.testing.Ranks;
import io.torus.comm.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Mutual TLS on the ring: collectives work over it, and peers without the job's certificate are refused. */
class TlsTest {
    private static final byte[] SECRET = "job-7-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER_SECRET = "job-8-secret-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path dir;
    /** The job's certificate, and another job's. */
    static TlsConfig job;
    static TlsConfig other;
    /** An outsider with its own key that trusts the job's certificate. */
    static TlsConfig outsiderTrustingJob;

    private final List<NettyTransport> open = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        TestCertificates.Pem a = TestCertificates.generate(dir, "torus-job");
        TestCertificates.Pem b = TestCertificates.generate(dir, "other-job");
        job = TlsConfig.selfTrusting(a.certificate(), a.privateKey());
        other = TlsConfig.selfTrusting(b.certificate(), b.privateKey());
        outsiderTrustingJob = new TlsConfig(b.certificate(), b.privateKey(), a.certificate());
    }

    @AfterEach
    void closeAll() {
        open.forEach(NettyTransport::close);
    }

    private NettyTransport bind(TlsConfig tls, byte[] secret) {
        NettyTransport t = NettyTransport.bind("127.0.0.1", NettyTransport.Options.defaults()
                .withConnectTimeout(Duration.ofSeconds(2)).withIoThreads(1).withJobSecret(secret).withTls(tls));
        open.add(t);
        return t;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void allReduce_overTls(int n) {
        List<NettyTransport> ts = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            ts.add(bind(job, SECRET));
        }
        List<InetSocketAddress> addresses = ts.stream().map(NettyTransport::localAddress).toList();
        int[] sizes = {1, 1000, (1 << 20) + 7}; // the last spans several 1 MiB fragments
        List<Boolean> ok = Ranks.run(n, rank -> {
            ts.get(rank).connect(rank, addresses);
            Collectives c = new Collectives(ts.get(rank));
            for (int size : sizes) {
                float[] data = new float[size];
                for (int i = 0; i < size; i++) {
                    data[i] = rank + (i % 7);
                }
                c.allReduce(data, 0, size, ReduceOp.SUM);
                for (int i = 0; i < size; i++) {
                    float expected = n * (n - 1) / 2f + n * (i % 7);
                    if (data[i] != expected) {
                        throw new AssertionError("rank " + rank + " size " + size + " [" + i + "] = " + data[i]
                                + ", expected " + expected);
                    }
                }
            }
            c.barrier();
            return true;
        });
        assertEquals(n, ok.size());
    }

    @Test
    void plainPeer_isRefusedAndLogged() {
        try (LogCapture log = LogCapture.of(HandshakeHandler.class)) {
            List<String> errors = connectBoth(bind(job, null), bind(null, null));
            assertTrue(errors.get(0).contains("TLS handshake failed"), errors.get(0));
            assertTrue(errors.get(1) != null, "the plain peer must not join");
            // Each side logs why it closed the other's connection.
            assertTrue(log.contains("refusing connection from") && log.contains("TLS handshake failed"), log.lines().toString());
            assertTrue(log.contains("are not a Torus frame"), log.lines().toString());
        }
    }

    @Test
    void otherJobsCertificate_isRefusedBothWaysAndLogged() {
        try (LogCapture log = LogCapture.of(HandshakeHandler.class)) {
            List<String> errors = connectBoth(bind(job, null), bind(other, null));
            for (String e : errors) {
                assertTrue(e.contains("TLS handshake failed"), e);
            }
            assertTrue(log.contains("refusing connection to rank"), log.lines().toString());
        }
    }

    @Test
    void outsiderWithItsOwnKey_isRefusedEvenIfItTrustsTheJob() {
        try (LogCapture log = LogCapture.of(HandshakeHandler.class)) {
            List<String> errors = connectBoth(bind(job, null), bind(outsiderTrustingJob, null));
            // Rank 0 does not trust the outsider's certificate, whichever side opens the connection.
            assertTrue(errors.get(0).contains("TLS handshake failed"), errors.get(0));
            assertTrue(errors.get(1) != null, "the outsider must not join");
            assertTrue(log.contains("refusing connection from") && log.contains("TLS handshake failed"), log.lines().toString());
        }
    }

    @Test
    void jobToken_stillAppliesOverTls() {
        try (LogCapture log = LogCapture.of(HandshakeHandler.class)) {
            List<String> errors = connectBoth(bind(job, SECRET), bind(job, OTHER_SECRET));
            assertTrue(errors.get(0).contains("job token"), errors.get(0));
            assertTrue(errors.get(1) != null);
            assertTrue(log.contains("carries a wrong job token"), log.lines().toString());
        }
    }

    /** Connects a two-rank ring that must fail; returns each rank's error message. */
    private static List<String> connectBoth(NettyTransport a, NettyTransport b) {
        List<InetSocketAddress> addresses = List.of(a.localAddress(), b.localAddress());
        CompletableFuture<Void> ra = CompletableFuture.runAsync(() -> a.connect(0, addresses));
        CompletableFuture<Void> rb = CompletableFuture.runAsync(() -> b.connect(1, addresses));
        List<String> messages = new ArrayList<>();
        for (CompletableFuture<Void> f : List.of(ra, rb)) {
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            messages.add(assertInstanceOf(IllegalStateException.class, e.getCause()).getMessage());
        }
        return messages;
    }

    @Test
    void fromEnvironment_noCertificateMeansPlainTcp() {
        assertNull(TlsConfig.from(Map.of(), k -> null));
        assertNull(TlsConfig.from(Map.of(TlsConfig.CERT_ENV, " "), k -> null));
    }

    @Test
    void fromEnvironment_environmentWinsOverPropertiesAndTrustDefaultsToTheCertificate() {
        TlsConfig c = TlsConfig.from(Map.of(TlsConfig.CERT_ENV, job.certificate().toString()),
                Map.of(TlsConfig.CERT_PROPERTY, other.certificate().toString(),
                        TlsConfig.KEY_PROPERTY, job.privateKey().toString())::get);
        assertEquals(new TlsConfig(job.certificate(), job.privateKey(), job.certificate()), c);
    }

    @Test
    void fromEnvironment_certificateWithoutKey_namesTheMissingSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsConfig.from(Map.of(TlsConfig.CERT_ENV, job.certificate().toString()), k -> null));
        assertTrue(e.getMessage().contains(TlsConfig.KEY_ENV), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> TlsConfig.from(Map.of(TlsConfig.KEY_ENV, job.privateKey().toString()), k -> null));
        assertTrue(e2.getMessage().contains(TlsConfig.CERT_ENV), e2.getMessage());
    }

    @Test
    void tlsConfig_missingOrMalformedFile_namesThePath() throws Exception {
        Path missing = dir.resolve("missing.pem");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsConfig.selfTrusting(missing, job.privateKey()));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a key\n");
        TlsConfig bad = TlsConfig.selfTrusting(job.certificate(), garbage);
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> bind(bad, null));
        assertTrue(e2.getMessage().contains(garbage.toString()), e2.getMessage());
    }
}
