package io.torus.comm.rendezvous;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;

/**
 * A rendezvous endpoint, {@code host:port} ({@code TORUS_RDZV_ENDPOINT}): where rank 0's
 * Hazelcast member listens and every other member asks to join.
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("rendezvous endpoint host '" + host + "': expected a host name or IP address");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("rendezvous endpoint port " + port + ": expected 1..65535");
        }
    }

    /** Parses {@code host:port} (IPv6 as {@code [::1]:29500}). */
    public static Endpoint parse(String hostPort) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("rendezvous endpoint '" + hostPort + "': expected HOST:PORT");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return new Endpoint(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("rendezvous endpoint '" + hostPort + "': port '"
                    + hostPort.substring(colon + 1) + "' is not a number");
        }
    }

    /**
     * The IP address of this machine's interface that reaches the endpoint, for this worker's own
     * listeners: {@code 127.0.0.1} when the endpoint is on loopback, the endpoint's own address when
     * it is one of this machine's, else the address the routing table picks for it.
     */
    public String localHost() {
        InetAddress target;
        try {
            target = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("rendezvous endpoint host '" + host + "' cannot be resolved", e);
        }
        if (target.isLoopbackAddress()) {
            return target.getHostAddress();
        }
        try {
            if (NetworkInterface.getByInetAddress(target) != null) {
                return target.getHostAddress();
            }
            try (DatagramSocket probe = new DatagramSocket()) {
                probe.connect(target, port); // sends nothing: only asks the kernel for a route
                return probe.getLocalAddress().getHostAddress();
            }
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("cannot find a local interface that reaches " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
