// The fleet: devices, their health, enrolment.
import {act, api, deviceName, el, go, isAdmin, PAGE, pager, state, t, table, when} from "./core.js";

function drawQr(qr) {
  const scale = 6, quiet = 4, side = (qr.size + 2 * quiet) * scale;
  const canvas = el("canvas", {class: "qr", id: "enrol-qr", width: side, height: side, "data-size": qr.size});
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
  const commune = el("input", {id: "enrol-commune", inputmode: "numeric", size: 8});
  const province = el("input", {id: "enrol-province", type: "checkbox"});
  const name = el("input", {id: "enrol-name"});
  const result = el("div", {id: "enrol-result"});
  const form =
      el("form", {class: "inline", id: "enrol"}, el("label", {}, t("commune_code"), commune),
         el("label", {class: "check"}, province, t("province_wide")), el("label", {}, t("device_name"), name),
         el("button", {class: "primary", type: "submit"}, t("enrol")));
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const body = {
      name: name.value,
      server_url: (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/sync"
    };
    if (province.checked)
      body.province = true;
    else
      body.commune = commune.value.trim();
    act(async () => {
      const {data} = await api("POST", "/admin/v1/devices", body);
      result.replaceChildren(
          el("h2", {}, t("enrolled") + ": " + deviceName(data.name, data.device_id)), el("p", {}, t("token_once")),
          el("p", {class: "secret", id: "enrol-token"}, data.token), el("p", {}, t("scan_qr")), drawQr(data.qr),
          ...(data.warning ? [el("p", {class: "muted"}, data.warning)] : []));
      onDone();
    });
  });
  return el("div", {}, el("h2", {}, t("enrol")), form, result);
}

async function fleetView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const params = {commune: q.get("commune") || "", flag: q.get("flag") || "", sort: q.get("sort") || ""};
  const commune = el("input", {id: "fleet-commune", value: params.commune, size: 8});
  const flag = el("select", {id: "fleet-flag"}, [
    "", "silent", "piling_up", "clock_wrong", "behind_schema", "revoked_connecting", "revoked"
  ].map(f => el("option", {value: f, selected: f === params.flag}, f ? t(f) : t("any"))));
  const filters =
      el("form", {class: "filters"}, el("label", {}, t("commune"), commune), el("label", {}, t("flags"), flag),
         el("button", {type: "submit"}, t("filter")), el("span", {class: "muted"}, t("refreshed")));
  filters.addEventListener("submit", ev => {
    ev.preventDefault();
    go("/fleet", {...params, commune: commune.value.trim(), flag: flag.value});
  });
  const list = el("div", {id: "fleet-list"});
  const communes = el("div", {id: "fleet-communes"});
  view.append(el("h1", {}, t("fleet_title")), filters, list, el("h2", {}, t("by_commune")), communes);
  if (isAdmin()) view.append(enrolForm(() => load()));

  async function load() {
    const query = new URLSearchParams({limit: PAGE, offset});
    for (const [k, v] of Object.entries(params))
      if (v) query.set(k, v);
    const [{data, total}, byCommune] =
        await Promise.all([api("GET", "/admin/v1/status?" + query), api("GET", "/admin/v1/status/communes")]);
    const columns = [
      {title: "commune", sort: "scope", cell: d => `${d.commune_name || ""} (${d.scope})`},
      {title: "device", sort: "name", cell: d => deviceName(d.name, d.device_id)},
      {title: "last_contact", sort: "last_contact_at", cell: d => when(d.last_contact_at)},
      {title: "last_sync", sort: "last_sync_at", cell: d => when(d.last_sync_at)},
      // Two facts a cell, so that the table and its actions fit a 1,400-pixel screen.
      {
        title: "pending",
        sort: "pending",
        num: true,
        cell: d =>
            el("span", {}, d.pending ?? "–",
               d.oldest_pending_at ? el("div", {class: "muted"}, t("since", when(d.oldest_pending_at))) : null)
      },
      {
        title: "app_version",
        sort: "app_version",
        cell: d =>
            el("span", {}, d.app_version ?? "–",
               d.schema_version === null ? null : el("div", {class: "muted"}, t("schema_short", d.schema_version)))
      },
      {
        title: "clock_skew",
        sort: "clock_skew_ms",
        num: true,
        cell: d => d.clock_skew_ms === null ? "–" : Math.round(d.clock_skew_ms / 1000) + " s"
      },
      {
        title: "flags",
        cell: d =>
            el("span", {}, d.alerts.map(a => el("span", {class: "tag alert"}, t(a))),
               d.piling_up ? el("span", {class: "tag alert"}, t("piling_up")) : null,
               d.revoked ? el("span", {class: "tag"}, t("revoked")) : null,
               d.wiped_at            ? el("span", {class: "tag"}, t("wiped", when(d.wiped_at))) :
                   d.wipe_ordered_at ? el("span", {class: "tag alert"}, t("wipe_ordered")) :
                                       null)
      },
    ];
    // Revoking keeps the tablet's data; a lost or stolen one is also told to delete it.
    const revokeButton = (d, wipe) =>
        el("button", {
          type: "button",
          class: "danger",
          [wipe ? "data-revoke-wipe" : "data-revoke"]: d.device_id,
          onclick: () => {
            const name = deviceName(d.name, d.device_id);
            if (!confirm(t(wipe ? "confirm_revoke_wipe" : "confirm_revoke", name))) return;
            act(async () => {
              await api(
                  "POST", `/admin/v1/devices/${encodeURIComponent(d.device_id)}/revoke`,
                  wipe ? {wipe: true} : undefined);
              await load();
            }, t(wipe ? "revoked_wipe_done" : "revoked_done", name));
          }
        },
           t(wipe ? "revoke_wipe" : "revoke"));
    // A device enrolled by mistake that never made contact can go altogether.
    const deleteButton = d =>
        el("button", {
          type: "button",
          class: "danger",
          "data-delete": d.device_id,
          onclick: () => {
            const name = deviceName(d.name, d.device_id);
            if (!confirm(t("confirm_delete_device", name))) return;
            act(async () => {
              await api("DELETE", `/admin/v1/devices/${encodeURIComponent(d.device_id)}`);
              await load();
            }, t("deleted_device_done", name));
          }
        },
           t("delete_device"));
    if (isAdmin())
      columns.push({
        title: "",
        cell: d => d.wipe_ordered_at ? "" :
                                       el("span", {class: "actions"}, d.revoked ? null : revokeButton(d, false),
                                          revokeButton(d, true), d.last_contact_at ? null : deleteButton(d))
      });
    list.replaceChildren(
        table(columns, data, {sort: params.sort, onSort: s => go("/fleet", {...params, sort: s})}),
        pager(offset, total, o => go("/fleet", {...params, offset: o})));
    communes.replaceChildren(table(
        [
          {title: "commune", cell: c => `${c.commune_name || ""} (${c.scope})`},
          {title: "devices_count", num: true, cell: c => c.devices},
          {title: "silent", num: true, cell: c => c.silent},
          {title: "piling_up", num: true, cell: c => c.piling_up},
          {title: "pending", num: true, cell: c => c.pending},
          {title: "last_contact", cell: c => when(c.last_contact_at)},
        ],
        byCommune.data));
  }
  await load();
  // The list follows the tablets while the page is open.
  state.timer = setInterval(() => load().catch(() => {}), 5000);
}

export {fleetView};
