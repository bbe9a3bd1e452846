/* The C API exercised from C: c_api_check PATH URL TOKEN writes offline, syncs, reads back.
 * Exit 0 when every step behaved; otherwise the failing step is printed. */
#include <noi/noi.h>

#include <stdio.h>
#include <string.h>

#define CHECK(cond, what)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAILED: %s (%s)\n", what, err.message);                               \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(int argc, char** argv) {
    noi_error err = {0};
    noi_replica* r = NULL;
    noi_status st;
    char* json = NULL;
    if (argc != 4) {
        fprintf(stderr, "usage: c_api_check PATH URL TOKEN\n");
        return 2;
    }
    CHECK(noi_init(argv[1], argv[2], argv[3], &r, &err) == NOI_OK, "init");
    CHECK(noi_init(argv[1], argv[2], argv[3], &r, &err) == NOI_ERR, "a second init refuses");
    CHECK(noi_exec(
              r,
              "INSERT INTO household(id, commune_code, village) VALUES ('c1', '01849', 'Nà Pài')",
              &err) == NOI_OK,
          "exec");
    CHECK(noi_exec(r, "NOT SQL", &err) == NOI_ERR && strlen(err.message) > 0,
          "bad SQL is an error with a message");
    CHECK(noi_get_status(r, &st, &err) == NOI_OK && st.pending == 1 && st.last_sync_at_ms == -1,
          "status before sync");
    CHECK(noi_sync(r, 30, &err) == NOI_OK, "sync");
    CHECK(noi_get_status(r, &st, &err) == NOI_OK && st.pending == 0 && st.last_sync_at_ms > 0,
          "status after sync");
    CHECK(noi_query_json(r, "SELECT village FROM household WHERE id = 'c1'", &json, &err) == NOI_OK,
          "query");
    CHECK(strcmp(json, "[{\"village\":\"Nà Pài\"}]") == 0, "query result");
    noi_free(json);
    CHECK(noi_start_background_sync(r, &err) == NOI_OK, "start background sync");
    noi_stop_background_sync(r);
    noi_close(r);
    CHECK(noi_open(argv[1], &r, &err) == NOI_OK, "reopen");
    CHECK(noi_sync(NULL, 5, &err) == NOI_ERR_USAGE, "a null handle is a usage error");
    noi_close(r);
    return 0;
}
