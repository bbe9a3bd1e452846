package vn.noi;

/**
 * Told after each pulled batch is stored, once per table it changed, with the ids of the rows
 * written, removed, or gone to a commune the tablet no longer reads, and after the server
 * refused rows (each leaves its table for the rejected rows): the app refreshes the screens
 * that show them. Called on the thread that syncs.
 */
public interface ChangeListener {
    void onRowsChanged(String table, String[] rowIds);
}
