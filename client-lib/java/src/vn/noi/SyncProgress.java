package vn.noi;

import java.nio.charset.StandardCharsets;
import javax.annotation.Nonnull;

/** How far a sync has got, for a progress bar on a weak link; what a stalled one waits on. */
public final class SyncProgress {
    /** What the sync is doing. */
    public enum Phase {
        /** Reaching the server. */
        CONNECTING,
        /** Sending this tablet's changes. */
        PUSHING,
        /** Taking the others' changes. */
        PULLING,
        /** An attempt failed ({@link #getStall()} says why); the next in {@link #getRetryInMs()}. */
        WAITING,
        /** The round finished. */
        DONE,
    }

    /** Why a sync is not getting through, for the officer. */
    public enum Stall {
        NONE,
        /** No connection, or it broke: the link. */
        NETWORK,
        /** The server refused the device token: enrol the tablet again. */
        CREDENTIALS,
        /** The server is older than the tablet, or was restored from a backup. */
        SERVER_BEHIND,
        /** The server holds this tablet's pushes: too many of its rows were rejected. */
        QUOTA,
        /** The server refused the replica for another reason ({@link #getMessage()}). */
        REFUSED,
    }

    private final Phase phase;
    private final int attempt;
    private final long rowsSent, rowsToSend, bytesSent, bytesToSend, rowsReceived, bytesReceived;
    private final Stall stall;
    private final long retryInMs;
    private final String message;

    // Made by the native library from the C API's noi_progress.
    SyncProgress(int phase, int attempt, long rowsSent, long rowsToSend, long bytesSent,
                 long bytesToSend, long rowsReceived, long bytesReceived, int stall,
                 long retryInMs, byte[] message) {
        this.phase = Phase.values()[Math.max(0, Math.min(phase - 1, Phase.values().length - 1))];
        this.attempt = attempt;
        this.rowsSent = rowsSent;
        this.rowsToSend = rowsToSend;
        this.bytesSent = bytesSent;
        this.bytesToSend = bytesToSend;
        this.rowsReceived = rowsReceived;
        this.bytesReceived = bytesReceived;
        this.stall = Stall.values()[Math.max(0, Math.min(stall, Stall.values().length - 1))];
        this.retryInMs = retryInMs;
        this.message = new String(message, StandardCharsets.UTF_8);
    }

    @Nonnull
    public Phase getPhase() {
        return phase;
    }

    /** 1 for the first connection of this sync. */
    public int getAttempt() {
        return attempt;
    }

    /** Rows pushed by this attempt. */
    public long getRowsSent() {
        return rowsSent;
    }

    /** Pending rows this attempt has still to push. */
    public long getRowsToSend() {
        return rowsToSend;
    }

    /** Protocol bytes sent by this sync, before compression. */
    public long getBytesSent() {
        return bytesSent;
    }

    /** An estimate: the rows still to send at the bytes a row took so far. */
    public long getBytesToSend() {
        return bytesToSend;
    }

    /** Rows pulled by this attempt. */
    public long getRowsReceived() {
        return rowsReceived;
    }

    public long getBytesReceived() {
        return bytesReceived;
    }

    @Nonnull
    public Stall getStall() {
        return stall;
    }

    /** While waiting: when the next attempt starts. */
    public long getRetryInMs() {
        return retryInMs;
    }

    /** While waiting: why the attempt failed, in a sentence; empty otherwise. */
    @Nonnull
    public String getMessage() {
        return message;
    }
}
