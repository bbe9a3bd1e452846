// The map: units with their lineage, a change's dry run before it is applied, a move.
import {act, api, deviceName, el, go, isAdmin, notice, t, table, when} from "./core.js";
import {loadLabels, valueText} from "./labels.js";

function codes(text) {
  return text.split(",").map(c => c.trim()).filter(Boolean);
}

function impactView(m) {
  const rows = Object.entries(m.rows).map(([table, n]) => ({table, n}));
  return el(
      "div", {id: "map-impact"}, el("h2", {}, m.dry_run ? t("dry_run_result") : t("change_applied", m.change_id)),
      table(
          [
            {title: "new_unit", cell: u => `${u.name} (${u.id})`}, {title: "kind", cell: u => u.kind},
            {title: "made_from", cell: u => u.from.join(", ")}
          ],
          m.units),
      table([{title: "table", cell: r => r.table}, {title: "rows_moving", num: true, cell: r => r.n}], rows),
      table(
          [
            {title: "device", cell: d => deviceName(d.name, d.device_id)},
            {title: "from", cell: d => d.from},
            {title: "to", cell: d => d.to},
            {title: "pending", num: true, cell: d => d.pending},
            {title: "last_contact", cell: d => when(d.last_contact_at)},
            {
              title: "download",
              num: true,
              cell: d => `${d.download_rows} / ~${Math.ceil(d.download_bytes / 1024)} KiB`
            },
          ],
          m.devices),
      ...m.skipped.map(s => el("p", {class: "muted"}, s)));
}

function mergeForm(onDone) {
  const from = el("input", {id: "merge-from", size: 24});
  const into = el("input", {id: "merge-into", inputmode: "numeric", size: 8});
  const effective = el("input", {id: "merge-effective", placeholder: "YYYY-MM-DD", size: 10});
  const name = el("input", {id: "merge-name"});
  const basis = el("input", {id: "merge-basis", size: 32});
  const result = el("div", {id: "merge-result"});
  const body = dry => ({
    kind: "merge",
    effective: effective.value,
    basis: basis.value,
    dry_run: dry,
    groups: [{from: codes(from.value), code: into.value.trim(), name: name.value.trim()}]
  });
  // The change is applied only from the dry run it was shown as: one look at the impact first.
  const apply =
      el("button", {
        class: "primary",
        type: "button",
        id: "merge-apply",
        hidden: true,
        onclick: () => act(async () => {
          const {data} = await api("POST", "/admin/v1/map/changes", body(false));
          apply.hidden = true;
          result.replaceChildren(impactView(data));
          onDone();
        })
      },
         t("apply_change"));
  const form =
      el("form", {class: "inline", id: "merge"}, el("label", {}, t("merge_from"), from),
         el("label", {}, t("merge_into"), into), el("label", {}, t("effective"), effective),
         el("label", {}, t("unit_name"), name), el("label", {}, t("basis"), basis),
         el("button", {type: "submit", id: "merge-dry-run"}, t("dry_run")), apply);
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    act(async () => {
      const {data} = await api("POST", "/admin/v1/map/changes", body(true));
      result.replaceChildren(impactView(data));
      apply.hidden = false;
    });
  });
  return el("div", {}, el("h2", {}, t("merge_title")), form, result);
}

function deviceMoveForm() {
  const device = el("input", {id: "move-device", size: 18});
  const commune = el("input", {id: "move-commune", inputmode: "numeric", size: 8});
  const form = el(
      "form", {class: "inline", id: "device-move"}, el("label", {}, t("device"), device),
      el("label", {}, t("commune_code"), commune), el("button", {class: "primary", type: "submit"}, t("move_device")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    act(async () => {
      const {data} = await api(
          "POST", `/admin/v1/devices/${encodeURIComponent(device.value.trim())}/move`, {commune: commune.value.trim()});
      notice(t("device_moved", data.device_id, data.from, data.scope), false);
    });
  });
  return el("div", {}, el("h2", {}, t("move_device")), form);
}

async function mapView(view, q) {
  const all = q.get("all") === "1";
  const [{data: units}, {data: changes}] = await Promise.all(
      [api("GET", "/admin/v1/map/units" + (all ? "?all=1" : "")), api("GET", "/admin/v1/map/changes")]);
  await loadLabels();
  const lineage = list => list.map(e => e.unit).join(", ");
  view.append(
      el("h1", {}, t("map_title")),
      el("p", {},
         el("a", {href: all ? "#/map" : "#/map?all=1", id: "map-all"}, all ? t("units_today") : t("units_all"))),
      table(
          [
            {title: "commune", cell: u => `${u.name} (${u.id})`},
            {title: "kind", cell: u => valueText("commune", "kind", u.kind)},
            {title: "valid_from", cell: u => u.valid_from},
            {title: "valid_until", cell: u => u.valid_until},
            {title: "made_from", cell: u => lineage(u.made_from)},
            {title: "went_into", cell: u => lineage(u.went_into)},
          ],
          units),
      el("h2", {}, t("map_changes")),
      table(
          [
            {title: "effective", cell: c => c.effective},
            {title: "kind", cell: c => t("change_" + c.kind)},
            {title: "basis", cell: c => c.basis},
            {title: "account", cell: c => c.account},
            {title: "at", cell: c => when(c.applied_at)},
            {title: "lineage", cell: c => c.lineage.map(e => `${e.old_unit} → ${e.new_unit}`).join("; ")},
          ],
          changes));
  if (isAdmin()) view.append(mergeForm(() => go("/map", {all: "1"})), deviceMoveForm());
}

export {mapView};
