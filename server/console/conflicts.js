// The conflicts inbox and one conflict.
import {act, api, app, deviceName, el, go, isAdmin, link, notice, PAGE, pager, said, shown, t, table, when} from "./core.js";
import {cellsTable, columnNamed, columnText, columnValues, loadLabels, tableNamed, tableSelect, tableText, valueText} from "./labels.js";

async function conflictsView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const params = {
    status: q.get("status") || "open",
    commune: q.get("commune") || "",
    table: q.get("table") || "",
    older_than_days: q.get("older_than_days") || ""
  };
  const status =
      el("select", {id: "conflicts-status"},
         ["open", "resolved", "all"].map(s => el("option", {value: s, selected: s === params.status}, t(s))));
  const commune = el("input", {id: "conflicts-commune", value: params.commune, size: 8});
  await loadLabels();
  const tableName = tableSelect("conflicts-table", params.table);
  const older = el("input", {id: "conflicts-older", value: params.older_than_days, size: 4, inputmode: "numeric"});
  const filters =
      el("form", {class: "filters"}, el("label", {}, t("status"), status), el("label", {}, t("commune"), commune),
         el("label", {}, t("table"), tableName), el("label", {}, t("older_than_days"), older),
         el("button", {type: "submit"}, t("filter")));
  filters.addEventListener("submit", ev => {
    ev.preventDefault();
    go("/conflicts", {
      status: status.value,
      commune: commune.value.trim(),
      table: tableName.value.trim(),
      older_than_days: older.value.trim()
    });
  });
  const query = new URLSearchParams({limit: PAGE, offset});
  for (const [k, v] of Object.entries(params))
    if (v) query.set(k, v);
  const {data, total} = await api("GET", "/admin/v1/conflicts?" + query);
  view.append(
      el("h1", {}, t("conflicts_title")), filters,
      data.length === 0 ?
          el("p", {}, t("none")) :
          table(
              [
                {title: "conflict", cell: c => link(`#/conflicts/${c.id}`, "#" + c.id)},
                {title: "created", cell: c => when(c.created_at)},
                {title: "commune", cell: c => c.commune},
                {title: "table", cell: c => tableNamed(c.table)},
                {
                  title: "row",
                  cell: c => link(
                      `#/history?table=${encodeURIComponent(c.table)}&row=${encodeURIComponent(c.row_id)}`, c.row_id)
                },
                {title: "column", cell: c => c.column ? columnNamed(c.table, c.column) : t("row_existence")},
                {
                  title: "value",
                  cell: c =>
                      c.versions.map(v => v.deleted ? t("deleted") : valueText(c.table, c.column, v.value)).join(" ⟷ ")
                },
                {title: "status", cell: c => t(c.status)},
              ],
              data),
      pager(offset, total, o => go("/conflicts", {...params, offset: o})));
}

// What the admin typed as a conflict's new value, as its column takes it (the conflict's
// column_type): a TEXT column takes the text as typed, so "02" stays "02" and is not the number
// 2; INTEGER a whole number and REAL a number, or the refusal in the page's language, before
// anything is sent. An empty box is refused: "no value" says NULL.
function typedValue(typed, c) {
  const s = typed.trim();
  if (s === "") return {problem: t("value_empty")};
  switch (c.column_type) {
    case "INTEGER":
      return /^[+-]?\d+$/.test(s) && Number.isSafeInteger(Number(s)) ?
          {value: Number(s)} :
          {problem: t("value_not_integer", typed, columnText(c.table, c.column))};
    case "REAL":
      return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) && Number.isFinite(Number(s)) ?
          {value: Number(s)} :
          {problem: t("value_not_number", typed, columnText(c.table, c.column))};
    case "BLOB":
      return {problem: t("value_blob", columnText(c.table, c.column))};
    default:
      if (c.column_date)
        return /^\d{4}-\d{2}-\d{2}$/.test(s) ? {value: s} :
                                               {problem: t("value_not_date", typed, columnText(c.table, c.column))};
      return {value: typed};
  }
}

async function conflictView(view, id) {
  const [{data: c}] = await Promise.all([api("GET", `/admin/v1/conflicts/${id}`), loadLabels()]);
  view.append(
      el("h1", {},
         `${t("conflict")} #${c.id}: ${tableText(c.table)} · ${c.row_id}${
             c.column ? " · " + columnText(c.table, c.column) : ""}`),
      el("p", {},
         `${t("created")}: ${when(c.created_at)} · ${t("commune")}: ${shown(c.commune)} · ${t("status")}: ${
             t(c.status)} · `,
         link(
             `#/history?table=${encodeURIComponent(c.table)}&row=${encodeURIComponent(c.row_id)}`, t("history_link"))));
  if (c.row) view.append(el("h2", {}, t("row_now")), cellsTable(c.table, c.row));
  const resolve = body => act(async () => {
    await api("POST", `/admin/v1/conflicts/${c.id}/resolve`, body);
    app.render();
  }, t("resolved_done", c.id));
  const open = c.status === "open" && isAdmin();
  view.append(
      el("h2", {}, t("version")),
      el("div", {class: "versions"},
         c.versions.map(
             (v, i) =>
                 el("div", {class: "version" + (v.winner ? " winner" : ""), "data-version": i},
                    el("div", {class: "value"}, v.deleted ? t("deleted") : valueText(c.table, c.column, v.value)),
                    el("p", {}, `${t("written_by")}: ${deviceName(v.device_name, v.device_id)}`),
                    el("p", {}, `${t("time")}: ${when(v.time)}`),
                    v.base_time ?
                        el("p", {class: "base"},
                           `${t("based_on")}: ${valueText(c.table, c.column, v.base_value)} (${when(v.base_time)})`) :
                        null,
                    el("p", {}, el("span", {class: "tag"}, v.winner ? t("won") : t("lost"))),
                    open && v.device_id !== "server" ? el("button", {
                      type: "button",
                      class: "primary",
                      "data-keep": v.device_id,
                      onclick: () => resolve({keep: v.device_id})
                    },
                                                          t("keep_this")) :
                                                       null))));
  if (open && c.kind === "update") {
    // An enumeration's value is chosen by its label; any other is typed.
    const choices = columnValues(c.table, c.column);
    const value = choices.length ?
        el("select", {id: "resolve-value"}, choices.map(([v, text]) => el("option", {value: v}, text))) :
        el("input", {id: "resolve-value", size: 30});
    const none = el("input", {
      id: "resolve-null",
      type: "checkbox",
      onchange: () => {
        value.disabled = none.checked;
      }
    });
    const kind = c.column_date ? "type_date" : "type_" + c.column_type;
    const form =
        el("form", {class: "inline", id: "resolve-form"},
           el("label", {}, `${t("new_value")} (${t(kind) === kind ? shown(c.column_type) : t(kind)})`, value),
           el("label", {class: "check"}, none, t("no_value")), el("button", {type: "submit"}, t("resolve_with")));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      const typed = none.checked ? {value: null} : typedValue(value.value, c);
      if (typed.problem) return notice(t("failed", typed.problem), true);
      resolve({value: typed.value});
    });
    view.append(form);
  }
  if (c.resolved_by)
    view.append(
        el("p", {id: "resolved-by"},
           `${t("resolved_by")}: ${c.resolved_by} · ${t("resolved_at")}: ${when(c.resolved_at)} · ${t("resolution")}: ${
               said(c.resolution_text, c.resolution)}`));
}

export {conflictsView, conflictView};
