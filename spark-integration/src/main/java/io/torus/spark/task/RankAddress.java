package io.torus.spark.task;

import java.net.InetSocketAddress;

/** A rank's transport address as it travels through {@code allGather}: {@code host:port}. */
record RankAddress(String host, int port) {

    static RankAddress of(InetSocketAddress a) {
        return new RankAddress(a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString(),
                a.getPort());
    }

    String encode() {
        return host + ":" + port;
    }

    /** Splits at the last colon, so IPv6 literals work too. */
    static RankAddress decode(String s) {
        int i = s.lastIndexOf(':');
        if (i <= 0 || i == s.length() - 1) {
            throw new IllegalArgumentException("rank address '" + s + "': expected host:port");
        }
        return new RankAddress(s.substring(0, i), Integer.parseInt(s.substring(i + 1)));
    }

    InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }
}
