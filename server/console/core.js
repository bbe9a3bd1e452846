// What every page uses: the session's state, the page's words, elements, times, the API.
import {NOI_WORDS} from "./words.js";

const state = {
  me: null,
  lang: localStorage.getItem("noi-lang") || "vi",
  timer: null
};
const PAGE = 50;
// The frame (main.js) draws the page again; views ask it to through here.
const app = {
  render: () => {}
};

function t(key, ...args) {
  const words = NOI_WORDS[state.lang] || NOI_WORDS.vi;
  let s = words[key] !== undefined ? words[key] : NOI_WORDS.vi[key] !== undefined ? NOI_WORDS.vi[key] : key;
  args.forEach((a, i) => {
    s = s.replace("{" + i + "}", String(a));
  });
  return s;
}

// An element with attributes and children; strings become text nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on"))
      e.addEventListener(k.slice(2), v);
    else if (k === "class")
      e.className = v;
    else
      e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh, whatever the browser's own zone.
const timeParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Ho_Chi_Minh",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
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
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

async function api(method, path, body) {
  // Refusals come back in the page's language.
  const headers = {"Accept-Language": state.lang};
  if (method !== "GET" && state.me) headers["X-CSRF-Token"] = state.me.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401 && path !== "/console/v1/sign-in") {
    state.me = null;
    notice(t("session_ended"), true);
    app.render();
    throw new ApiError(401, t("session_ended"));
  }
  if (!res.ok) {
    throw new ApiError(
        res.status, data && data.error ? data.error : res.statusText, Number(res.headers.get("Retry-After")) || 1);
  }
  const total = res.headers.get("X-Total-Count");
  return {data, total: total === null ? null : Number(total)};
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

function isAdmin() {
  return state.me && state.me.role === "admin";
}

function route() {
  const hash = location.hash.replace(/^#/, "") || "/home";
  const [path, query] = hash.split("?");
  return {parts: path.split("/").filter(Boolean), query: new URLSearchParams(query || "")};
}

function go(path, query) {
  const q =
      query ? new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v !== undefined)).toString() : "";
  location.hash = "#" + path + (q ? "?" + q : "");
}

function table(columns, rows, opts) {
  opts = opts || {};
  const head = el("tr", {}, columns.map(c => {
    const sortable = opts.onSort && c.sort;
    const mark = !sortable ? "" : opts.sort === c.sort ? " ▲" : opts.sort === "-" + c.sort ? " ▼" : "";
    return el(
        "th", {
          class: [sortable ? "sortable" : "", c.num ? "num" : ""].join(" ").trim() || null,
          onclick: sortable ? () => opts.onSort(opts.sort === c.sort ? "-" + c.sort : c.sort) : null,
        },
        t(c.title) + mark);
  }));
  const body = rows.map(r => el("tr", {}, columns.map(c => {
                          const v = c.cell(r);
                          return el("td", {class: c.num ? "num" : null}, v instanceof Node ? v : shown(v));
                        })));
  return el(
      "div", {class: "scroll"}, el("table", {"data-rows": rows.length}, el("thead", {}, head), el("tbody", {}, body)));
}

function pager(offset, total, onPage) {
  if (total === null || total <= PAGE) return el("div", {class: "pager"});
  return el(
      "div", {class: "pager"},
      el("button", {type: "button", disabled: offset === 0, onclick: () => onPage(Math.max(0, offset - PAGE))},
         t("previous")),
      t("page_of", offset + 1, Math.min(total, offset + PAGE), total),
      el("button", {type: "button", disabled: offset + PAGE >= total, onclick: () => onPage(offset + PAGE)},
         t("next")));
}

function link(href, text) {
  return el("a", {href}, text);
}

function deviceName(name, id) {
  return name ? `${name} (${id})` : shown(id);
}

// Words in both languages, {"vi", "en"} (a label, or what the server says beside a machine
// field), in the page's language, or in the other when it has none; null for none at all.
function words(texts) {
  return texts ? texts[state.lang] || texts.vi || texts.en : null;
}

// The server's words for a field, or the field itself from a server before them.
function said(texts, fallback) {
  return words(texts) ?? shown(fallback);
}

export {
  state,
  PAGE,
  app,
  t,
  el,
  when,
  shown,
  notice,
  api,
  act,
  isAdmin,
  route,
  go,
  table,
  pager,
  link,
  deviceName,
  words,
  said
};
