package vn.noi;

import javax.annotation.Nullable;

/** A replica's state for the app's sync screen. */
public final class Status {
    private final long pending;
    private final long rejected;
    private final long serverSeq;
    private final long lastSyncAtMs;
    private final long wipedAtMs;

    Status(long pending, long rejected, long serverSeq, long lastSyncAtMs, long wipedAtMs) {
        this.pending = pending;
        this.rejected = rejected;
        this.serverSeq = serverSeq;
        this.lastSyncAtMs = lastSyncAtMs;
        this.wipedAtMs = wipedAtMs;
    }

    /** Captured row changes the server has not acknowledged yet. */
    public long getPending() {
        return pending;
    }

    /** Rows the server rejected, kept on the tablet. */
    public long getRejected() {
        return rejected;
    }

    /** How far the replica has pulled (the server's feed sequence). */
    public long getServerSeq() {
        return serverSeq;
    }

    /** When a sync last finished, in milliseconds since 1970; null before the first. */
    @Nullable
    public Long getLastSyncAtMs() {
        return lastSyncAtMs < 0 ? null : lastSyncAtMs;
    }

    /**
     * When the replica's synced data was deleted at the province office's order (see
     * {@link WipeListener}); null when it never was.
     */
    @Nullable
    public Long getWipedAtMs() {
        return wipedAtMs < 0 ? null : wipedAtMs;
    }
}
