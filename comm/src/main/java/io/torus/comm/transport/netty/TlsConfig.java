package io.torus.comm.transport.netty;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Mutual TLS on the ring: where the job's certificate, its private key and the certificates to
 * trust are, as PEM files.
 *
 * <p>The model is one certificate per job, not per host: every worker presents the same
 * certificate and trusts only it (or whatever {@code trust} holds), so a peer joins the ring only
 * if it holds the job's private key. Both directions are checked: the accepting side requires a
 * client certificate ({@link ClientAuth#REQUIRE}). Host names are not verified (ranks connect by
 * address and the certificate names the job, not a host). TLS sits under the job token: a peer
 * that passes TLS must still present a valid token in its Hello when a job secret is set.
 *
 * <p>Configuration, first match wins for each file:
 * <pre>
 *   environment          system property           what
 *   TORUS_TLS_CERT       torus.comm.tls.cert       certificate chain (PEM), this worker's own
 *   TORUS_TLS_KEY        torus.comm.tls.key        its private key, PKCS#8 PEM ("BEGIN PRIVATE KEY")
 *   TORUS_TLS_TRUST      torus.comm.tls.trust      certificates to trust (PEM); default: the certificate itself
 * </pre>
 * TLS is on when a certificate is named, off when none is. Making one (e.g. for a job):
 * <pre>{@code
 * openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
 *     -subj /CN=torus-job -keyout job-key.pem -out job-cert.pem
 * export TORUS_TLS_CERT=$PWD/job-cert.pem TORUS_TLS_KEY=$PWD/job-key.pem
 * }</pre>
 *
 * <p>The JDK's own TLS engine does the work (no netty-tcnative); contexts are built once per
 * transport, so a missing or malformed file fails {@code NettyTransport.bind} with its path.
 *
 * @param certificate the certificate chain this worker presents (PEM)
 * @param privateKey  the chain's private key (PKCS#8 PEM, unencrypted)
 * @param trust       the certificates a peer's chain must lead to (PEM)
 */
public record TlsConfig(Path certificate, Path privateKey, Path trust) {
    public static final String CERT_ENV = "TORUS_TLS_CERT";
    public static final String KEY_ENV = "TORUS_TLS_KEY";
    public static final String TRUST_ENV = "TORUS_TLS_TRUST";
    public static final String CERT_PROPERTY = "torus.comm.tls.cert";
    public static final String KEY_PROPERTY = "torus.comm.tls.key";
    public static final String TRUST_PROPERTY = "torus.comm.tls.trust";

    public TlsConfig {
        Objects.requireNonNull(certificate, "TlsConfig: certificate");
        Objects.requireNonNull(privateKey, "TlsConfig: privateKey");
        trust = trust == null ? certificate : trust;
        readable("certificate", certificate);
        readable("private key", privateKey);
        readable("trusted certificates", trust);
    }

    /** This worker presents {@code certificate} and trusts only it. */
    public static TlsConfig selfTrusting(Path certificate, Path privateKey) {
        return new TlsConfig(certificate, privateKey, certificate);
    }

    private static void readable(String what, Path p) {
        if (!Files.isReadable(p) || Files.isDirectory(p)) {
            throw new IllegalArgumentException("TLS " + what + " " + p + ": expected a readable PEM file");
        }
    }

    /**
     * The configuration from this process's environment and system properties (see the class
     * comment), or null when no certificate is named (TLS off).
     */
    public static TlsConfig fromEnvironment() {
        return from(System.getenv(), System::getProperty);
    }

    /** {@link #fromEnvironment()} over explicit sources, for tests. */
    static TlsConfig from(Map<String, String> env, Function<String, String> properties) {
        String cert = setting(env, properties, CERT_ENV, CERT_PROPERTY);
        String key = setting(env, properties, KEY_ENV, KEY_PROPERTY);
        String trust = setting(env, properties, TRUST_ENV, TRUST_PROPERTY);
        if (cert == null) {
            if (key != null || trust != null) {
                throw new IllegalArgumentException("TLS: " + (key != null ? KEY_ENV : TRUST_ENV)
                        + " is set but no certificate: expected " + CERT_ENV + " (or -D" + CERT_PROPERTY + ") as well");
            }
            return null;
        }
        if (key == null) {
            throw new IllegalArgumentException("TLS: certificate " + cert + " has no private key: expected " + KEY_ENV
                    + " (or -D" + KEY_PROPERTY + ") naming its PKCS#8 PEM file");
        }
        return new TlsConfig(Path.of(cert), Path.of(key), trust == null ? null : Path.of(trust));
    }

    private static String setting(Map<String, String> env, Function<String, String> properties, String var, String property) {
        String v = env.get(var);
        if (v == null || v.isBlank()) {
            v = properties.apply(property);
        }
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** The context of connections peers open to us: our certificate, theirs required. */
    SslContext serverContext() {
        try {
            return SslContextBuilder.forServer(certificate.toFile(), privateKey.toFile())
                    .sslProvider(SslProvider.JDK)
                    .trustManager(trust.toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw unusable(e);
        }
    }

    /** The context of the connection we open to our right neighbour: our certificate, theirs checked. */
    SslContext clientContext() {
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .keyManager(certificate.toFile(), privateKey.toFile())
                    .trustManager(trust.toFile())
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw unusable(e);
        }
    }

    private IllegalArgumentException unusable(Exception e) {
        return new IllegalArgumentException("TLS: cannot use certificate " + certificate + ", key " + privateKey
                + " and trusted certificates " + trust + ": " + e.getMessage()
                + " (expected PEM files, the key in PKCS#8 form, \"BEGIN PRIVATE KEY\")", e);
    }
}
