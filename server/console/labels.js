// Labels of the schema: what a person reads for tables, columns and values.
import {api, el, shown, t, table, words} from "./core.js";

// What a person reads for a table, a column and a value of an enumeration, as the server's
// schema publishes them (docs/labels.md), read again at most once a minute. A name without a
// label is shown as it is; the name itself is the element's title, for whoever needs it.
const labels = {
  tables: new Map(),
  at: 0
};

async function loadLabels() {
  if (Date.now() - labels.at < 60000) return;
  // Without the schema the pages still work, by the names themselves.
  const data = await api("GET", "/admin/v1/schema").then(r => r.data, () => null);
  if (!data) return;
  labels.tables = new Map(data.tables.map(
      tb => [tb.name, {
        label: tb.label,
        columns: new Map(tb.columns.map(
            c =>
                [c.name,
                 {label: c.label, type: c.type, values: new Map((c.values || []).map(v => [v.value, v.label]))}])),
      }]));
  labels.at = Date.now();
}

function named(text, name) {
  return el("span", {title: name}, text);
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

function tableNamed(tbl) {
  return named(tableText(tbl), tbl);
}
function columnNamed(tbl, col) {
  return col ? named(columnText(tbl, col), col) : "–";
}

// A select of the synced tables by label; "" is any table.
function tableSelect(id, current) {
  const names = [...labels.tables.keys()];
  if (current && !names.includes(current)) names.push(current);
  return el(
      "select", {id}, el("option", {value: ""}, t("any")),
      names.map(name => el("option", {value: name, selected: name === current}, tableText(name))));
}

// A row's cells as a two-column table of labels and values, in the table's column order
// after its id.
function cellsTable(tbl, cells) {
  const order = [...(labels.tables.get(tbl)?.columns.keys() || [])];
  const at = name => name === "id" ? -1 : order.includes(name) ? order.indexOf(name) : order.length;
  return table(
      [
        {title: "column", cell: kv => kv[0] === "id" ? named(t("row_id"), "id") : columnNamed(tbl, kv[0])},
        {title: "value", cell: kv => el("span", {class: "value"}, valueText(tbl, kv[0], kv[1]))},
      ],
      Object.entries(cells).sort((a, b) => at(a[0]) - at(b[0])));
}

export {
  loadLabels,
  named,
  tableText,
  columnText,
  columnValues,
  valueText,
  tableNamed,
  columnNamed,
  tableSelect,
  cellsTable
};
