#!/usr/bin/env python3
"""The web console in a real browser (headless Chromium driven by Selenium) against a real
noi-server, with real tablets synced by noi-client. Run by CTest:

    console_test.py --bin-dir BUILD/tools --shots DIR

Each step saves a screenshot of its page in DIR. The steps run in order (their names are
numbered) and share one server: the state one step leaves is the next one's start."""

import argparse
import base64
import io
import json
import os
import re
import select
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

ARGS = None
COMMUNE_A, COMMUNE_B = "01849", "01864"  # Xã Phong Quang and Xã Bằng Thành (Thái Nguyên, 2025)
XSS = "<img src=x onerror=alert(1)>"
ADMIN_PASSWORD = "mật khẩu của chị Hoa"
VIEWER_PASSWORD = "chủ tịch xã đọc thôi"
NEW_VIEWER_PASSWORD = "mật khẩu mới của chủ tịch"
WAIT_S = 20


def run(*argv, stdin=None, timeout=120):
    r = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout)
    return r


def binary(name):
    return os.path.join(ARGS.bin_dir, name)


def checked(*argv, stdin=None):
    r = run(*argv, stdin=stdin)
    if r.returncode != 0:
        raise AssertionError(f"{argv} exited {r.returncode}: {r.stdout}{r.stderr}")
    return r.stdout


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="noi-console-")
        cls.data = os.path.join(cls.tmp, "server")
        cls.admin_token = checked(binary("noi-server"), "init", "--data", cls.data).split("\n")[0]
        cls.server = subprocess.Popen(
            [binary("noi-server"), "serve", "--data", cls.data, "--listen", "127.0.0.1:0"],
            stderr=subprocess.PIPE, text=True)
        cls.url = cls.listening_url()
        cls.admin("account", "add", "--name", "hoa", "--role", "admin", "--password-stdin",
                  stdin=ADMIN_PASSWORD + "\n")
        cls.admin("account", "add", "--name", "chu.tich", "--role", "viewer", "--communes",
                  COMMUNE_A, "--password-stdin", stdin=VIEWER_PASSWORD + "\n")
        # Two tablets of one commune that edit one household (a conflict), one whose name is
        # markup, one that sends a row of another commune before its first sync (quarantined).
        cls.a = cls.tablet(COMMUNE_A, "Máy chị Lò Thị Mai")
        cls.b = cls.tablet(COMMUNE_A, XSS)
        cls.x = cls.tablet(COMMUNE_A, "Máy mới")
        cls.c = cls.tablet(COMMUNE_B, "Máy xã Việt Tiến")
        cls.exec(cls.a, "INSERT INTO household(id, commune_code, members, village, is_safe) "
                        "VALUES ('h1', '01849', 4, 'Bản Pjạc', 1)")
        cls.exec(cls.a, "INSERT INTO assessment(commune_code, year, c19_1_met, c19_2_met, "
                        "decided_on) VALUES ('01849', 2024, 1, 1, '2024-11-30')")
        cls.sync(cls.a)
        cls.sync(cls.b)
        cls.exec(cls.a, "UPDATE household SET members = 5 WHERE id = 'h1'")
        cls.exec(cls.b, "UPDATE household SET members = 6 WHERE id = 'h1'")
        cls.exec(cls.b, f"INSERT INTO incident(id, commune_code, summary, category, severity, "
                        f"status) VALUES ('i-xss', '01849', '{XSS}', 'drugs', 'very_serious', 'open')")
        cls.sync(cls.a)
        cls.sync(cls.b)
        cls.exec(cls.x, "INSERT INTO incident(id, commune_code, summary, category, stage) VALUES "
                        "('i-wrong', '01864', 'Nhầm xã', 'illegal_logging', 'reported')")
        cls.sync(cls.x)
        cls.sync(cls.c)

        cls.downloads = os.path.join(cls.tmp, "downloads")
        os.makedirs(cls.downloads)
        os.makedirs(ARGS.shots, exist_ok=True)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        options.add_argument("--headless=new")
        if os.geteuid() == 0:
            options.add_argument("--no-sandbox")
        options.add_argument("--window-size=1400,1000")
        options.add_argument("--lang=vi")
        options.add_experimental_option("prefs", {"download.default_directory": cls.downloads,
                                                  "download.prompt_for_download": False})
        cls.driver = webdriver.Chrome(
            service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
            options=options)
        cls.driver.set_page_load_timeout(WAIT_S)
        cls.driver.set_script_timeout(WAIT_S)
        cls.driver.execute_cdp_cmd("Page.setDownloadBehavior",
                                   {"behavior": "allow", "downloadPath": cls.downloads})

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "driver", None):
            cls.driver.quit()
        cls.server.terminate()
        try:
            cls.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            cls.server.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def listening_url(cls):
        deadline = time.monotonic() + WAIT_S
        seen = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([cls.server.stderr], [], [], 1)
            if not ready:
                continue
            line = cls.server.stderr.readline()
            seen += line
            m = re.search(r"listening on (\S+)", line)
            if m:
                return "http://" + m.group(1)
        raise AssertionError("noi-server did not start: " + seen)

    @classmethod
    def admin(cls, *args, stdin=None):
        return checked(binary("noi-admin"), "--server", cls.url, "--token", cls.admin_token,
                       *args, stdin=stdin)

    @classmethod
    def tablet(cls, commune, name):
        dev = json.loads(cls.admin("device", "add", "--commune", commune, "--name", name, "--json"))
        db = os.path.join(cls.tmp, dev["device_id"] + ".db")
        checked(binary("noi-client"), "init", "--db", db, "--server", cls.url, "--token",
                dev["token"])
        return {"db": db, "id": dev["device_id"], "name": name}

    @classmethod
    def exec(cls, t, sql):
        checked(binary("noi-client"), "exec", "--db", t["db"], sql)

    @classmethod
    def sync(cls, t):
        checked(binary("noi-client"), "sync", "--db", t["db"])

    @classmethod
    def query(cls, t, sql):
        return json.loads(checked(binary("noi-client"), "query", "--db", t["db"], "--json", sql))

    # ---- browser helpers ----------------------------------------------------------------

    def wait(self, condition, timeout=WAIT_S):
        # A page drawn again while a condition reads it leaves stale elements: read them anew.
        return WebDriverWait(self.driver, timeout,
                             ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    loads = 0

    def open(self, hash_path, loaded):
        # A new query makes a new document, so the view is never one left from before.
        Console.loads += 1
        self.driver.get(f"{self.url}/?load={Console.loads}#{hash_path}")
        self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-loaded") == loaded)

    def find(self, css):
        return self.wait(ec.presence_of_element_located((By.CSS_SELECTOR, css)))

    def shot(self, name):
        self.driver.save_screenshot(os.path.join(ARGS.shots, name + ".png"))

    def sign_in(self, name, password):
        Console.loads += 1
        self.driver.get(f"{self.url}/?load={Console.loads}#/home")
        self.find("#signin-name").send_keys(name)
        self.driver.find_element(By.ID, "signin-password").send_keys(password)
        self.driver.find_element(By.CSS_SELECTOR, "#signin button").click()
        self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-loaded") == "home")

    def sign_out(self):
        self.driver.find_element(By.ID, "sign-out").click()
        self.find("#signin")

    def fetch(self, method, path, body=None, csrf=True):
        """A request from the signed-in page itself: its status and JSON answer."""
        return self.driver.execute_async_script("""
            const [method, path, body, csrf, done] = arguments;
            fetch('/console/v1/me').then(r => r.json()).then(me => {
              // As the console asks: refusals in the page's language.
              const headers = {'Content-Type': 'application/json', 'Accept-Language': 'vi'};
              if (csrf) headers['X-CSRF-Token'] = me.csrf;
              return fetch(path, {method, headers, body: body === null ? undefined : JSON.stringify(body)});
            }).then(async r => done([r.status, await r.text()]));
        """, method, path, body, csrf)

    def no_alert(self):
        try:
            self.driver.switch_to.alert
        except NoAlertPresentException:
            return True
        return False

    def cells(self, css):
        return [td.text for td in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def raw_names(self):
        """The schema's table, column and enumeration value names a page could show raw."""
        status, body = self.fetch("GET", "/admin/v1/schema")
        self.assertEqual(status, 200, body)
        names = set()
        for t in json.loads(body)["tables"]:
            names.add(t["name"])
            for c in t["columns"]:
                names.add(c["name"])
                names.update(v["value"] for v in c.get("values", []))
        # Codes and numbers ("01849", "1") are data, not names.
        return {n for n in names if re.fullmatch(r"[a-z][a-z0-9_]{2,}", n)}

    def assert_labels_only(self):
        """The view names no table, column or enumeration value raw."""
        text = self.driver.execute_script("""
            const texts = [], walk = document.createTreeWalker(
              document.getElementById('view'), NodeFilter.SHOW_TEXT);
            while (walk.nextNode()) texts.push(walk.currentNode.data);
            return texts.join('\\n');""")
        found = sorted(n for n in self.raw_names()
                       if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
        self.assertEqual(found, [], text)

    # ---- the steps ------------------------------------------------------------------------

    def test_01_a_wrong_password_is_refused_and_the_right_one_signs_in(self):
        self.driver.get(self.url + "/")
        self.find("#signin-name").send_keys("hoa")
        self.driver.find_element(By.ID, "signin-password").send_keys("not her password")
        self.driver.find_element(By.CSS_SELECTOR, "#signin button").click()
        self.wait(lambda d: d.find_element(By.ID, "notice").is_displayed())
        self.assertIn("không đúng", self.driver.find_element(By.ID, "notice").text)
        self.shot("01-sign-in")
        self.sign_in("hoa", ADMIN_PASSWORD)
        cookie = self.driver.get_cookie("noi_session")
        self.assertTrue(cookie["httpOnly"])
        self.assertEqual(cookie["sameSite"], "Strict")
        # Scripts cannot read the session cookie.
        self.assertNotIn("noi_session", self.driver.execute_script("return document.cookie"))

    def test_02_the_home_page_counts_what_needs_attention(self):
        self.open("/home", "home")
        self.assertEqual(self.find("#count-open_conflicts .count").text, "1")
        self.assertEqual(self.find("#count-quarantined .count").text, "1")
        self.assertEqual(self.find("#count-devices .count").text, "4")
        self.assertEqual(self.find("#count-silent .count").text, "0")
        self.shot("02-home")

    def test_03_the_fleet_shows_a_device_that_just_synced_and_its_name_as_text(self):
        late = self.tablet(COMMUNE_B, "Máy đồng bộ sau")
        self.open("/fleet", "fleet")
        row = f"//tr[td[contains(., '{late['id']}')]]"
        self.assertEqual(self.driver.find_element(By.XPATH, row + "/td[3]").text, "–")
        self.sync(late)
        # The page follows the tablets by itself (every 5 s).
        self.wait(lambda d: re.match(r"\d\d/\d\d/\d{4} \d\d:\d\d",
                                     d.find_element(By.XPATH, row + "/td[3]").text))
        # The device named with markup shows those characters, and nothing ran.
        names = self.cells("#fleet-list td:nth-child(2)")
        self.assertIn(f"{XSS} ({self.b['id']})", names)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#fleet-list img"), [])
        self.assertTrue(self.no_alert())
        # On a 1,400-pixel screen the table fits, and every action is within reach, unscrolled.
        overflow = self.driver.execute_script("""
            const w = window.innerWidth, out = [];
            if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth);
            for (const b of document.querySelectorAll('#fleet-list button'))
                if (b.getBoundingClientRect().right > w) out.push(b.textContent);
            return out;""")
        self.assertEqual(overflow, [])
        self.shot("03-fleet")
        self.open(f"/fleet?commune={COMMUNE_B}", "fleet")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#fleet-list tbody tr")), 2)

    def test_04_enrolling_a_device_shows_its_token_once_and_a_qr_code(self):
        self.open("/fleet", "fleet")
        self.find("#enrol-commune").send_keys(COMMUNE_B)
        self.driver.find_element(By.ID, "enrol-name").send_keys("Máy của ông Hùng")
        self.driver.find_element(By.CSS_SELECTOR, "#enrol button").click()
        qr = self.find("#enrol-qr")
        self.assertGreaterEqual(int(qr.get_attribute("data-size")), 21)
        # The canvas is drawn: its pixels are not all white.
        dark = self.driver.execute_script("""
            const c = document.getElementById('enrol-qr');
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0; for (let i = 0; i < px.length; i += 4) n += px[i] < 128; return n;""")
        self.assertGreater(dark, 1000)
        token = self.find("#enrol-token").text
        self.assertRegex(token, r"^[0-9a-f]{48}$")
        self.driver.execute_script("document.getElementById('enrol-qr').scrollIntoView()")
        self.shot("04-enrol")
        # The token works: a tablet made with it syncs.
        db = os.path.join(self.tmp, "enrolled.db")
        checked(binary("noi-client"), "init", "--db", db, "--server", self.url, "--token", token)
        checked(binary("noi-client"), "sync", "--db", db)

    def test_04b_a_lost_tablet_is_revoked_and_wiped_at_its_next_contact(self):
        lost = self.tablet(COMMUNE_B, "Máy bị mất")
        checked(binary("noi-client"), "exec", "--db", lost["db"],
                f"INSERT INTO household(id, commune_code, village) VALUES ('lost1', '{COMMUNE_B}', 'Bản Pác Nặm')")
        self.sync(lost)
        self.open("/fleet", "fleet")
        row = f"//tr[td[contains(., '{lost['id']}')]]"
        self.driver.execute_script("window.confirm = () => true")
        self.driver.find_element(By.CSS_SELECTOR, f"[data-revoke-wipe='{lost['id']}']").click()
        self.wait(lambda d: "Chờ xoá dữ liệu" in d.find_element(By.XPATH, row).text)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, f"[data-revoke-wipe='{lost['id']}']"), [])
        # Its next sync deletes the data and is refused (exit 4); the fleet shows it done.
        r = subprocess.run([binary("noi-client"), "sync", "--db", lost["db"]], capture_output=True, text=True)
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(self.query(lost, "SELECT count(*) AS n FROM household"), [{"n": 0}])
        self.wait(lambda d: "Đã xoá dữ liệu" in d.find_element(By.XPATH, row).text)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                                   self.driver.find_element(By.XPATH, row))
        self.shot("04b-wiped")

    def test_04c_a_device_enrolled_by_mistake_is_deleted(self):
        mistake = self.tablet(COMMUNE_B, "Máy đăng ký nhầm")
        self.open("/fleet", "fleet")
        self.driver.execute_script("window.confirm = () => true")
        # Only a device that never made contact offers it.
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, f"[data-delete='{self.b['id']}']"), [])
        self.find(f"[data-delete='{mistake['id']}']").click()
        self.wait(lambda d: mistake["id"] not in d.find_element(By.ID, "fleet-list").text)
        devices = json.loads(self.admin("device", "list", "--json"))
        self.assertNotIn(mistake["id"], [d["device_id"] for d in devices])
        log = json.loads(self.admin("log", "--json"))
        self.assertTrue(any(e["action"] == "device delete" and e["target"] == mistake["id"]
                            for e in log))

    def test_05_resolving_a_conflict_reaches_both_tablets(self):
        self.open("/conflicts", "conflicts")
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#view tbody tr")), 1)
        self.assertIn("Số nhân khẩu", self.find("#view tbody").text)  # household.members
        self.assert_labels_only()
        self.shot("05-conflicts")
        self.driver.find_element(By.CSS_SELECTOR, "#view tbody a").click()
        versions = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".version"))
        self.assertEqual(len(versions), 2)
        self.assertEqual(sorted(v.find_element(By.CSS_SELECTOR, ".value").text for v in versions),
                         ["5", "6"])
        self.assertTrue(any("Lò Thị Mai" in v.text for v in versions))
        # Both wrote against the household as it was synced: 4 members.
        bases = [v.find_element(By.CSS_SELECTOR, ".base").text for v in versions]
        self.assertTrue(all(": 4 (" in b for b in bases), bases)
        view = self.find("#view").text
        self.assertIn("Hộ gia đình", view)
        self.assertIn("Đạt hộ gia đình an toàn", view)  # the row now: is_safe …
        self.assertIn("Có", view)  # … 1
        self.assert_labels_only()
        self.shot("06-conflict")
        self.find("#resolve-value").send_keys("7")
        self.driver.find_element(By.CSS_SELECTOR, "#resolve-form button").click()
        by = self.find("#resolved-by")
        self.assertIn("hoa", by.text)
        self.assertIn("giá trị mới", by.text)  # "new value", from the catalogue
        # Decided once: the page offers no second resolution.
        self.assertEqual(
            self.driver.find_elements(By.CSS_SELECTOR, "[data-keep], #resolve-form"), [])
        for t in (self.a, self.b):
            self.sync(t)
            self.assertEqual(self.query(t, "SELECT members FROM household WHERE id = 'h1'"),
                             [{"members": 7}])
        log = json.loads(self.admin("log", "--json"))
        self.assertTrue(any(e["account"] == "hoa" and e["action"] == "resolve" for e in log))

    def test_06_a_quarantined_row_is_released(self):
        self.open("/quarantine", "quarantine")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "#view tbody tr")
        self.assertEqual(len(rows), 1)
        self.assertIn("dữ liệu của xã khác", rows[0].text)
        self.assertIn("Vụ việc an ninh, trật tự", rows[0].text)
        self.assert_labels_only()
        self.shot("07-quarantine")
        rows[0].find_element(By.CSS_SELECTOR, "a").click()
        self.wait(lambda d: "Khai thác rừng trái phép" in d.find_element(By.ID, "view").text)
        self.assertIn("Đã tiếp nhận", self.find("#view").text)  # stage reported
        # The server's account of the refusal, from the message catalogue.
        self.assertIn("bản ghi thuộc xã 01864 nhưng thiết bị được cấp cho xã 01849",
                      self.find("#quarantine-message").text)
        self.assert_labels_only()
        self.shot("07b-quarantined-row")
        self.open("/quarantine", "quarantine")
        # The province makes the device province-wide (as restore_test does), so the row's
        # reason no longer holds.
        with sqlite3.connect(os.path.join(self.data, "noi.db"), timeout=10) as db:
            db.execute("UPDATE noi_devices SET scope = '*' WHERE device_id = ?", (self.x["id"],))
        self.driver.find_element(By.CSS_SELECTOR, "[data-release]").click()
        self.wait(lambda d: "Đã chấp nhận lại" in d.find_element(By.ID, "notice").text)
        self.sync(self.c)
        self.assertEqual(self.query(self.c, "SELECT summary FROM incident WHERE id = 'i-wrong'"),
                         [{"summary": "Nhầm xã"}])

    def test_07_a_record_shows_its_history_and_markup_as_text(self):
        self.open("/history?table=household&row=h1", "history")
        text = self.driver.find_element(By.ID, "view").text
        self.assertIn("Lò Thị Mai", text)
        self.assertIn("#1", text)  # the conflict, linked
        self.assertIn("Số nhân khẩu", text)
        self.assert_labels_only()
        self.shot("08-history")
        # An id alone finds its record, typed into the search.
        self.open("/history", "history")
        self.find("#history-row").send_keys("i-xss")
        self.driver.find_element(By.CSS_SELECTOR, "#view form button").click()
        self.wait(lambda d: "i-xss" in d.current_url and d.find_elements(By.CSS_SELECTOR, "#view table"))
        self.assertIn(XSS, self.driver.find_element(By.ID, "view").text)
        self.assertIn("Rất nghiêm trọng", self.driver.find_element(By.ID, "view").text)
        self.assert_labels_only()
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "#view img"), [])
        self.assertTrue(self.no_alert())

    def test_08_the_report_downloads_as_csv_and_xlsx(self):
        self.open("/reports", "reports")
        self.assertIn("1/", self.find("#report-province").text)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#report-chart rect.met")),
                         len(self.driver.find_elements(By.CSS_SELECTOR, "#report-chart rect.total")))
        self.assert_labels_only()
        self.shot("09-report")
        for link, name in (("download-csv-communes", "tieu-chi-19-2024-xa.csv"),
                           ("download-xlsx", "tieu-chi-19-2024.xlsx")):
            self.driver.find_element(By.ID, link).click()
            path = os.path.join(self.downloads, name)
            deadline = time.monotonic() + WAIT_S
            while not os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertTrue(os.path.exists(path), os.listdir(self.downloads))
        with open(os.path.join(self.downloads, "tieu-chi-19-2024-xa.csv"), encoding="utf-8-sig") as f:
            lines = f.read().splitlines()
        # Today's map has no districts: the communes are grouped by province.
        self.assertEqual(lines[0], "commune_code,commune,province_code,province,met,decided_on")
        met = [l for l in lines[1:] if l.split(",")[4] == "1"]
        self.assertEqual(len(met), 1)
        self.assertTrue(met[0].startswith("01849,"), met[0])
        with zipfile.ZipFile(os.path.join(self.downloads, "tieu-chi-19-2024.xlsx")) as z:
            workbook = z.read("xl/workbook.xml").decode()
            strings = z.read("xl/sharedStrings.xml").decode()
        self.assertIn('name="Tỉnh"', workbook)
        self.assertIn('name="Xã"', workbook)
        self.assertIn("Toàn tỉnh, năm 2024", strings)
        self.assertIn("Đạt", strings)

    def test_09_the_english_switch_and_the_accounts_and_log(self):
        self.open("/accounts", "accounts")
        self.driver.find_element(By.ID, "lang").click()
        self.wait(lambda d: d.find_element(By.ID, "nav-accounts").text == "Accounts")
        self.assertIn("chu.tich", self.driver.find_element(By.ID, "view").text)
        self.shot("10-accounts")
        # The viewer's new password is typed in a password field; test_11 signs in with it.
        self.driver.find_element(By.CSS_SELECTOR, '[data-password="chu.tich"]').click()
        field = self.wait(lambda d: d.find_element(By.ID, "account-new-password"))
        self.assertEqual(field.get_attribute("type"), "password")
        field.send_keys(NEW_VIEWER_PASSWORD)
        self.driver.find_element(By.CSS_SELECTOR, "#account-password-form button").click()
        self.wait(lambda d: "chu.tich" in d.find_element(By.ID, "notice").text)
        self.assertTrue(self.no_alert())
        self.open("/log", "log")
        self.assertIn("resolve", self.driver.find_element(By.ID, "view").text)
        self.driver.find_element(By.ID, "lang").click()
        self.wait(lambda d: d.find_element(By.ID, "nav-log").text == "Nhật ký quản trị")
        log = self.find("#view").text
        self.assertIn("giải quyết xung đột", log)  # the action resolve
        self.assertIn("giá trị mới", log)  # its detail, "new value"
        self.shot("11-log")

    def test_10_a_change_without_the_csrf_token_is_refused(self):
        status, body = self.fetch("POST", f"/admin/v1/devices/{self.c['id']}/revoke", None, False)
        self.assertEqual(status, 403, body)
        self.assertIn("CSRF", body)
        self.assertIn("hãy tải lại trang", body)  # asked for in Vietnamese
        fleet = json.loads(self.admin("status", "--json"))
        self.assertFalse(next(d for d in fleet if d["device_id"] == self.c["id"])["revoked"])
        # With the token the same request goes through: the refusal was the token's.
        status, body = self.fetch("POST", f"/admin/v1/devices/{self.c['id']}/revoke", None, True)
        self.assertEqual(status, 200, body)
        self.sign_out()

    def test_11_a_viewer_sees_only_its_communes_and_changes_nothing(self):
        self.sign_in("chu.tich", NEW_VIEWER_PASSWORD)
        self.assertEqual(self.driver.find_elements(By.ID, "nav-accounts"), [])
        self.assertTrue(self.driver.find_elements(By.ID, "nav-reports"))
        self.assertTrue(self.driver.find_elements(By.ID, "nav-fleet"))
        self.open("/fleet", "fleet")
        scopes = self.cells("#fleet-list td:nth-child(1)")
        self.assertTrue(scopes)
        self.assertTrue(all(COMMUNE_A in s for s in scopes), scopes)
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "[data-revoke]"), [])
        self.assertEqual(self.driver.find_elements(By.ID, "enrol"), [])
        self.shot("12-viewer-fleet")
        status, body = self.fetch("POST", f"/admin/v1/devices/{self.a['id']}/revoke", None, True)
        self.assertEqual(status, 403, body)
        status, body = self.fetch("GET", "/admin/v1/accounts", None, True)
        self.assertEqual(status, 403, body)
        self.sign_out()

    def test_12_a_viewer_of_one_commune_gets_its_report_and_nothing_of_another(self):
        # Issue 28, item 15: the report was refused to a viewer of some communes.
        self.sign_in("chu.tich", NEW_VIEWER_PASSWORD)
        self.open("/reports", "reports")
        figure = self.find("#report-province").text
        self.assertIn(f"({COMMUNE_A}): 1/1", figure)
        self.assertNotIn("Toàn tỉnh", figure)
        view = self.driver.find_element(By.ID, "view").text
        self.assertIn(f"({COMMUNE_A})", view)
        self.assertNotIn(f"({COMMUNE_B})", view)
        self.assertEqual(len(self.driver.find_elements(By.CSS_SELECTOR, "#report-chart rect.total")), 1)
        self.shot("13-viewer-report")
        status, body = self.fetch("GET", "/admin/v1/reports/criterion19.csv?year=2024&by_commune=1",
                                  None, True)
        self.assertEqual(status, 200, body)
        codes = [line.split(",")[0] for line in body.lstrip("\ufeff").splitlines()[1:]]
        self.assertEqual(codes, [COMMUNE_A])
        self.sign_out()

    def test_13_a_new_value_is_typed_by_its_column_and_refused_in_the_pages_language(self):
        # Issue 28, item 14: "02" typed for a text column was sent as the number 2, and a value
        # a column could not take was refused by the server, in English.
        self.exec(self.a, "UPDATE household SET village = 'Bản 01', members = 8 WHERE id = 'h1'")
        self.exec(self.b, "UPDATE household SET village = 'Bản 03', members = 9 WHERE id = 'h1'")
        self.sync(self.a)
        self.sync(self.b)
        conflicts = json.loads(self.admin("conflicts", "list", "--json"))
        village = next(c for c in conflicts if c["column"] == "village")
        members = next(c for c in conflicts if c["column"] == "members")
        self.sign_in("hoa", ADMIN_PASSWORD)
        status, body = self.fetch("GET", f"/admin/v1/conflicts/{village['id']}")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["column_type"], "TEXT")

        # A whole-number column: text, a fraction and an empty box are refused on the page, in
        # Vietnamese, and nothing is sent.
        self.open(f"/conflicts/{members['id']}", "conflicts")
        value = self.find("#resolve-value")
        for typed, words in (("tám", "không phải số nguyên"), ("8.5", "không phải số nguyên"),
                             ("", "ô giá trị còn trống")):
            value.clear()
            value.send_keys(typed)
            self.driver.find_element(By.CSS_SELECTOR, "#resolve-form button").click()
            self.wait(lambda d: words in d.find_element(By.ID, "notice").text)
            self.assertIn("Không thực hiện được", self.driver.find_element(By.ID, "notice").text)
        self.shot("14-conflict-refused-value")
        status, body = self.fetch("GET", f"/admin/v1/conflicts/{members['id']}")
        self.assertEqual(json.loads(body)["status"], "open")
        # "No value" says NULL, and only it: the box is set aside.
        self.driver.find_element(By.ID, "resolve-null").click()
        self.assertFalse(value.is_enabled())
        self.driver.find_element(By.CSS_SELECTOR, "#resolve-form button").click()
        self.find("#resolved-by")

        # A text column keeps what was typed: "02" stays the text "02".
        self.open(f"/conflicts/{village['id']}", "conflicts")
        self.find("#resolve-value").send_keys("02")
        self.driver.find_element(By.CSS_SELECTOR, "#resolve-form button").click()
        self.find("#resolved-by")
        for t in (self.a, self.b):
            self.sync(t)
            self.assertEqual(self.query(t, "SELECT village, typeof(village) AS type, members "
                                           "FROM household WHERE id = 'h1'"),
                             [{"village": "02", "type": "text", "members": None}])
        self.sign_out()

    def test_14_the_map_shows_its_units_and_a_merge_is_seen_before_it_is_applied(self):
        # Issue 29: the units with their lineage, a change's dry run, then the change.
        self.sign_in("hoa", ADMIN_PASSWORD)
        self.open("/map", "map")
        self.assertEqual(self.find("#view table").get_attribute("data-rows"), "92")
        self.find("#merge-from").send_keys("01879, 01882")
        self.find("#merge-into").send_keys("01879")
        self.find("#merge-effective").send_keys("2026-12-01")
        self.find("#merge-name").send_keys("Xã Cao Minh Mới")
        self.find("#merge-basis").send_keys("Nghị quyết thử")
        self.find("#merge-dry-run").click()
        impact = self.wait(lambda d: d.find_element(By.ID, "map-impact"))
        self.assertIn("Xem trước", impact.text)
        self.assertIn("01879, 01882", impact.text)
        self.assertEqual(json.loads(self.admin("scope", "changes", "--json")), [])
        self.shot("14-map-dry-run")
        self.find("#merge-apply").click()
        self.wait(lambda d: d.find_element(By.ID, "map-all").text == "Chỉ các đơn vị hiện hành")
        self.wait(lambda d: "Xã Cao Minh Mới (01879@2026-12-01)" in d.find_element(By.ID, "view").text)
        changes = json.loads(self.admin("scope", "changes", "--json"))
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes[0]["account"], "hoa")
        self.assertEqual(changes[0]["basis"], "Nghị quyết thử")
        self.shot("15-map")
        self.sign_out()


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", required=True, help="where noi-server, noi-admin, noi-client are")
    parser.add_argument("--shots", required=True, help="where to save a screenshot of each page")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, failfast=True, verbosity=2)


if __name__ == "__main__":
    main()
