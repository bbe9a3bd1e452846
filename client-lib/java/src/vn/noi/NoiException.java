package vn.noi;

import java.nio.charset.StandardCharsets;

/**
 * A refusal or failure of the Nối library: {@link #getCode()} is the C API's code, the message
 * says what to do. Unchecked: what a user causes (a bad address, a refused token, no network)
 * is a value to show, not a reason to declare exceptions on every call.
 */
public final class NoiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** An error; the message says what to do. */
    public static final int ERROR = 1;
    /** A bad argument. */
    public static final int USAGE = 2;
    /** The server could not be reached in time; nothing was lost, retry later. */
    public static final int NETWORK = 3;
    /** The server refused the device token. */
    public static final int CREDENTIALS = 4;
    /** {@link Replica#cancelSync()} ended the sync; nothing was lost. */
    public static final int CANCELLED = 5;
    /**
     * The province office revoked this tablet and ordered its synced data deleted; it was (see
     * {@link WipeListener}), and the replica never syncs again.
     */
    public static final int WIPED = 6;

    private final int code;

    public NoiException(int code, String message) {
        super(message);
        this.code = code;
    }

    // Made by the native library: the message's UTF-8 bytes as the C API wrote them (JNI's own
    // strings are modified UTF-8, which would mangle characters beyond the BMP).
    NoiException(int code, byte[] utf8Message) {
        this(code, new String(utf8Message, StandardCharsets.UTF_8));
    }

    /**
     * One of {@link #ERROR}, {@link #USAGE}, {@link #NETWORK}, {@link #CREDENTIALS},
     * {@link #CANCELLED}, {@link #WIPED}.
     */
    public int getCode() {
        return code;
    }
}
