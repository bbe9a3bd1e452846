package vn.noi;

/**
 * The library's log lines (a round's outcome, an attempt that failed and why, a background sync
 * that stopped), for the app's own log instead of standard error. Called on the thread that
 * syncs.
 */
public interface LogListener {
    int DEBUG = 0;
    int INFO = 1;
    int WARN = 2;
    int ERROR = 3;

    void onLog(int level, String message);
}
