package io.torus.comm;

import io.torus.autograd.Tensor;
import io.torus.comm.testing.TestCertificates;
import io.torus.comm.transport.netty.TlsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * TLS switched on the way the launcher does it: a worker process that gets {@code TORUS_TLS_CERT}
 * and {@code TORUS_TLS_KEY} in its environment (what {@code torus run} workers inherit) joins a
 * rank that has the {@code torus.comm.tls.*} system properties (what the agent's {@code -D} flags
 * give), through {@link ProcessGroups#join}.
 */
class TlsJoinTest {
    @TempDir
    Path dir;

    @Test
    void join_tlsFromEnvironmentAndProperties_realWorkerProcess() throws Exception {
        TestCertificates.Pem pem = TestCertificates.generate(dir, "join-job");
        String job = "tls-join-" + UUID.randomUUID();
        String endpoint;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            endpoint = "127.0.0.1:" + s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ExitWithoutCloseMain.class.getName(), "1", "2", endpoint, job)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put(TlsConfig.CERT_ENV, pem.certificate().toString());
        pb.environment().put(TlsConfig.KEY_ENV, pem.privateKey().toString());
        pb.environment().put(ProcessGroups.TRANSPORT_ENV, "netty"); // TLS is for the Netty ring; one host would pick shm
        pb.environment().remove(ProcessGroups.JOB_SECRET_ENV); // this JVM has none (the token over TLS: TlsTest)
        Process child = pb.start();
        System.setProperty("torus.comm.transport", "netty");
        System.setProperty(TlsConfig.CERT_PROPERTY, pem.certificate().toString());
        System.setProperty(TlsConfig.KEY_PROPERTY, pem.privateKey().toString());
        try {
            try (ProcessGroup pg = ProcessGroups.join(new WorkerEnv(0, 2, 0, endpoint, job, Path.of("."), "cpu"))) {
                assertEquals(0, assertTimeoutPreemptively(Duration.ofSeconds(60), () -> child.waitFor()));
                Tensor t = Tensor.of(new float[3], 3);
                pg.broadcast(t, 1);
                assertArrayEquals(new float[] {4, 5, 6}, t.toFloatArray());
            }
        } finally {
            System.clearProperty("torus.comm.transport");
            System.clearProperty(TlsConfig.CERT_PROPERTY);
            System.clearProperty(TlsConfig.KEY_PROPERTY);
            child.destroyForcibly();
        }
    }
}
