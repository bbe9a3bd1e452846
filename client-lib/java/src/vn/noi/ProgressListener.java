package vn.noi;

/**
 * Told how a sync goes, at most four times a second but at every change of phase. Called on the
 * thread that syncs (the background sync's own one too): an Android app posts to its main
 * thread to update the screen.
 */
public interface ProgressListener {
    void onProgress(SyncProgress progress);
}
