package vn.noi;

import java.nio.charset.StandardCharsets;
import javax.annotation.Nonnull;
import javax.annotation.Nullable;

/**
 * A tablet's local replica of its commune's data: it works with no network at all and syncs with
 * the provincial server when a link comes. Over the C API ({@code noi.h}); every method throws
 * {@link NoiException} for what fails, with the C API's code and a message that says what to do.
 *
 * <p>A replica is used from one thread at a time (its methods are synchronized); a long sync
 * belongs in {@link #startBackgroundSync()}, which has its own connection to the replica, so the
 * app's writes go on meanwhile. Close it when done ({@link AutoCloseable}): that cancels a
 * running sync, stops the background sync and closes the database. A listener may use the
 * replica, but must not close it or stop the background sync: it runs on that sync's thread.
 */
public final class Replica implements AutoCloseable {
    static {
        System.loadLibrary("noi_jni");
    }

    // Read without the replica's lock by cancelSync, which must reach a sync holding it; the
    // handle is freed under `lifetime`, which cancelSync takes.
    private volatile long handle;
    private final Object lifetime = new Object();
    // Held while the background sync starts or stops (taken before the replica's own lock):
    // stopping joins its thread, whose listeners may be waiting for the replica.
    private final Object stopping = new Object();

    private Replica(long handle) {
        this.handle = handle;
    }

    /**
     * Makes a replica at {@code path} with the default schema, keeping the server's address and
     * the device's token in it. The address is {@code https://HOST:PORT}, or
     * {@code wss://HOST:PORT/sync} as the console's enrolment QR code gives it. A null token
     * keeps none in the replica: the app gives it after each open with {@link #setToken}.
     */
    @Nonnull
    public static Replica create(@Nonnull String path, @Nonnull String serverUrl,
                                 @Nullable String token) {
        return new Replica(nativeInit(utf8(path), utf8(serverUrl), utf8OrNull(token)));
    }

    /** Opens a replica made earlier. */
    @Nonnull
    public static Replica open(@Nonnull String path) {
        return new Replica(nativeOpen(utf8(path)));
    }

    /**
     * Changes the server the replica syncs with, or the CA it trusts, keeping its pending writes,
     * token and pull cursor. A null argument keeps what the replica has; an empty {@code caFile}
     * goes back to the system's CAs. {@code allowPlainHttp} lets the token cross the network
     * over {@code http://} to a server beyond loopback (a trusted network only). Refused while
     * the background sync runs.
     */
    public synchronized void setServer(@Nullable String serverUrl, @Nullable String caFile,
                                       boolean allowPlainHttp) {
        nativeSetServer(live(), utf8OrNull(serverUrl), utf8OrNull(caFile), allowPlainHttp);
    }

    /**
     * The device token this replica's syncs use. {@code keepInReplica} stores it in the replica
     * (as {@link #create} does); false holds it for this object only and removes any stored
     * copy, for an app that keeps the token in the Android Keystore and gives it after each
     * open. Refused while the background sync runs. A sync with no token fails with
     * {@link NoiException#CREDENTIALS}.
     */
    public synchronized void setToken(@Nonnull String token, boolean keepInReplica) {
        nativeSetToken(live(), utf8(token), keepInReplica);
    }

    /**
     * Trusts the province's CA named by its SHA-256 (the enrolment QR code's {@code ca_sha256},
     * 64 hex digits) beside the system's: the next connection finds it among the server's
     * certificates and the replica keeps it. A server that sends no such certificate is refused.
     */
    public synchronized void pinCa(@Nonnull String sha256) {
        nativePinCa(live(), utf8(sha256));
    }

    /** Runs SQL; writes to synced tables are captured for the next sync. */
    public synchronized void exec(@Nonnull String sql) {
        nativeExec(live(), utf8(sql));
    }

    /** Runs a query; its rows as a JSON array of objects (column name to value). */
    @Nonnull
    public synchronized String queryJson(@Nonnull String sql) {
        return new String(nativeQueryJson(live(), utf8(sql)), StandardCharsets.UTF_8);
    }

    /**
     * The rows the server rejected, kept on the tablet, as a JSON array of objects: id, table,
     * row_id, reason (the protocol's code), explanation (what happened and what to do, in the
     * officer's words: {@code "vi"} Vietnamese, {@code "en"} English), explanation_vi and
     * explanation_en (the same in both), message (the server's sentence, English), message_vi
     * (the same in Vietnamese where the catalogue has it), recorded_at_ms, values (the row as sent), answer ({@code "dropped"} or
     * {@code "resent"} until the next sync tells the server; null while unanswered).
     */
    @Nonnull
    public synchronized String rejectionsJson(@Nonnull String lang) {
        return new String(nativeRejectionsJson(live(), utf8(lang)), StandardCharsets.UTF_8);
    }

    /**
     * The conflicts this tablet's writes are part of, as the server told it at the start of a
     * sync, as a JSON array of objects, those waiting for review first: id, table, row_id, column
     * (null: the whole row), status ({@code "review"}: the officer's value and another device's
     * met and the province will decide; {@code "decided"}), kept (the value the server holds,
     * once decided the one the province kept), noticed_at_ms, decided_at_ms. A decided one stays
     * for 30 days after the tablet heard of the decision.
     */
    @Nonnull
    public synchronized String conflictsJson() {
        return new String(nativeConflictsJson(live()), StandardCharsets.UTF_8);
    }

    /**
     * What the officer reads for each table, column and enumeration value, as a JSON object:
     * version, tables [{name, scope, label, description, columns [{name, type, label,
     * description, values [{value, label, description}]}]}], each label and description
     * {@code {"vi", "en"}}. A value is named by its text ({@code "1"} for an INTEGER column's 1);
     * a table or column without a label shows its name. Read it again after the
     * {@link SchemaListener} fires.
     */
    @Nonnull
    public synchronized String labelsJson() {
        return new String(nativeLabelsJson(live()), StandardCharsets.UTF_8);
    }

    /**
     * The officer lets rejected row {@code id} go: nothing is written. The next sync tells the
     * server, which closes it on its record; the row then leaves the list. An id the tablet does
     * not keep, or one already answered, throws {@link NoiException#USAGE}.
     */
    public synchronized void dropRejected(long id) {
        nativeDropRejected(live(), id);
    }

    /**
     * The officer corrects rejected row {@code id} and writes it again: the row as the tablet
     * kept it, with {@code correctionsJson} over it (a JSON object of column to text, number or
     * null, for example {@code {"commune_code": "01906"}}; null for none), goes into its table
     * as a local change, pushed at the next sync, which also tells the server. A correction the
     * table or the replica's rules refuse throws {@link NoiException#USAGE} and writes nothing.
     */
    public synchronized void resendRejected(long id, @Nullable String correctionsJson) {
        nativeResendRejected(live(), id, utf8OrNull(correctionsJson));
    }

    /**
     * Runs one whole round (push everything, pull everything), retrying after cuts, for at most
     * {@code timeoutSeconds}. A link that never held long enough throws {@link NoiException}
     * with {@link NoiException#NETWORK}: nothing was lost, try again later.
     */
    public synchronized void sync(int timeoutSeconds) {
        nativeSync(live(), timeoutSeconds);
    }

    /**
     * Stays online in a thread of the library's: syncs after each local change and each notice
     * from the server, reconnecting after cuts, until {@link #stopBackgroundSync()} or close.
     */
    public void startBackgroundSync() {
        synchronized (stopping) {
            synchronized (this) {
                nativeStartBackgroundSync(live());
            }
        }
    }

    /**
     * Stops the background sync, ending its connection at once. The replica's lock is not held
     * meanwhile, so a listener the background sync is calling may still use the replica.
     */
    public void stopBackgroundSync() {
        synchronized (stopping) {
            nativeStopBackgroundSync(live());
        }
    }

    @Nonnull
    public synchronized Status getStatus() {
        long[] s = nativeStatus(live());
        return new Status(s[0], s[1], s[2], s[3], s[4]);
    }

    /** The application schema version the replica holds: 1 for the default schema. */
    public synchronized int getSchemaVersion() {
        return nativeSchemaVersion(live());
    }

    /**
     * Told when a sync took a newer schema; null removes it. Set it before
     * {@link #startBackgroundSync()}.
     */
    public synchronized void setSchemaListener(@Nullable SchemaListener listener) {
        nativeSetSchemaListener(live(), listener);
    }

    /**
     * Told how each sync goes (phase, rows and bytes sent and to send, rows received, and while
     * waiting why and for how long); null removes it. Set it before
     * {@link #startBackgroundSync()}.
     */
    public synchronized void setProgressListener(@Nullable ProgressListener listener) {
        nativeSetProgressListener(live(), listener);
    }

    /**
     * Told when the province office's order to delete this tablet's synced data was carried out
     * (a lost or stolen tablet); null removes it. Set it before {@link #startBackgroundSync()}.
     */
    public synchronized void setWipeListener(@Nullable WipeListener listener) {
        nativeSetWipeListener(live(), listener);
    }

    /**
     * Told which rows each pull changed, table by table, so screens refresh; null removes it.
     * Set it before {@link #startBackgroundSync()}.
     */
    public synchronized void setChangeListener(@Nullable ChangeListener listener) {
        nativeSetChangeListener(live(), listener);
    }

    /** Given the library's log lines; null removes it. Set it before the background sync. */
    public synchronized void setLogListener(@Nullable LogListener listener) {
        nativeSetLogListener(live(), listener);
    }

    /**
     * From any thread, while {@link #sync(int)} runs on another: that sync ends at once with
     * {@link NoiException#CANCELLED}, nothing lost. No sync running: nothing happens. The
     * background sync is stopped with {@link #stopBackgroundSync()} or close.
     */
    public void cancelSync() {
        synchronized (lifetime) {
            if (handle != 0) nativeCancelSync(handle);
        }
    }

    /**
     * Stops any background sync (its connection ended at once) and closes the replica; a
     * second close does nothing.
     */
    @Override
    public void close() {
        // A sync running on another thread ends first, so closing from onDestroy does not wait
        // for its timeout; then the background sync, without the replica's lock (see above).
        cancelSync();
        synchronized (stopping) {
            long h = handle;
            if (h != 0) nativeStopBackgroundSync(h);
            synchronized (this) {
                synchronized (lifetime) {
                    if (handle == 0) return;
                    nativeClose(handle);
                    handle = 0;
                }
            }
        }
    }

    private long live() {
        long h = handle;
        if (h == 0) throw new NoiException(NoiException.USAGE, "the replica is closed");
        return h;
    }

    // The C API takes NUL-terminated UTF-8: Java's own strings converted here, not by JNI (whose
    // modified UTF-8 is not UTF-8 beyond the BMP).
    private static byte[] utf8(String s) {
        if (s == null) throw new NoiException(NoiException.USAGE, "a null string was given");
        if (s.indexOf('\0') >= 0)
            throw new NoiException(NoiException.USAGE, "a string with a NUL character was given");
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    @Nullable
    private static byte[] utf8OrNull(@Nullable String s) {
        return s == null ? null : utf8(s);
    }

    private static native long nativeInit(byte[] path, byte[] serverUrl, byte[] token);
    private static native long nativeOpen(byte[] path);
    private static native void nativeSetServer(long h, byte[] serverUrl, byte[] caFile,
                                               boolean allowPlainHttp);
    private static native void nativeSetToken(long h, byte[] token, boolean keepInReplica);
    private static native void nativePinCa(long h, byte[] sha256);
    private static native void nativeExec(long h, byte[] sql);
    private static native byte[] nativeQueryJson(long h, byte[] sql);
    private static native byte[] nativeRejectionsJson(long h, byte[] lang);
    private static native byte[] nativeConflictsJson(long h);
    private static native byte[] nativeLabelsJson(long h);
    private static native void nativeDropRejected(long h, long id);
    private static native void nativeResendRejected(long h, long id, byte[] corrections);
    private static native void nativeSync(long h, int timeoutSeconds);
    private static native void nativeStartBackgroundSync(long h);
    private static native void nativeStopBackgroundSync(long h);
    private static native long[] nativeStatus(long h);
    private static native int nativeSchemaVersion(long h);
    private static native void nativeSetSchemaListener(long h, SchemaListener listener);
    private static native void nativeSetProgressListener(long h, ProgressListener listener);
    private static native void nativeSetLogListener(long h, LogListener listener);
    private static native void nativeSetChangeListener(long h, ChangeListener listener);
    private static native void nativeSetWipeListener(long h, WipeListener listener);
    private static native void nativeCancelSync(long h);
    private static native void nativeClose(long h);
}
