package io.torus.comm.transport.netty;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * One rank of a ring in its own process, for the test that kills it. Protocol on stdin/stdout:
 * prints {@code ADDRESS host:port}, reads one line of every rank's {@code host:port} separated by
 * commas, connects, prints {@code CONNECTED}, then waits (to be killed).
 */
public final class RingPeerMain {
    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        NettyTransport transport = NettyTransport.bind("127.0.0.1");
        InetSocketAddress me = transport.localAddress();
        System.out.println("ADDRESS " + me.getHostString() + ":" + me.getPort());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<InetSocketAddress> peers = Arrays.stream(in.readLine().split(",")).map(hp -> {
            int colon = hp.lastIndexOf(':');
            return new InetSocketAddress(hp.substring(0, colon), Integer.parseInt(hp.substring(colon + 1)));
        }).toList();
        transport.connect(rank, peers);
        System.out.println("CONNECTED");
        System.out.flush();
        in.readLine(); // until killed, or stdin closes
        transport.close();
    }
}
