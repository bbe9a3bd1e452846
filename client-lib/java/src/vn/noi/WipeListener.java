package vn.noi;

/**
 * Told once when the province office revoked this tablet and ordered its synced data deleted (a
 * lost or stolen tablet): the library has deleted it, and every sync now fails with
 * {@link NoiException#WIPED}. Called on the thread that synced, so an Android app posts to its
 * main thread, clears its screens and whatever it kept of the data itself.
 */
public interface WipeListener {
    void onWiped(long wipedAtMs);
}
