package vn.noi;

/**
 * Told when a sync took a newer schema from the server (new forms to show). Called on the thread
 * that synced: the background sync's own thread too, so an Android app posts to its main thread.
 */
public interface SchemaListener {
    void onSchemaChanged(int fromVersion, int toVersion);
}
