package io.torus.comm.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed certificates for TLS tests, made by the JDK's own {@code keytool} (a real process;
 * no Bouncy Castle needed) and written out as the PEM files Torus reads: the certificate and its
 * unencrypted PKCS#8 private key.
 */
public final class TestCertificates {
    private static final String PASSWORD = "torus-test";

    private TestCertificates() {
    }

    /** A certificate and its private key, as PEM files. */
    public record Pem(Path certificate, Path privateKey) {
    }

    /** Makes a fresh EC P-256 key and self-signed certificate with common name {@code name} in {@code dir}. */
    public static Pem generate(Path dir, String name) throws IOException, InterruptedException, GeneralSecurityException {
        Path store = dir.resolve(name + ".p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", name, "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=" + name, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool failed: " + new String(output, StandardCharsets.UTF_8));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        Key key = ks.getKey(name, PASSWORD.toCharArray());
        Certificate cert = ks.getCertificate(name);
        Pem pem = new Pem(dir.resolve(name + "-cert.pem"), dir.resolve(name + "-key.pem"));
        Files.writeString(pem.certificate(), pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(pem.privateKey(), pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
        return pem;
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return String.join("\n", List.of("-----BEGIN " + type + "-----", body, "-----END " + type + "-----", ""));
    }
}
