// A record's history.
import {api, deviceName, el, go, link, said, shown, t, table, when} from "./core.js";
import {columnNamed, loadLabels, tableSelect, tableText, valueText} from "./labels.js";

async function historyView(view, q) {
  await loadLabels();
  const tableName = tableSelect("history-table", q.get("table") || "");
  const row = el("input", {id: "history-row", value: q.get("row") || "", size: 38});
  const form =
      el("form", {class: "filters"}, el("label", {}, t("table"), tableName), el("label", {}, t("row_id"), row),
         el("button", {type: "submit"}, t("show")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    go("/history", {table: tableName.value.trim(), row: row.value.trim()});
  });
  view.append(el("h1", {}, t("history_title")), form);
  if (!q.get("row")) return;
  // A row id alone is enough: the server finds its table.
  const query = new URLSearchParams({row: q.get("row")});
  if (q.get("table")) query.set("table", q.get("table"));
  const {data} = await api("GET", "/admin/v1/history?" + query);
  const kinds = {change: "change", conflict: "conflict", resolution: "resolution_kind"};
  const shownTable = data.length ? data[0].table : q.get("table");
  // The row's own existence has no column: it reads "alive" or "deleted".
  const cell = (h, v) => h.column ? valueText(shownTable, h.column, v) : v === null ? "–" : t("row_" + v);
  if (data.length) view.append(el("h2", {}, `${tableText(shownTable)} · ${q.get("row")}`));
  view.append(
      data.length === 0 ?
          el("p", {}, t("none")) :
          table(
              [
                {title: "time", cell: h => when(h.time)},
                {title: "who", cell: h => h.device_name ? deviceName(h.device_name, h.device_id) : shown(h.device_id)},
                {
                  title: "kind",
                  cell: h => h.conflict_id ? el("span", {}, t(kinds[h.kind]) + " ",
                                                link(`#/conflicts/${h.conflict_id}`, "#" + h.conflict_id)) :
                                             t(kinds[h.kind])
                },
                {title: "column", cell: h => h.column ? columnNamed(shownTable, h.column) : t("row_existence")},
                {title: "old", cell: h => el("span", {class: "value"}, h.kind === "resolution" ? "" : cell(h, h.old))},
                {
                  title: "new",
                  cell: h => el(
                      "span", {class: "value"}, h.kind === "resolution" ? said(h.new_text, h.new) : cell(h, h.new))
                },
              ],
              data));
}

export {historyView};
