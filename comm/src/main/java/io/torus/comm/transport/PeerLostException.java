package io.torus.comm.transport;

/**
 * A collective cannot complete because a rank left the group: its process exited or was killed,
 * it stopped answering, it closed its transport, or it aborted after a failure of its own.
 * Once thrown, the transport that threw it fails every later send and receive the same way.
 */
public class PeerLostException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final int lostRank;
    private final String reason;

    /**
     * @param lostRank the rank to blame
     * @param reason   what happened to it, completing "rank N ..." (e.g. "closed its connection")
     * @param context  what could not be done (e.g. "rank 2 cannot receive chunk 1 of collective 7 from rank 1")
     */
    public PeerLostException(int lostRank, String reason, String context) {
        super(context + ": rank " + lostRank + " " + reason);
        this.lostRank = lostRank;
        this.reason = reason;
    }

    /** The rank that was lost (or that aborted the group). */
    public int lostRank() {
        return lostRank;
    }

    /** What happened to {@link #lostRank()}, without the context. */
    public String reason() {
        return reason;
    }
}
