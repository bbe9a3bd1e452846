// What needs attention.
import {api, el, t} from "./core.js";

async function homeView(view) {
  const {data} = await api("GET", "/admin/v1/summary");
  const card = (key, count, href) =>
      el("a", {class: "card" + (count > 0 ? " hot" : ""), href, id: "count-" + key},
         el("div", {class: "count"}, String(count)), el("div", {}, t(key)));
  view.append(
      el("h1", {}, t("home_title")),
      el("div", {class: "cards"}, card("open_conflicts", data.conflicts_open, "#/conflicts"),
         card("quarantined", data.quarantined_open, "#/quarantine"), card("silent", data.silent, "#/fleet?flag=silent"),
         card("piling_up", data.piling_up, "#/fleet?flag=piling_up"),
         card("clock_wrong", data.clock_wrong, "#/fleet?flag=clock_wrong"),
         card("behind_schema", data.behind_schema, "#/fleet?flag=behind_schema"),
         card("revoked_connecting", data.revoked_connecting, "#/fleet?flag=revoked_connecting"),
         el("a", {class: "card", href: "#/fleet", id: "count-devices"},
            el("div", {class: "count"}, String(data.devices)), el("div", {}, t("devices")))));
}

export {homeView};
