package vn.noi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Java API against a real noi-server, as an Android app would use it. */
class ReplicaTest {
    private TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new TestServer();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private String db(String name) {
        return server.dir.resolve(name).toString();
    }

    // The address as the console's enrolment QR code gives it.
    private String qrAddress() {
        return "ws://" + server.url.substring("http://".length()) + "/sync";
    }

    @Test
    void aTabletEnrolsWritesOfflineSyncsAndReadsItsTextBackByteForByte() throws Exception {
        String village = "Bản Nà Pài 𠀧"; // a character beyond the BMP: JNI's own strings mangle it
        try (Replica r = Replica.create(db("a.db"), qrAddress(), server.enrol("01849"))) {
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('j1', '01849', '"
                   + village + "')");
            Status before = r.getStatus();
            assertEquals(1, before.getPending());
            assertNull(before.getLastSyncAtMs());
            r.sync(30);
            Status after = r.getStatus();
            assertEquals(0, after.getPending());
            assertNotNull(after.getLastSyncAtMs());
            assertEquals(1, r.getSchemaVersion());
        }
        try (Replica fresh = Replica.create(db("b.db"), server.url, server.enrol("01849"))) {
            fresh.sync(30);
            assertEquals("[{\"village\":\"" + village + "\"}]",
                         fresh.queryJson("SELECT village FROM household WHERE id = 'j1'"));
        }
        try (Replica again = Replica.open(db("a.db"))) {
            assertEquals("[{\"n\":1}]", again.queryJson("SELECT count(*) AS n FROM household"));
        }
    }

    @Test
    void theAppReadsTheLabelsOfItsFormsInBothLanguages() throws Exception {
        try (Replica r = Replica.create(db("l.db"), server.url, server.enrol("01849"))) {
            r.sync(30);
            String labels = r.labelsJson();
            assertTrue(labels.contains("{\"label\":{\"en\":\"Mobile militia\",\"vi\":\"Dân quân cơ "
                                       + "động\"},\"value\":\"co_dong\"}"),
                       labels);
            assertTrue(labels.contains("\"label\":{\"en\":\"Household\",\"vi\":\"Hộ gia đình\"}"),
                       labels);
        }
    }

    @Test
    void twoTabletsEditingOneRowOfflineConvergeAndTheProvinceSeesTheConflict() throws Exception {
        try (Replica a = Replica.create(db("a.db"), server.url, server.enrol("01849"));
             Replica b = Replica.create(db("b.db"), server.url, server.enrol("01849"))) {
            a.exec("INSERT INTO household(id, commune_code, village) VALUES ('c1', '01849', 'Nà "
                   + "Pài')");
            a.sync(30);
            b.sync(30);
            a.exec("UPDATE household SET village = 'Bản Tàn' WHERE id = 'c1'");
            b.exec("UPDATE household SET village = 'Nà Làng' WHERE id = 'c1'");
            a.sync(30);
            b.sync(30);
            a.sync(30);
            String kept = a.queryJson("SELECT village FROM household WHERE id = 'c1'");
            assertEquals(kept, b.queryJson("SELECT village FROM household WHERE id = 'c1'"));
            String conflicts = String.join("\n", server.admin("conflicts", "list", "--json"));
            assertTrue(conflicts.contains("\"row_id\":\"c1\""), conflicts);
            b.sync(30);
            for (Replica t : new Replica[] {a, b}) {
                String told = t.conflictsJson();
                assertTrue(told.contains("\"row_id\":\"c1\",\"column\":\"village\",\"status\":"
                                         + "\"review\""),
                           told);
            }
            String id = conflicts.substring(conflicts.indexOf("\"id\":") + 5);
            id = id.substring(0, id.indexOf(',')).trim();
            server.admin("conflicts", "resolve", id, "--value", "\"Nà Pài mới\"");
            a.sync(30);
            String told = a.conflictsJson();
            assertTrue(told.contains("\"status\":\"decided\",\"kept\":\"Nà Pài mới\""), told);
            assertEquals("[{\"village\":\"Nà Pài mới\"}]",
                         a.queryJson("SELECT village FROM household WHERE id = 'c1'"));
        }
    }

    @Test
    void aRowOfAnotherCommuneIsRejectedAndKeptAsideOnTheTablet() throws Exception {
        try (Replica r = Replica.create(db("a.db"), server.url, server.enrol("01849"))) {
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('x1', '01852', 'Xã "
                   + "khác')");
            r.sync(30);
            Status s = r.getStatus();
            assertEquals(1, s.getRejected());
            assertEquals(0, s.getPending());
            assertEquals("[{\"row_id\":\"x1\"}]",
                         r.queryJson("SELECT row_id FROM noi_rejected WHERE tbl = 'household'"),
                         "the row is kept aside with its reason, not lost");
            String vi = r.rejectionsJson("vi");
            assertTrue(vi.contains("\"explanation\":\"Bản ghi này thuộc xã khác"), vi);
            assertTrue(vi.contains("\"village\":\"Xã khác\""), vi);
            assertTrue(r.rejectionsJson("en").contains("This record belongs to another commune"));
        }
    }

    @Test
    void anOfficerCorrectsOneRejectedRowAndDropsAnotherOnTheServersRecord() throws Exception {
        try (Replica r = Replica.create(db("a.db"), server.url, server.enrol("01849"))) {
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('x1', '01852', 'Nà "
                   + "Ngần'), ('x2', '01852', 'Nà Ngần')");
            r.sync(30);
            String kept = r.rejectionsJson("vi");
            long x1 = idOf(kept, "x1"), x2 = idOf(kept, "x2");
            NoiException refused =
                assertThrows(NoiException.class, () -> r.resendRejected(x1, null));
            assertEquals(NoiException.USAGE, refused.getCode(), "still another commune's");
            r.resendRejected(x1, "{\"commune_code\": \"01849\"}");
            r.dropRejected(x2);
            assertEquals(NoiException.USAGE,
                         assertThrows(NoiException.class, () -> r.dropRejected(x2)).getCode());
            assertTrue(r.rejectionsJson("en").contains("\"answer\":\"dropped\""));
            r.sync(30);
            assertEquals("[]", r.rejectionsJson("vi"));
            assertEquals(0, r.getStatus().getPending());
            String log = String.join("\n", server.admin("log", "--json"));
            assertTrue(log.contains("dropped by the tablet's officer (household x2)"), log);
            assertTrue(log.contains("corrected and sent again by the tablet's officer (household x1)"),
                       log);
            assertEquals("[]", String.join("", server.admin("quarantine", "list", "--json")).trim());
        }
    }

    // The id of the rejected row `rowId` in rejectionsJson's array.
    private static long idOf(String json, String rowId) {
        int row = json.indexOf("\"row_id\":\"" + rowId + "\"");
        int id = json.lastIndexOf("{\"id\":", row);
        assertTrue(row > 0 && id >= 0, json);
        int from = id + "{\"id\":".length();
        return Long.parseLong(json.substring(from, json.indexOf(',', from)));
    }

    @Test
    void theBackgroundSyncSendsALocalWriteWhileTheAppGoesOn() throws Exception {
        try (Replica r = Replica.create(db("a.db"), server.url, server.enrol("01849"))) {
            r.startBackgroundSync();
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('b1', '01849', 'Cốc "
                   + "Xả')");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (r.getStatus().getPending() > 0 && System.nanoTime() < until)
                Thread.sleep(100);
            assertEquals(0, r.getStatus().getPending());
            NoiException busy =
                assertThrows(NoiException.class, () -> r.setServer(server.url, null, false));
            assertEquals(NoiException.USAGE, busy.getCode());
            r.stopBackgroundSync();
        }
    }

    @Test
    void refusalsCarryTheCApiSCodeAndAMessageThatSaysWhatToDo() throws Exception {
        try (Replica r = Replica.create(db("pin.db"), server.url, "token")) {
            assertEquals(NoiException.USAGE,
                         assertThrows(NoiException.class, () -> r.pinCa("abc")).getCode());
        }
        NoiException address = assertThrows(
            NoiException.class, () -> Replica.create(db("bad.db"), "10.0.0.1:443", "token"));
        assertEquals(NoiException.USAGE, address.getCode());
        assertTrue(address.getMessage().contains("wss://"), address.getMessage());
        assertTrue(Files.notExists(server.dir.resolve("bad.db")));

        try (Replica r = Replica.create(db("a.db"), server.url, "not-a-token")) {
            NoiException token = assertThrows(NoiException.class, () -> r.sync(10));
            assertEquals(NoiException.CREDENTIALS, token.getCode());
            NoiException sql = assertThrows(NoiException.class, () -> r.exec("NOT SQL"));
            assertEquals(NoiException.ERROR, sql.getCode());
            assertTrue(sql.getMessage().length() > 0);
            r.close();
            r.close();
            assertEquals(NoiException.USAGE,
                         assertThrows(NoiException.class, r::getStatus).getCode());
        }
        List<String> none = server.admin("conflicts", "list", "--json");
        assertEquals("[]", String.join("", none).trim());
    }

    @Test
    void theAppIsShownProgressAndLogLinesAndTheEndOfASync() throws Exception {
        List<SyncProgress> seen = Collections.synchronizedList(new ArrayList<>());
        List<String> logs = Collections.synchronizedList(new ArrayList<>());
        try (Replica r = Replica.create(db("p.db"), server.url, server.enrol("01849"))) {
            r.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
                   + "INSERT INTO household(id, commune_code, village) SELECT 'p' || i, '01849', "
                   + "'Thôn Nà Ngò ' || i FROM n");
            r.setProgressListener(seen::add);
            r.setLogListener((level, message) -> logs.add(level + " " + message));
            r.sync(30);
        }
        assertTrue(seen.size() >= 3, "connecting, pushing or pulling, done: " + seen.size());
        assertEquals(SyncProgress.Phase.CONNECTING, seen.get(0).getPhase());
        assertEquals(500, seen.get(0).getRowsToSend());
        SyncProgress last = seen.get(seen.size() - 1);
        assertEquals(SyncProgress.Phase.DONE, last.getPhase());
        assertEquals(500, last.getRowsSent());
        assertEquals(0, last.getRowsToSend());
        assertTrue(last.getBytesSent() > 0);
        assertEquals(SyncProgress.Stall.NONE, last.getStall());
        String line = logs.get(logs.size() - 1);
        assertTrue(line.startsWith(LogListener.INFO + " synced: pushed 500 rows"), line);
    }

    @Test
    void aSyncWaitingOnASilentServerIsCancelledFromAnotherThread() throws Exception {
        // Takes connections into its backlog and never answers them.
        try (ServerSocket silent = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             Replica r = Replica.create(db("c.db"), "http://127.0.0.1:" + silent.getLocalPort(),
                                        "token")) {
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('k1', '01849', "
                   + "'Khuổi Khít')");
            Thread canceller = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    return;
                }
                r.cancelSync();
            });
            long started = System.nanoTime();
            canceller.start();
            NoiException cancelled = assertThrows(NoiException.class, () -> r.sync(60));
            canceller.join();
            assertEquals(NoiException.CANCELLED, cancelled.getCode(), cancelled.getMessage());
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(3),
                       "the connection's own 15 s wait was not sat out");
            assertEquals(1, r.getStatus().getPending(), "nothing was lost");
        }
    }

    @Test
    void aTokenKeptInTheKeystoreIsGivenAtEachOpenAndNeverStored() throws Exception {
        String token = server.enrol("01849");
        try (Replica r = Replica.create(db("k.db"), server.url, null)) {
            assertEquals(NoiException.CREDENTIALS,
                         assertThrows(NoiException.class, () -> r.sync(10)).getCode());
            r.setToken(token, false);
            r.sync(30);
        }
        try (Replica again = Replica.open(db("k.db"))) {
            assertEquals("[{\"value\":\"\"}]",
                         again.queryJson("SELECT value FROM noi_meta WHERE key = 'token'"));
            assertEquals(NoiException.CREDENTIALS,
                         assertThrows(NoiException.class, () -> again.sync(10)).getCode());
            again.setToken(token, false);
            again.sync(30);
        }
    }

    @Test
    void theAppIsToldWhichRowsAPullChanged() throws Exception {
        List<String> changed = Collections.synchronizedList(new ArrayList<>());
        try (Replica a = Replica.create(db("a.db"), server.url, server.enrol("01849"));
             Replica b = Replica.create(db("b.db"), server.url, server.enrol("01849"))) {
            b.sync(30);
            a.exec("INSERT INTO household(id, commune_code, village) VALUES ('h1', '01849', 'Nà "
                   + "Pài'), ('h2', '01849', 'Bản Tàn')");
            a.sync(30);
            b.setChangeListener((table, ids) -> {
                for (String id : ids)
                    changed.add(table + "/" + id);
            });
            b.sync(30);
        }
        Collections.sort(changed);
        assertEquals(java.util.Arrays.asList("household/h1", "household/h2"), changed);
    }

    @Test
    void aTabletRevokedWithAWipeDeletesItsSyncedDataAndTellsTheApp() throws Exception {
        String device =
            String.join("\n", server.admin("device", "add", "--commune", "01849", "--json"));
        try (Replica r =
                 Replica.create(db("lost.db"), server.url, TestServer.field(device, "token"))) {
            r.exec("INSERT INTO household(id, commune_code, village) VALUES ('w1', '01849', "
                   + "'Bản Khuổi Xỏm')");
            r.sync(30);
            long[] wipedAt = {-1};
            r.setWipeListener(at -> wipedAt[0] = at);
            assertNull(r.getStatus().getWipedAtMs());
            server.admin("device", "revoke", TestServer.field(device, "device_id"), "--wipe");
            NoiException wiped = assertThrows(NoiException.class, () -> r.sync(30));
            assertEquals(NoiException.WIPED, wiped.getCode());
            assertTrue(wipedAt[0] > 0);
            assertEquals("[{\"n\":0}]", r.queryJson("SELECT count(*) AS n FROM household"));
            assertEquals(Long.valueOf(wipedAt[0]), r.getStatus().getWipedAtMs());
        }
        String list = String.join("\n", server.admin("device", "list", "--json"));
        assertNotNull(TestServer.field(list, "wiped_at"));
    }
}
