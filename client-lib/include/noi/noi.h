/* Nối tablet library, C API: for Android apps through JNI and other hosts.
 *
 * Every function is noexcept: no C++ exception crosses this boundary. A function that can
 * fail returns NOI_OK or an error code and, when `err` is not NULL, fills it with the code and
 * a one-sentence message saying what to do. Handles are opaque; one handle may be used from
 * one thread at a time (the background sync uses its own connection to the replica).
 */
#ifndef NOI_H
#define NOI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum noi_result {
    NOI_OK = 0,
    NOI_ERR = 1,       /* an error; the message says what to do */
    NOI_ERR_USAGE = 2, /* a bad argument */
    NOI_ERR_NETWORK =
        3, /* the server could not be reached in time; nothing was lost, retry later */
    NOI_ERR_CREDENTIALS = 4, /* the server refused the device token */
    NOI_ERR_CANCELLED = 5,   /* noi_cancel_sync ended the sync; nothing was lost */
    NOI_ERR_WIPED = 6,       /* the province office revoked this tablet and ordered its synced
                                data deleted: it was, and the replica never syncs again */
};

typedef struct noi_error {
    int code;
    char message[512];
} noi_error;

typedef struct noi_replica noi_replica;

typedef struct noi_status {
    uint64_t pending;        /* captured row changes not yet acknowledged */
    uint64_t rejected;       /* rows the server rejected, kept on the tablet */
    uint64_t server_seq;     /* the pull cursor */
    int64_t last_sync_at_ms; /* -1: never */
    int64_t wiped_at_ms;     /* when its synced data was deleted at the office's order; -1: never */
} noi_status;

/* Creates a replica with the default schema and keeps the server address and token in it. The
 * address is any form noi_set_server takes; another is refused with NOI_ERR_USAGE. A NULL
 * token keeps none: the app gives it at each open with noi_set_token. */
int noi_init(const char* path, const char* server_url, const char* token, noi_replica** out,
             noi_error* err);
/* Opens an existing replica. */
int noi_open(const char* path, noi_replica** out, noi_error* err);
/* Changes the server a replica syncs with, or the CA it trusts, keeping its pending writes, its
 * token and its pull cursor (what noi-client set-server does).
 * - server_url: https://HOST:PORT, http://HOST:PORT, or wss://HOST:PORT/sync (ws://) as the
 *   console's enrolment QR code carries it; NULL keeps the current one.
 * - ca_file: a PEM file of the province's CA, kept as an absolute path; "" goes back to the
 *   system's CAs only; NULL keeps the current one.
 * - allow_plain_http: non-zero lets the token cross the network over http:// to a server
 *   beyond loopback (a trusted network only). A new server_url needs it again; NULL keeps
 *   the current address's.
 * A URL of none of these forms, plain http beyond loopback without allow_plain_http,
 * and a CA file that is missing or holds no PEM certificate are refused with NOI_ERR_USAGE and
 * change nothing. Refused while the background sync runs (NOI_ERR_USAGE): stop it, change,
 * start it again. */
int noi_set_server(noi_replica* r, const char* server_url, const char* ca_file,
                   int allow_plain_http, noi_error* err);
/* The device token this handle's syncs use (the background sync's too). keep_in_replica non-zero
 * stores it in the replica, as noi_init does; zero holds it in memory for this handle only and
 * removes any token the replica kept, so that an app keeping it in the Android Keystore gives it
 * after each noi_open and a copied replica file carries none. Refused while the background
 * sync runs (NOI_ERR_USAGE). A sync with no token anywhere fails with NOI_ERR_CREDENTIALS. */
int noi_set_token(noi_replica* r, const char* token, int keep_in_replica, noi_error* err);
/* Trusts the province's CA named by its SHA-256 fingerprint (64 hex digits: the enrolment QR
 * code's "ca_sha256"), beside the system's CAs: the next connection finds that certificate among
 * those the server sends and the replica keeps it; the server is then verified against it as
 * against any CA, its name included. A server that sends no such certificate is refused
 * (NOI_ERR, the message says so). Anything but 64 hex digits is refused with NOI_ERR_USAGE. */
int noi_pin_ca(noi_replica* r, const char* sha256_hex, noi_error* err);
/* Runs SQL; writes to synced tables are captured. */
int noi_exec(noi_replica* r, const char* sql, noi_error* err);
/* Runs a query and returns its rows as a JSON array of objects (UTF-8); free it with noi_free. */
int noi_query_json(noi_replica* r, const char* sql, char** json_out, noi_error* err);
/* Runs one full round (push everything, pull everything), retrying after cuts, for at most
 * timeout_seconds. */
int noi_sync(noi_replica* r, int timeout_seconds, noi_error* err);
/* Stays online in a background thread: syncs after each local change and each server notice. */
int noi_start_background_sync(noi_replica* r, noi_error* err);
void noi_stop_background_sync(noi_replica* r);
int noi_get_status(noi_replica* r, noi_status* out, noi_error* err);

/* The application schema version the replica holds: 1 for the default schema, higher once a
 * sync took the new tables or columns the server published. */
int noi_get_schema_version(noi_replica* r, uint32_t* out, noi_error* err);

/* Called after a sync took a newer schema from the server, with the versions before and after,
 * on the thread that synced (the background sync's own one too): the app shows its new forms.
 * Set it before noi_start_background_sync; NULL removes it. */
typedef void (*noi_schema_callback)(uint32_t from_version, uint32_t to_version, void* user);
int noi_set_schema_callback(noi_replica* r, noi_schema_callback cb, void* user, noi_error* err);
/* What a sync is doing, for a progress bar on a weak link. */
enum noi_phase {
    NOI_PHASE_CONNECTING = 1, /* reaching the server */
    NOI_PHASE_PUSHING = 2,    /* sending this tablet's changes */
    NOI_PHASE_PULLING = 3,    /* taking the others' changes */
    NOI_PHASE_WAITING = 4,    /* an attempt failed (stall says why); the next in retry_in_ms */
    NOI_PHASE_DONE = 5,       /* the round finished */
};

/* Why a sync is not getting through, for the officer. */
enum noi_stall {
    NOI_STALL_NONE = 0,
    NOI_STALL_NETWORK = 1,       /* no connection, or it broke: the link */
    NOI_STALL_CREDENTIALS = 2,   /* the server refused the device token: enrol again */
    NOI_STALL_SERVER_BEHIND = 3, /* the server is older than the tablet, or was restored */
    NOI_STALL_QUOTA = 4,         /* the server holds this tablet's pushes: too many rejected rows */
    NOI_STALL_REFUSED = 5,       /* the server refused the replica for another reason */
};

typedef struct noi_progress {
    int phase;              /* enum noi_phase */
    int attempt;            /* 1 for the first connection of this sync */
    uint64_t rows_sent;     /* rows pushed by this attempt */
    uint64_t rows_to_send;  /* pending rows it has still to push */
    uint64_t bytes_sent;    /* protocol bytes sent by this sync (before compression) */
    uint64_t bytes_to_send; /* an estimate: rows_to_send at the bytes a row took this attempt */
    uint64_t rows_received; /* rows pulled by this attempt */
    uint64_t bytes_received;
    int stall;           /* enum noi_stall: while waiting, and on the background's stops */
    int64_t retry_in_ms; /* while waiting */
    const char* message; /* while waiting: why, in a sentence (UTF-8); "" otherwise */
} noi_progress;

/* Called as a sync goes, on the thread that syncs (the background sync's own one too), at most
 * four times a second but always when the phase changes. `p` is valid during the call only.
 * Set it before noi_start_background_sync; NULL removes it. */
typedef void (*noi_progress_callback)(const noi_progress* p, void* user);
int noi_set_progress_callback(noi_replica* r, noi_progress_callback cb, void* user, noi_error* err);

/* From any thread, while noi_sync runs on another: that sync ends at once with
 * NOI_ERR_CANCELLED, its connection closed; nothing is lost and the next sync goes on from
 * where it was. No sync running: nothing happens. The background sync is stopped with
 * noi_stop_background_sync, which also ends its connection at once. */
void noi_cancel_sync(noi_replica* r);

enum noi_log_level { NOI_LOG_DEBUG = 0, NOI_LOG_INFO = 1, NOI_LOG_WARN = 2, NOI_LOG_ERROR = 3 };
/* The library's log lines (a round's outcome, an attempt that failed and why, a background sync
 * that stopped), given to the app instead of printed; UTF-8, valid during the call only. Called
 * on the thread that syncs. Set it before noi_start_background_sync; NULL removes it. */
typedef void (*noi_log_callback)(int level, const char* message, void* user);
int noi_set_log_callback(noi_replica* r, noi_log_callback cb, void* user, noi_error* err);

/* Called after each pulled batch is stored, once per table it changed, with the ids of the rows
 * written, removed, or gone to a commune the tablet no longer reads, and after the server
 * refused rows (each leaves its table for the rejected rows): the app refreshes the screens
 * that show them. On the thread that syncs; the strings are valid during the call only.
 * Set it before noi_start_background_sync; NULL removes it. */
typedef void (*noi_changes_callback)(const char* table, const char* const* row_ids, size_t count,
                                     void* user);
int noi_set_changes_callback(noi_replica* r, noi_changes_callback cb, void* user, noi_error* err);

/* A lost or stolen tablet (noi-admin device revoke --wipe): at its next contact the server says
 * so, the library deletes every synced table's rows and what it kept about them (overwriting
 * them in the file), tells the server, and calls this once, on the thread that syncs; that
 * sync then fails with NOI_ERR_WIPED, as does every later one. The app clears its screens and
 * whatever it kept of the data itself. Set it before noi_start_background_sync; NULL removes
 * it. */
typedef void (*noi_wipe_callback)(int64_t wiped_at_ms, void* user);
int noi_set_wipe_callback(noi_replica* r, noi_wipe_callback cb, void* user, noi_error* err);

/* The rows the server rejected, kept on the tablet, as a JSON array (free it with noi_free):
 * [{"id", "table", "row_id", "reason", "explanation", "explanation_vi", "explanation_en",
 * "message", "message_vi", "recorded_at_ms", "values"}]. `explanation` says in the officer's
 * words what happened and what to do, in `lang`: "vi" (Vietnamese; NULL gives it) or "en", and
 * `explanation_vi` and `explanation_en` in both; `reason` is the protocol's code, `message` the
 * server's own sentence (English) and `message_vi` the same in Vietnamese where the message
 * catalogue has it (docs/messages.md), else the English; `values` the row as the tablet sent it
 * (column to value). */
int noi_rejections_json(noi_replica* r, const char* lang, char** json_out, noi_error* err);

/* What the officer does with a rejected row (`id` in noi_rejections_json). The next sync tells
 * the server, which closes its quarantine entry and writes who did what in its admin log; the
 * row then leaves the list. Until then the list shows "answer": "dropped" or "resent" (null
 * while unanswered). An id the tablet does not keep, or one already answered, is refused with
 * NOI_ERR_USAGE.
 * noi_drop_rejected lets the row go: nothing is written.
 * noi_resend_rejected writes the row again, as the tablet kept it with `corrections_json` over
 * it: a JSON object of column to value (text, a number or null; NULL or "{}" for none), for
 * example {"commune_code": "01906"}. It is a local change like any other, pushed at the next
 * sync and rejected again if still wrong. A column the table lacks, a value that is not text, a
 * number or null, and a row the replica's own rules refuse (another commune's) are refused with
 * NOI_ERR_USAGE, and nothing is written. */
int noi_drop_rejected(noi_replica* r, uint64_t id, noi_error* err);

/* The conflicts this tablet's writes are part of, as the server told it at the start of a sync,
 * as a JSON array (free it with noi_free), those waiting for review first:
 * [{"id", "table", "row_id", "column", "status", "kept", "noticed_at_ms", "decided_at_ms"}].
 * `status` is "review" (the officer's value and another device's met: the province will decide)
 * or "decided"; `kept` is the value the server holds for the cell (once decided, the one the
 * province kept); `column` null means the whole row (a delete against an edit), `kept` then 1
 * while the row stands and null once deleted. A decided one stays for 30 days after the tablet
 * heard of the decision. */
int noi_conflicts_json(noi_replica* r, char** json_out, noi_error* err);

/* What the officer reads for each table, column and enumeration value of the replica's schema,
 * as a JSON object (free it with noi_free), the form noi-admin schema show --json prints:
 * {"version", "tables": [{"name", "scope", "label", "description", "columns": [{"name", "type",
 * "label", "description", "values": [{"value", "label", "description"}]}]}]}, each label and
 * description {"vi", "en"}. A value is named by its text ("1" for an INTEGER column's 1). A table
 * or column without "label" has none: show its name. The server publishes labels with the
 * schema; read them again when the schema callback fires. */
int noi_labels_json(noi_replica* r, char** json_out, noi_error* err);
int noi_resend_rejected(noi_replica* r, uint64_t id, const char* corrections_json, noi_error* err);

/* Stops any background sync and closes the replica. NULL is allowed. */
void noi_close(noi_replica* r);
void noi_free(char* p);

#ifdef __cplusplus
}
#endif

#endif
