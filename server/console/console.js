// The web console: one page whose views call the admin API (/admin/v1) with the session's
// cookie and its CSRF token. Every text from the server is put in the page as text
// (textContent), never as markup, so a record named "<img onerror=…>" shows those characters.
"use strict";

const state = { me: null, lang: localStorage.getItem("noi-lang") || "vi", timer: null };
const PAGE = 50;

function t(key, ...args) {
  const words = NOI_WORDS[state.lang] || NOI_WORDS.vi;
  let s = words[key] !== undefined ? words[key] : NOI_WORDS.vi[key] !== undefined ? NOI_WORDS.vi[key] : key;
  args.forEach((a, i) => { s = s.replace("{" + i + "}", String(a)); });
  return s;
}

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, whatever the browser's own zone.
const timeParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});
function when(iso) {
  if (!iso) return "–";
  const p = {};
  for (const part of timeParts.formatToParts(new Date(iso))) p[part.type] = part.value;
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

function shown(v) {
  if (v === null || v === undefined) return "–";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function notice(text, isError) {
  const n = document.getElementById("notice");
  n.textContent = text;
  n.className = isError ? "error" : "";
  n.hidden = !text;
}

class ApiError extends Error {
  constructor(status, message, retryAfter) { super(message); this.status = status; this.retryAfter = retryAfter; }
}

async function api(method, path, body) {
  // Refusals come back in the page's language.
  const headers = { "Accept-Language": state.lang };
  if (method !== "GET" && state.me) headers["X-CSRF-Token"] = state.me.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401 && path !== "/console/v1/sign-in") {
    state.me = null;
    notice(t("session_ended"), true);
    render();
    throw new ApiError(401, t("session_ended"));
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && data.error ? data.error : res.statusText,
      Number(res.headers.get("Retry-After")) || 1);
  }
  const total = res.headers.get("X-Total-Count");
  return { data, total: total === null ? null : Number(total) };
}

// Runs an action and says how it went; a refusal's message is the server's.
async function act(fn, done) {
  try {
    await fn();
    if (done) notice(done, false);
  } catch (e) {
    if (e.status !== 401) notice(t("failed", e.message), true);
  }
}

function isAdmin() { return state.me && state.me.role === "admin"; }

function route() {
  const hash = location.hash.replace(/^#/, "") || "/home";
  const [path, query] = hash.split("?");
  return { parts: path.split("/").filter(Boolean), query: new URLSearchParams(query || "") };
}

function go(path, query) {
  const q = query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v !== undefined)).toString() : "";
  location.hash = "#" + path + (q ? "?" + q : "");
}

function table(columns, rows, opts) {
  opts = opts || {};
  const head = el("tr", {}, columns.map(c => {
    const sortable = opts.onSort && c.sort;
    const mark = !sortable ? "" : opts.sort === c.sort ? " ▲" : opts.sort === "-" + c.sort ? " ▼" : "";
    return el("th", {
      class: [sortable ? "sortable" : "", c.num ? "num" : ""].join(" ").trim() || null,
      onclick: sortable ? () => opts.onSort(opts.sort === c.sort ? "-" + c.sort : c.sort) : null,
    }, t(c.title) + mark);
  }));
  const body = rows.map(r => el("tr", {}, columns.map(c => {
    const v = c.cell(r);
    return el("td", { class: c.num ? "num" : null }, v instanceof Node ? v : shown(v));
  })));
  return el("div", { class: "scroll" },
    el("table", { "data-rows": rows.length }, el("thead", {}, head), el("tbody", {}, body)));
}

function pager(offset, total, onPage) {
  if (total === null || total <= PAGE) return el("div", { class: "pager" });
  return el("div", { class: "pager" },
    el("button", { type: "button", disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - PAGE)) }, t("previous")),
    t("page_of", offset + 1, Math.min(total, offset + PAGE), total),
    el("button", { type: "button", disabled: offset + PAGE >= total, onclick: () => onPage(offset + PAGE) }, t("next")));
}

function link(href, text) { return el("a", { href }, text); }

function deviceName(name, id) {
  return name ? `${name} (${id})` : shown(id);
}

// ---- Sign-in --------------------------------------------------------------------------------

function signInView(view) {
  const name = el("input", { id: "signin-name", autocomplete: "username", required: true });
  const password = el("input", { id: "signin-password", type: "password", autocomplete: "current-password", required: true });
  const form = el("form", { class: "signin", id: "signin" },
    el("h1", {}, "Nối — " + t("sign_in")),
    el("label", {}, t("name"), name),
    el("label", {}, t("password"), password),
    el("button", { class: "primary", type: "submit" }, t("sign_in")));
  // One sign-in at a time: the server checks one per address and refuses a second meanwhile.
  let signingIn = false;
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    if (signingIn) return;
    signingIn = true;
    try {
      const r = await api("POST", "/console/v1/sign-in", { name: name.value, password: password.value });
      state.me = r.data;
      notice("", false);
      render();
    } catch (e) {
      // Past the address's budget even the right password is refused until it refills: say
      // so, or the admin would take a right password for a wrong one.
      const why = e.status === 401 ? t("wrong_password")
        : e.status === 429 ? t("sign_in_later", e.retryAfter)
        : e.status === 503 ? t("sign_in_busy")
        : t("failed", e.message);
      notice(why, true);
    } finally {
      signingIn = false;
    }
  });
  view.append(form);
}

// ---- Home -----------------------------------------------------------------------------------

async function homeView(view) {
  const { data } = await api("GET", "/admin/v1/summary");
  const card = (key, count, href) => el("a", { class: "card" + (count > 0 ? " hot" : ""), href, id: "count-" + key },
    el("div", { class: "count" }, String(count)), el("div", {}, t(key)));
  view.append(el("h1", {}, t("home_title")), el("div", { class: "cards" },
    card("open_conflicts", data.conflicts_open, "#/conflicts"),
    card("quarantined", data.quarantined_open, "#/quarantine"),
    card("silent", data.silent, "#/fleet?flag=silent"),
    card("piling_up", data.piling_up, "#/fleet?flag=piling_up"),
    card("clock_wrong", data.clock_wrong, "#/fleet?flag=clock_wrong"),
    card("behind_schema", data.behind_schema, "#/fleet?flag=behind_schema"),
    card("revoked_connecting", data.revoked_connecting, "#/fleet?flag=revoked_connecting"),
    el("a", { class: "card", href: "#/fleet", id: "count-devices" }, el("div", { class: "count" }, String(data.devices)), el("div", {}, t("devices")))));
}

// ---- Fleet ----------------------------------------------------------------------------------

function drawQr(qr) {
  const scale = 6, quiet = 4, side = (qr.size + 2 * quiet) * scale;
  const canvas = el("canvas", { class: "qr", id: "enrol-qr", width: side, height: side, "data-size": qr.size });
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, side, side);
  g.fillStyle = "#000";
  qr.modules.forEach((row, y) => {
    for (let x = 0; x < row.length; x++)
      if (row[x] === "1") g.fillRect((x + quiet) * scale, (y + quiet) * scale, scale, scale);
  });
  return canvas;
}

function enrolForm(onDone) {
  const commune = el("input", { id: "enrol-commune", inputmode: "numeric", size: 8 });
  const province = el("input", { id: "enrol-province", type: "checkbox" });
  const name = el("input", { id: "enrol-name" });
  const result = el("div", { id: "enrol-result" });
  const form = el("form", { class: "inline", id: "enrol" },
    el("label", {}, t("commune_code"), commune),
    el("label", { class: "check" }, province, t("province_wide")),
    el("label", {}, t("device_name"), name),
    el("button", { class: "primary", type: "submit" }, t("enrol")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const body = { name: name.value, server_url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/sync" };
    if (province.checked) body.province = true; else body.commune = commune.value.trim();
    act(async () => {
      const { data } = await api("POST", "/admin/v1/devices", body);
      result.replaceChildren(
        el("h2", {}, t("enrolled") + ": " + deviceName(data.name, data.device_id)),
        el("p", {}, t("token_once")), el("p", { class: "secret", id: "enrol-token" }, data.token),
        el("p", {}, t("scan_qr")), drawQr(data.qr),
        ...(data.warning ? [el("p", { class: "muted" }, data.warning)] : []));
      onDone();
    });
  });
  return el("div", {}, el("h2", {}, t("enrol")), form, result);
}

async function fleetView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const params = { commune: q.get("commune") || "", flag: q.get("flag") || "", sort: q.get("sort") || "" };
  const commune = el("input", { id: "fleet-commune", value: params.commune, size: 8 });
  const flag = el("select", { id: "fleet-flag" },
    ["", "silent", "piling_up", "clock_wrong", "behind_schema", "revoked_connecting", "revoked"].map(f =>
      el("option", { value: f, selected: f === params.flag }, f ? t(f) : t("any"))));
  const filters = el("form", { class: "filters" },
    el("label", {}, t("commune"), commune), el("label", {}, t("flags"), flag),
    el("button", { type: "submit" }, t("filter")), el("span", { class: "muted" }, t("refreshed")));
  filters.addEventListener("submit", ev => { ev.preventDefault(); go("/fleet", { ...params, commune: commune.value.trim(), flag: flag.value }); });
  const list = el("div", { id: "fleet-list" });
  const communes = el("div", { id: "fleet-communes" });
  view.append(el("h1", {}, t("fleet_title")), filters, list, el("h2", {}, t("by_commune")), communes);
  if (isAdmin()) view.append(enrolForm(() => load()));

  async function load() {
    const query = new URLSearchParams({ limit: PAGE, offset });
    for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
    const [{ data, total }, byCommune] = await Promise.all([
      api("GET", "/admin/v1/status?" + query), api("GET", "/admin/v1/status/communes")]);
    const columns = [
      { title: "commune", sort: "scope", cell: d => `${d.commune_name || ""} (${d.scope})` },
      { title: "device", sort: "name", cell: d => deviceName(d.name, d.device_id) },
      { title: "last_contact", sort: "last_contact_at", cell: d => when(d.last_contact_at) },
      { title: "last_sync", sort: "last_sync_at", cell: d => when(d.last_sync_at) },
      // Two facts a cell, so that the table and its actions fit a 1,400-pixel screen.
      { title: "pending", sort: "pending", num: true, cell: d => el("span", {}, d.pending ?? "–",
          d.oldest_pending_at ? el("div", { class: "muted" }, t("since", when(d.oldest_pending_at))) : null) },
      { title: "app_version", sort: "app_version", cell: d => el("span", {}, d.app_version ?? "–",
          d.schema_version === null ? null : el("div", { class: "muted" }, t("schema_short", d.schema_version))) },
      { title: "clock_skew", sort: "clock_skew_ms", num: true, cell: d => d.clock_skew_ms === null ? "–" : Math.round(d.clock_skew_ms / 1000) + " s" },
      { title: "flags", cell: d => el("span", {}, d.alerts.map(a => el("span", { class: "tag alert" }, t(a))),
          d.piling_up ? el("span", { class: "tag alert" }, t("piling_up")) : null,
          d.revoked ? el("span", { class: "tag" }, t("revoked")) : null,
          d.wiped_at ? el("span", { class: "tag" }, t("wiped", when(d.wiped_at)))
            : d.wipe_ordered_at ? el("span", { class: "tag alert" }, t("wipe_ordered")) : null) },
    ];
    // Revoking keeps the tablet's data; a lost or stolen one is also told to delete it.
    const revokeButton = (d, wipe) => el("button", {
      type: "button", class: "danger", [wipe ? "data-revoke-wipe" : "data-revoke"]: d.device_id,
      onclick: () => {
        const name = deviceName(d.name, d.device_id);
        if (!confirm(t(wipe ? "confirm_revoke_wipe" : "confirm_revoke", name))) return;
        act(async () => {
          await api("POST", `/admin/v1/devices/${encodeURIComponent(d.device_id)}/revoke`,
                    wipe ? { wipe: true } : undefined);
          await load();
        }, t(wipe ? "revoked_wipe_done" : "revoked_done", name));
      } }, t(wipe ? "revoke_wipe" : "revoke"));
    // A device enrolled by mistake that never made contact can go altogether.
    const deleteButton = d => el("button", {
      type: "button", class: "danger", "data-delete": d.device_id,
      onclick: () => {
        const name = deviceName(d.name, d.device_id);
        if (!confirm(t("confirm_delete_device", name))) return;
        act(async () => {
          await api("DELETE", `/admin/v1/devices/${encodeURIComponent(d.device_id)}`);
          await load();
        }, t("deleted_device_done", name));
      } }, t("delete_device"));
    if (isAdmin())
      columns.push({ title: "", cell: d => d.wipe_ordered_at ? "" :
        el("span", { class: "actions" }, d.revoked ? null : revokeButton(d, false), revokeButton(d, true),
          d.last_contact_at ? null : deleteButton(d)) });
    list.replaceChildren(
      table(columns, data, { sort: params.sort, onSort: s => go("/fleet", { ...params, sort: s }) }),
      pager(offset, total, o => go("/fleet", { ...params, offset: o })));
    communes.replaceChildren(table([
      { title: "commune", cell: c => `${c.commune_name || ""} (${c.scope})` },
      { title: "devices_count", num: true, cell: c => c.devices },
      { title: "silent", num: true, cell: c => c.silent },
      { title: "piling_up", num: true, cell: c => c.piling_up },
      { title: "pending", num: true, cell: c => c.pending },
      { title: "last_contact", cell: c => when(c.last_contact_at) },
    ], byCommune.data));
  }
  await load();
  // The list follows the tablets while the page is open.
  state.timer = setInterval(() => load().catch(() => {}), 5000);
}

// ---- Labels of the schema -------------------------------------------------------------------

// What a person reads for a table, a column and a value of an enumeration, as the server's
// schema publishes them (docs/labels.md), read again at most once a minute. A name without a
// label is shown as it is; the name itself is the element's title, for whoever needs it.
const labels = { tables: new Map(), at: 0 };

async function loadLabels() {
  if (Date.now() - labels.at < 60000) return;
  // Without the schema the pages still work, by the names themselves.
  const data = await api("GET", "/admin/v1/schema").then(r => r.data, () => null);
  if (!data) return;
  labels.tables = new Map(data.tables.map(tb => [tb.name, {
    label: tb.label,
    columns: new Map(tb.columns.map(c => [c.name, { label: c.label, type: c.type,
      values: new Map((c.values || []).map(v => [v.value, v.label])) }])),
  }]));
  labels.at = Date.now();
}

function words(label) {
  return label ? label[state.lang] || label.vi || label.en : null;
}

function named(text, name) {
  return el("span", { title: name }, text);
}

function tableText(tbl) {
  const tb = labels.tables.get(tbl);
  return words(tb && tb.label) || tbl;
}

function columnText(tbl, col) {
  const c = labels.tables.get(tbl)?.columns.get(col);
  return words(c && c.label) || col;
}

// The labelled values of a column, [value, text] in the schema's order.
function columnValues(tbl, col) {
  const c = labels.tables.get(tbl)?.columns.get(col);
  return c ? [...c.values].map(([v, l]) => [v, words(l)]) : [];
}

// A cell's value as read: an enumeration's label, otherwise the value itself.
function valueText(tbl, col, v) {
  if (v === null || v === undefined) return "–";
  const key = typeof v === "string" ? v : Number.isInteger(v) ? String(v) : null;
  const label = key === null ? null : labels.tables.get(tbl)?.columns.get(col)?.values.get(key);
  return words(label) || shown(v);
}

function tableNamed(tbl) { return named(tableText(tbl), tbl); }
function columnNamed(tbl, col) { return col ? named(columnText(tbl, col), col) : "–"; }

// A select of the synced tables by label; "" is any table.
function tableSelect(id, current) {
  const names = [...labels.tables.keys()];
  if (current && !names.includes(current)) names.push(current);
  return el("select", { id }, el("option", { value: "" }, t("any")),
    names.map(name => el("option", { value: name, selected: name === current }, tableText(name))));
}

// A row's cells as a two-column table of labels and values, in the table's column order
// after its id.
function cellsTable(tbl, cells) {
  const order = [...(labels.tables.get(tbl)?.columns.keys() || [])];
  const at = name => name === "id" ? -1 : order.includes(name) ? order.indexOf(name) : order.length;
  return table([
    { title: "column", cell: kv => kv[0] === "id" ? named(t("row_id"), "id") : columnNamed(tbl, kv[0]) },
    { title: "value", cell: kv => el("span", { class: "value" }, valueText(tbl, kv[0], kv[1])) },
  ], Object.entries(cells).sort((a, b) => at(a[0]) - at(b[0])));
}

// ---- Conflicts ------------------------------------------------------------------------------

async function conflictsView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const params = { status: q.get("status") || "open", commune: q.get("commune") || "", table: q.get("table") || "", older_than_days: q.get("older_than_days") || "" };
  const status = el("select", { id: "conflicts-status" }, ["open", "resolved", "all"].map(s => el("option", { value: s, selected: s === params.status }, t(s))));
  const commune = el("input", { id: "conflicts-commune", value: params.commune, size: 8 });
  await loadLabels();
  const tableName = tableSelect("conflicts-table", params.table);
  const older = el("input", { id: "conflicts-older", value: params.older_than_days, size: 4, inputmode: "numeric" });
  const filters = el("form", { class: "filters" },
    el("label", {}, t("status"), status), el("label", {}, t("commune"), commune),
    el("label", {}, t("table"), tableName), el("label", {}, t("older_than_days"), older),
    el("button", { type: "submit" }, t("filter")));
  filters.addEventListener("submit", ev => {
    ev.preventDefault();
    go("/conflicts", { status: status.value, commune: commune.value.trim(), table: tableName.value.trim(), older_than_days: older.value.trim() });
  });
  const query = new URLSearchParams({ limit: PAGE, offset });
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  const { data, total } = await api("GET", "/admin/v1/conflicts?" + query);
  view.append(el("h1", {}, t("conflicts_title")), filters,
    data.length === 0 ? el("p", {}, t("none")) : table([
      { title: "conflict", cell: c => link(`#/conflicts/${c.id}`, "#" + c.id) },
      { title: "created", cell: c => when(c.created_at) },
      { title: "commune", cell: c => c.commune },
      { title: "table", cell: c => tableNamed(c.table) },
      { title: "row", cell: c => link(`#/history?table=${encodeURIComponent(c.table)}&row=${encodeURIComponent(c.row_id)}`, c.row_id) },
      { title: "column", cell: c => c.column ? columnNamed(c.table, c.column) : t("row_existence") },
      { title: "value", cell: c => c.versions.map(v => v.deleted ? t("deleted") : valueText(c.table, c.column, v.value)).join(" ⟷ ") },
      { title: "status", cell: c => t(c.status) },
    ], data),
    pager(offset, total, o => go("/conflicts", { ...params, offset: o })));
}

// What the admin typed as a conflict's new value, as its column takes it (the conflict's
// column_type): a TEXT column takes the text as typed, so "02" stays "02" and is not the number
// 2; INTEGER a whole number and REAL a number, or the refusal in the page's language, before
// anything is sent. An empty box is refused: "no value" says NULL.
function typedValue(typed, c) {
  const s = typed.trim();
  if (s === "") return { problem: t("value_empty") };
  switch (c.column_type) {
    case "INTEGER":
      return /^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s))
        ? { value: Number(s) } : { problem: t("value_not_integer", typed, columnText(c.table, c.column)) };
    case "REAL":
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && Number.isFinite(Number(s))
        ? { value: Number(s) } : { problem: t("value_not_number", typed, columnText(c.table, c.column)) };
    case "BLOB":
      return { problem: t("value_blob", columnText(c.table, c.column)) };
    default:
      if (c.column_date) return /^\d{4}-\d{2}-\d{2}$/.test(s) ? { value: s } : { problem: t("value_not_date", typed, columnText(c.table, c.column)) };
      return { value: typed };
  }
}

async function conflictView(view, id) {
  const [{ data: c }] = await Promise.all([api("GET", `/admin/v1/conflicts/${id}`), loadLabels()]);
  view.append(el("h1", {}, `${t("conflict")} #${c.id}: ${tableText(c.table)} · ${c.row_id}${c.column ? " · " + columnText(c.table, c.column) : ""}`),
    el("p", {}, `${t("created")}: ${when(c.created_at)} · ${t("commune")}: ${shown(c.commune)} · ${t("status")}: ${t(c.status)} · `,
      link(`#/history?table=${encodeURIComponent(c.table)}&row=${encodeURIComponent(c.row_id)}`, t("history_link"))));
  if (c.row)
    view.append(el("h2", {}, t("row_now")), cellsTable(c.table, c.row));
  const resolve = body => act(async () => {
    await api("POST", `/admin/v1/conflicts/${c.id}/resolve`, body);
    render();
  }, t("resolved_done", c.id));
  const open = c.status === "open" && isAdmin();
  view.append(el("h2", {}, t("version")), el("div", { class: "versions" }, c.versions.map((v, i) =>
    el("div", { class: "version" + (v.winner ? " winner" : ""), "data-version": i },
      el("div", { class: "value" }, v.deleted ? t("deleted") : valueText(c.table, c.column, v.value)),
      el("p", {}, `${t("written_by")}: ${deviceName(v.device_name, v.device_id)}`),
      el("p", {}, `${t("time")}: ${when(v.time)}`),
      v.base_time ? el("p", { class: "base" }, `${t("based_on")}: ${valueText(c.table, c.column, v.base_value)} (${when(v.base_time)})`) : null,
      el("p", {}, el("span", { class: "tag" }, v.winner ? t("won") : t("lost"))),
      open && v.device_id !== "server" ? el("button", { type: "button", class: "primary", "data-keep": v.device_id, onclick: () => resolve({ keep: v.device_id }) }, t("keep_this")) : null))));
  if (open && c.kind === "update") {
    // An enumeration's value is chosen by its label; any other is typed.
    const choices = columnValues(c.table, c.column);
    const value = choices.length
      ? el("select", { id: "resolve-value" }, choices.map(([v, text]) => el("option", { value: v }, text)))
      : el("input", { id: "resolve-value", size: 30 });
    const none = el("input", { id: "resolve-null", type: "checkbox", onchange: () => { value.disabled = none.checked; } });
    const kind = c.column_date ? "type_date" : "type_" + c.column_type;
    const form = el("form", { class: "inline", id: "resolve-form" },
      el("label", {}, `${t("new_value")} (${t(kind) === kind ? shown(c.column_type) : t(kind)})`, value),
      el("label", { class: "check" }, none, t("no_value")),
      el("button", { type: "submit" }, t("resolve_with")));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      const typed = none.checked ? { value: null } : typedValue(value.value, c);
      if (typed.problem) return notice(t("failed", typed.problem), true);
      resolve({ value: typed.value });
    });
    view.append(form);
  }
  if (c.resolved_by)
    view.append(el("p", { id: "resolved-by" }, `${t("resolved_by")}: ${c.resolved_by} · ${t("resolved_at")}: ${when(c.resolved_at)} · ${t("resolution")}: ${said(c.resolution_text, c.resolution)}`));
}

// ---- Quarantine -----------------------------------------------------------------------------

// Words the server gives beside a machine field, {"vi", "en"}, in the page's language.
function said(texts, fallback) {
  return texts ? texts[state.lang] || texts.vi || texts.en : shown(fallback);
}

function quarantineButtons(r, after) {
  if (!isAdmin() || r.status !== "open") return "";
  return el("span", {},
    el("button", { type: "button", "data-release": r.id, onclick: () => act(async () => { await api("POST", `/admin/v1/quarantine/${r.id}/release`); after(); }, t("released_done", r.id)) }, t("release")),
    " ",
    el("button", { type: "button", class: "danger", "data-discard": r.id, onclick: () => {
      if (!confirm(t("confirm_discard", r.id))) return;
      act(async () => { await api("POST", `/admin/v1/quarantine/${r.id}/discard`); after(); }, t("discarded_done", r.id));
    } }, t("discard")));
}

// A quarantine entry's status in words (the status filter's words).
const quarantineWords = { open: "open", released: "release", discarded: "discard" };

async function quarantineView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const status = q.get("status") || "open";
  const [{ data, total }] = await Promise.all([api("GET", `/admin/v1/quarantine?status=${status}&limit=${PAGE}&offset=${offset}`), loadLabels()]);
  const pick = el("select", { id: "quarantine-status", onchange: ev => go("/quarantine", { status: ev.target.value }) },
    [...Object.entries(quarantineWords), ["all", "all"]].map(([s, w]) => el("option", { value: s, selected: s === status }, t(w))));
  view.append(el("h1", {}, t("quarantine_title")), el("div", { class: "filters" }, el("label", {}, t("status"), pick)),
    data.length === 0 ? el("p", {}, t("none")) : table([
      { title: "row", cell: r => link(`#/quarantine/${r.id}`, "#" + r.id) },
      { title: "received", cell: r => when(r.received_at) },
      { title: "device", cell: r => deviceName(r.device_name, r.device_id) },
      { title: "table", cell: r => tableNamed(r.table) },
      { title: "row_id", cell: r => r.row_id },
      { title: "reason", cell: r => named(said(r.reason_text, r.reason), r.reason) },
      { title: "repeats", num: true, cell: r => r.repeats },
      { title: "", cell: r => quarantineButtons(r, render) },
    ], data),
    pager(offset, total, o => go("/quarantine", { status, offset: o })));
}

async function quarantinedView(view, id) {
  const [{ data: r }] = await Promise.all([api("GET", `/admin/v1/quarantine/${id}`), loadLabels()]);
  view.append(el("h1", {}, `${t("quarantine_title")} #${r.id}: ${tableText(r.table)} · ${r.row_id}`),
    el("p", {}, `${t("reason")}: ${said(r.reason_text, r.reason)} · ${t("device")}: ${deviceName(r.device_name, r.device_id)} · ${t("received")}: ${when(r.received_at)} · ${t("status")}: ${t(quarantineWords[r.status] || r.status)}`),
    el("p", { class: "muted", id: "quarantine-message" }, `${t("message")}: ${said(r.message_text, r.message)}`),
    link(`#/history?table=${encodeURIComponent(r.table)}&row=${encodeURIComponent(r.row_id)}`, t("history_link")),
    el("h2", {}, t("values")),
    r.values && typeof r.values === "object" ? cellsTable(r.table, r.values) : el("p", {}, shown(r.values)),
    el("p", {}, quarantineButtons(r, render)));
}

// ---- A record's history ---------------------------------------------------------------------

async function historyView(view, q) {
  await loadLabels();
  const tableName = tableSelect("history-table", q.get("table") || "");
  const row = el("input", { id: "history-row", value: q.get("row") || "", size: 38 });
  const form = el("form", { class: "filters" }, el("label", {}, t("table"), tableName), el("label", {}, t("row_id"), row),
    el("button", { type: "submit" }, t("show")));
  form.addEventListener("submit", ev => { ev.preventDefault(); go("/history", { table: tableName.value.trim(), row: row.value.trim() }); });
  view.append(el("h1", {}, t("history_title")), form);
  if (!q.get("row")) return;
  // A row id alone is enough: the server finds its table.
  const query = new URLSearchParams({ row: q.get("row") });
  if (q.get("table")) query.set("table", q.get("table"));
  const { data } = await api("GET", "/admin/v1/history?" + query);
  const kinds = { change: "change", conflict: "conflict", resolution: "resolution_kind" };
  const shownTable = data.length ? data[0].table : q.get("table");
  // The row's own existence has no column: it reads "alive" or "deleted".
  const cell = (h, v) => h.column ? valueText(shownTable, h.column, v) : v === null ? "–" : t("row_" + v);
  if (data.length) view.append(el("h2", {}, `${tableText(shownTable)} · ${q.get("row")}`));
  view.append(data.length === 0 ? el("p", {}, t("none")) : table([
    { title: "time", cell: h => when(h.time) },
    { title: "who", cell: h => h.device_name ? deviceName(h.device_name, h.device_id) : shown(h.device_id) },
    { title: "kind", cell: h => h.conflict_id ? el("span", {}, t(kinds[h.kind]) + " ", link(`#/conflicts/${h.conflict_id}`, "#" + h.conflict_id)) : t(kinds[h.kind]) },
    { title: "column", cell: h => h.column ? columnNamed(shownTable, h.column) : t("row_existence") },
    { title: "old", cell: h => el("span", { class: "value" }, h.kind === "resolution" ? "" : cell(h, h.old)) },
    { title: "new", cell: h => el("span", { class: "value" }, h.kind === "resolution" ? said(h.new_text, h.new) : cell(h, h.new)) },
  ], data));
}

// ---- Reports --------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// A bar per district (per province after 2025): communes in all (grey) and those that met the criterion (green).
function chart(districts) {
  const bar = 22, gap = 8, label = 170, width = 720;
  const most = Math.max(1, ...districts.map(d => d.total));
  const height = districts.length * (bar + gap) + gap;
  const s = svg("svg", { class: "chart", id: "report-chart", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  districts.forEach((d, i) => {
    const y = gap + i * (bar + gap), scale = (width - label - 60) / most;
    s.append(svg("text", { x: 0, y: y + bar * 0.7 }, d.name),
      svg("rect", { class: "total", x: label, y, width: d.total * scale, height: bar }),
      svg("rect", { class: "met", x: label, y, width: d.met * scale, height: bar }),
      svg("text", { x: label + d.total * scale + 6, y: y + bar * 0.7 }, `${d.met}/${d.total}`));
  });
  return s;
}

async function reportsView(view, q) {
  const year = q.get("year") || "";
  const input = el("input", { id: "report-year", value: year, size: 6, inputmode: "numeric" });
  const form = el("form", { class: "filters" }, el("label", {}, t("year"), input), el("button", { type: "submit" }, t("show")));
  form.addEventListener("submit", ev => { ev.preventDefault(); go("/reports", { year: input.value.trim() }); });
  view.append(el("h1", {}, t("reports_title")), form);
  const { data: r } = await api("GET", "/admin/v1/reports/criterion19" + (year ? "?year=" + encodeURIComponent(year) : ""));
  if (!input.value) input.value = String(r.year);
  const y = "year=" + r.year;
  // A map after 1 July 2025 has no districts: its communes are grouped by province.
  const group = r.grouped_by === "province" ? "province" : "district";
  view.append(
    // A limited account's total is of its communes alone: never shown as the province's.
    el("p", { id: "report-province" }, el("strong", {}, r.limited_to
      ? t("communes_figure", r.limited_to.join(", "), r.province.met, r.province.total)
      : t("province_figure", r.province.met, r.province.total)), ` (${t("year")} ${r.year})`),
    el("p", {},
      el("a", { id: "download-csv", href: `/admin/v1/reports/criterion19.csv?${y}`, download: "" }, t("download_csv")), " · ",
      el("a", { id: "download-csv-communes", href: `/admin/v1/reports/criterion19.csv?${y}&by_commune=1`, download: "" }, t("download_csv_communes")), " · ",
      el("a", { id: "download-xlsx", href: `/admin/v1/reports/criterion19.xlsx?${y}`, download: "" }, t("download_xlsx"))),
    chart(r.districts),
    el("h2", {}, t(group)),
    table([{ title: group, cell: d => d.name }, { title: "met", num: true, cell: d => d.met }, { title: "total", num: true, cell: d => d.total }], r.districts),
    el("h2", {}, t("commune")),
    table([
      { title: "commune", cell: c => `${c.name} (${c.code})` }, { title: group, cell: c => c[group] },
      { title: "met", cell: c => c.met ? t("yes") : t("no") }, { title: "decided_on", cell: c => c.decided_on },
    ], r.communes));
}

// ---- Accounts and the admin log -------------------------------------------------------------

async function accountsView(view) {
  const { data } = await api("GET", "/admin/v1/accounts");
  // A password is typed into a password field, never into prompt(), which shows it in clear.
  const setPassword = a => {
    const pw = el("input", { id: "account-new-password", type: "password", autocomplete: "new-password" });
    const form = el("form", { class: "inline", id: "account-password-form" },
      el("label", {}, t("new_password_for", a.name), pw), el("button", { class: "primary", type: "submit" }, t("set_password")));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      act(async () => { await api("POST", `/admin/v1/accounts/${encodeURIComponent(a.name)}/password`, { password: pw.value }); render(); }, t("password_set", a.name));
    });
    document.getElementById("account-result").replaceChildren(form);
    pw.focus();
  };
  view.append(el("h1", {}, t("accounts_title")), table([
    { title: "name", cell: a => a.name },
    { title: "role", cell: a => t(a.role) },
    { title: "communes", cell: a => a.communes.length ? a.communes.join(", ") : t("all") },
    { title: "disabled", cell: a => a.disabled ? t("disabled") : "" },
    { title: "has_password", cell: a => a.password ? "✓" : "" },
    { title: "created_at", cell: a => when(a.created_at) },
    { title: "", cell: a => a.disabled ? "" : el("span", {},
        el("button", { type: "button", "data-password": a.name, onclick: () => setPassword(a) }, t("set_password")), " ",
        el("button", { type: "button", class: "danger", onclick: () => {
          if (!confirm(t("confirm_disable", a.name))) return;
          act(async () => { await api("POST", `/admin/v1/accounts/${encodeURIComponent(a.name)}/disable`); render(); });
        } }, t("disable"))) },
  ], data));
  const name = el("input", { id: "account-name" });
  const role = el("select", { id: "account-role" }, el("option", { value: "viewer" }, t("viewer")), el("option", { value: "admin" }, t("admin")));
  const communes = el("input", { id: "account-communes", placeholder: t("communes_hint"), size: 30 });
  const password = el("input", { id: "account-password", type: "password", autocomplete: "new-password" });
  const form = el("form", { class: "inline", id: "account-add" },
    el("label", {}, t("name"), name), el("label", {}, t("role"), role), el("label", {}, t("communes"), communes),
    el("label", {}, t("password"), password), el("button", { class: "primary", type: "submit" }, t("add_account")));
  const result = el("div", { id: "account-result" });
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const body = { name: name.value.trim(), role: role.value, communes: communes.value.split(",").map(c => c.trim()).filter(Boolean) };
    if (password.value) body.password = password.value;
    act(async () => {
      const { data: a } = await api("POST", "/admin/v1/accounts", body);
      await render();
      document.getElementById("account-result").replaceChildren(el("p", {}, t("account_added", a.name) + " " + t("token_once")), el("p", { class: "secret" }, a.token));
    });
  });
  view.append(el("h2", {}, t("add_account")), form, result);
}

async function logView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const { data, total } = await api("GET", `/admin/v1/log?limit=${PAGE}&offset=${offset}`);
  view.append(el("h1", {}, t("log_title")), table([
    { title: "at", cell: e => when(e.at) }, { title: "account", cell: e => e.account },
    { title: "action", cell: e => named(said(e.action_text, e.action), e.action) }, { title: "target", cell: e => e.target },
    { title: "detail", cell: e => said(e.detail_text, e.detail) },
  ], data), pager(offset, total, o => go("/log", { offset: o })));
}

// ---- The map: units with their lineage, a change's dry run before it is applied, a move ----

function codes(text) {
  return text.split(",").map(c => c.trim()).filter(Boolean);
}

function impactView(m) {
  const rows = Object.entries(m.rows).map(([table, n]) => ({ table, n }));
  return el("div", { id: "map-impact" },
    el("h2", {}, m.dry_run ? t("dry_run_result") : t("change_applied", m.change_id)),
    table([{ title: "new_unit", cell: u => `${u.name} (${u.id})` }, { title: "kind", cell: u => u.kind },
      { title: "made_from", cell: u => u.from.join(", ") }], m.units),
    table([{ title: "table", cell: r => r.table }, { title: "rows_moving", num: true, cell: r => r.n }], rows),
    table([
      { title: "device", cell: d => deviceName(d.name, d.device_id) }, { title: "from", cell: d => d.from },
      { title: "to", cell: d => d.to }, { title: "pending", num: true, cell: d => d.pending },
      { title: "last_contact", cell: d => when(d.last_contact_at) },
      { title: "download", num: true, cell: d => `${d.download_rows} / ~${Math.ceil(d.download_bytes / 1024)} KiB` },
    ], m.devices),
    ...m.skipped.map(s => el("p", { class: "muted" }, s)));
}

function mergeForm(onDone) {
  const from = el("input", { id: "merge-from", size: 24 });
  const into = el("input", { id: "merge-into", inputmode: "numeric", size: 8 });
  const effective = el("input", { id: "merge-effective", placeholder: "YYYY-MM-DD", size: 10 });
  const name = el("input", { id: "merge-name" });
  const basis = el("input", { id: "merge-basis", size: 32 });
  const result = el("div", { id: "merge-result" });
  const body = dry => ({ kind: "merge", effective: effective.value, basis: basis.value, dry_run: dry,
    groups: [{ from: codes(from.value), code: into.value.trim(), name: name.value.trim() }] });
  // The change is applied only from the dry run it was shown as: one look at the impact first.
  const apply = el("button", { class: "primary", type: "button", id: "merge-apply", hidden: true,
    onclick: () => act(async () => {
      const { data } = await api("POST", "/admin/v1/map/changes", body(false));
      apply.hidden = true;
      result.replaceChildren(impactView(data));
      onDone();
    }) }, t("apply_change"));
  const form = el("form", { class: "inline", id: "merge" },
    el("label", {}, t("merge_from"), from), el("label", {}, t("merge_into"), into),
    el("label", {}, t("effective"), effective), el("label", {}, t("unit_name"), name),
    el("label", {}, t("basis"), basis), el("button", { type: "submit", id: "merge-dry-run" }, t("dry_run")), apply);
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    act(async () => {
      const { data } = await api("POST", "/admin/v1/map/changes", body(true));
      result.replaceChildren(impactView(data));
      apply.hidden = false;
    });
  });
  return el("div", {}, el("h2", {}, t("merge_title")), form, result);
}

function deviceMoveForm() {
  const device = el("input", { id: "move-device", size: 18 });
  const commune = el("input", { id: "move-commune", inputmode: "numeric", size: 8 });
  const form = el("form", { class: "inline", id: "device-move" },
    el("label", {}, t("device"), device), el("label", {}, t("commune_code"), commune),
    el("button", { class: "primary", type: "submit" }, t("move_device")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    act(async () => {
      const { data } = await api("POST", `/admin/v1/devices/${encodeURIComponent(device.value.trim())}/move`,
        { commune: commune.value.trim() });
      notice(t("device_moved", data.device_id, data.from, data.scope), false);
    });
  });
  return el("div", {}, el("h2", {}, t("move_device")), form);
}

async function mapView(view, q) {
  const all = q.get("all") === "1";
  const [{ data: units }, { data: changes }] = await Promise.all([
    api("GET", "/admin/v1/map/units" + (all ? "?all=1" : "")), api("GET", "/admin/v1/map/changes")]);
  await loadLabels();
  const lineage = list => list.map(e => e.unit).join(", ");
  view.append(el("h1", {}, t("map_title")),
    el("p", {}, el("a", { href: all ? "#/map" : "#/map?all=1", id: "map-all" }, all ? t("units_today") : t("units_all"))),
    table([
      { title: "commune", cell: u => `${u.name} (${u.id})` }, { title: "kind", cell: u => valueText("commune", "kind", u.kind) },
      { title: "valid_from", cell: u => u.valid_from }, { title: "valid_until", cell: u => u.valid_until },
      { title: "made_from", cell: u => lineage(u.made_from) }, { title: "went_into", cell: u => lineage(u.went_into) },
    ], units),
    el("h2", {}, t("map_changes")),
    table([
      { title: "effective", cell: c => c.effective }, { title: "kind", cell: c => t("change_" + c.kind) },
      { title: "basis", cell: c => c.basis }, { title: "account", cell: c => c.account },
      { title: "at", cell: c => when(c.applied_at) },
      { title: "lineage", cell: c => c.lineage.map(e => `${e.old_unit} → ${e.new_unit}`).join("; ") },
    ], changes));
  if (isAdmin()) view.append(mergeForm(() => go("/map", { all: "1" })), deviceMoveForm());
}

// ---- The frame ------------------------------------------------------------------------------

const views = {
  home: v => homeView(v), fleet: (v, r) => fleetView(v, r.query),
  conflicts: (v, r) => r.parts[1] ? conflictView(v, r.parts[1]) : conflictsView(v, r.query),
  quarantine: (v, r) => r.parts[1] ? quarantinedView(v, r.parts[1]) : quarantineView(v, r.query),
  history: (v, r) => historyView(v, r.query), reports: (v, r) => reportsView(v, r.query),
  accounts: v => accountsView(v), log: (v, r) => logView(v, r.query), map: (v, r) => mapView(v, r.query),
};
const navItems = [["home", "nav_home"], ["fleet", "nav_fleet"], ["conflicts", "nav_conflicts"], ["quarantine", "nav_quarantine"],
  ["history", "nav_history"], ["reports", "nav_reports"], ["map", "nav_map"], ["accounts", "nav_accounts", isAdmin],
  ["log", "nav_log", isAdmin]];

async function render() {
  clearInterval(state.timer);
  document.documentElement.lang = state.lang;
  document.getElementById("lang").textContent = t("lang_switch");
  const signOut = document.getElementById("sign-out");
  signOut.textContent = t("sign_out");
  const view = document.getElementById("view");
  const nav = document.getElementById("nav");
  view.replaceChildren();
  if (!state.me) {
    nav.hidden = true;
    signOut.hidden = true;
    document.getElementById("who").textContent = "";
    return signInView(view);
  }
  const r = route();
  const name = views[r.parts[0]] ? r.parts[0] : "home";
  nav.hidden = false;
  signOut.hidden = false;
  nav.replaceChildren(...navItems.filter(([, , shown]) => !shown || shown()).map(([key, word]) =>
    el("a", { href: "#/" + key, id: "nav-" + key, class: key === name ? "current" : null }, t(word))));
  document.getElementById("who").textContent = `${state.me.name} · ${t(state.me.role)}` + (state.me.communes.length ? ` · ${state.me.communes.join(", ")}` : "");
  if (!isAdmin()) notice(t("read_only"), false);
  try {
    await views[name](view, r);
    view.setAttribute("data-loaded", name);
  } catch (e) {
    if (e.status !== 401) notice(t("failed", e.message), true);
  }
}

document.getElementById("lang").addEventListener("click", () => {
  state.lang = state.lang === "vi" ? "en" : "vi";
  localStorage.setItem("noi-lang", state.lang);
  render();
});
document.getElementById("sign-out").addEventListener("click", () => act(async () => {
  await api("POST", "/console/v1/sign-out");
  state.me = null;
  render();
}));
window.addEventListener("hashchange", () => { notice("", false); render(); });

fetch("/console/v1/me", { credentials: "same-origin" })
  .then(res => (res.ok ? res.json() : null))
  .then(me => { state.me = me; render(); })
  .catch(() => render());
