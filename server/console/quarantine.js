// Rows the server refused.
import {act, api, app, deviceName, el, go, isAdmin, link, PAGE, pager, said, shown, t, table, when} from "./core.js";
import {cellsTable, loadLabels, named, tableNamed, tableText} from "./labels.js";

function quarantineButtons(r, after) {
  if (!isAdmin() || r.status !== "open") return "";
  return el(
      "span", {},
      el("button", {
        type: "button",
        "data-release": r.id,
        onclick: () => act(
            async () => {
              await api("POST", `/admin/v1/quarantine/${r.id}/release`);
              after();
            },
            t("released_done", r.id))
      },
         t("release")),
      " ",
      el("button", {
        type: "button",
        class: "danger",
        "data-discard": r.id,
        onclick: () => {
          if (!confirm(t("confirm_discard", r.id))) return;
          act(async () => {
            await api("POST", `/admin/v1/quarantine/${r.id}/discard`);
            after();
          }, t("discarded_done", r.id));
        }
      },
         t("discard")));
}

// A quarantine entry's status in words (the status filter's words).
const quarantineWords = {
  open: "open",
  released: "release",
  discarded: "discard"
};

async function quarantineView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const status = q.get("status") || "open";
  const [{data, total}] = await Promise.all(
      [api("GET", `/admin/v1/quarantine?status=${status}&limit=${PAGE}&offset=${offset}`), loadLabels()]);
  const pick = el("select", {id: "quarantine-status", onchange: ev => go("/quarantine", {status: ev.target.value})}, [
    ...Object.entries(quarantineWords), ["all", "all"]
  ].map(([s, w]) => el("option", {value: s, selected: s === status}, t(w))));
  view.append(
      el("h1", {}, t("quarantine_title")), el("div", {class: "filters"}, el("label", {}, t("status"), pick)),
      data.length === 0 ? el("p", {}, t("none")) :
                          table(
                              [
                                {title: "row", cell: r => link(`#/quarantine/${r.id}`, "#" + r.id)},
                                {title: "received", cell: r => when(r.received_at)},
                                {title: "device", cell: r => deviceName(r.device_name, r.device_id)},
                                {title: "table", cell: r => tableNamed(r.table)},
                                {title: "row_id", cell: r => r.row_id},
                                {title: "reason", cell: r => named(said(r.reason_text, r.reason), r.reason)},
                                {title: "repeats", num: true, cell: r => r.repeats},
                                {title: "", cell: r => quarantineButtons(r, app.render)},
                              ],
                              data),
      pager(offset, total, o => go("/quarantine", {status, offset: o})));
}

async function quarantinedView(view, id) {
  const [{data: r}] = await Promise.all([api("GET", `/admin/v1/quarantine/${id}`), loadLabels()]);
  view.append(
      el("h1", {}, `${t("quarantine_title")} #${r.id}: ${tableText(r.table)} · ${r.row_id}`),
      el("p", {},
         `${t("reason")}: ${said(r.reason_text, r.reason)} · ${t("device")}: ${
             deviceName(r.device_name, r.device_id)} · ${t("received")}: ${when(r.received_at)} · ${t("status")}: ${
             t(quarantineWords[r.status] || r.status)}`),
      el("p", {class: "muted", id: "quarantine-message"}, `${t("message")}: ${said(r.message_text, r.message)}`),
      link(`#/history?table=${encodeURIComponent(r.table)}&row=${encodeURIComponent(r.row_id)}`, t("history_link")),
      el("h2", {}, t("values")),
      r.values && typeof r.values === "object" ? cellsTable(r.table, r.values) : el("p", {}, shown(r.values)),
      el("p", {}, quarantineButtons(r, app.render)));
}

export {quarantineView, quarantinedView};
