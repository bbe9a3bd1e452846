// The frame: the navigation, the route to each view, and the start.
import {accountsView, logView} from "./accounts.js";
import {conflictsView, conflictView} from "./conflicts.js";
import {act, api, app, el, isAdmin, notice, route, state, t} from "./core.js";
import {fleetView} from "./fleet.js";
import {historyView} from "./history.js";
import {homeView} from "./home.js";
import {mapView} from "./map.js";
import {quarantinedView, quarantineView} from "./quarantine.js";
import {reportsView} from "./reports.js";
import {signInView} from "./signin.js";

const views = {
  home: v => homeView(v),
  fleet: (v, r) => fleetView(v, r.query),
  conflicts: (v, r) => r.parts[1] ? conflictView(v, r.parts[1]) : conflictsView(v, r.query),
  quarantine: (v, r) => r.parts[1] ? quarantinedView(v, r.parts[1]) : quarantineView(v, r.query),
  history: (v, r) => historyView(v, r.query),
  reports: (v, r) => reportsView(v, r.query),
  accounts: v => accountsView(v),
  log: (v, r) => logView(v, r.query),
  map: (v, r) => mapView(v, r.query),
};
const navItems = [
  ["home", "nav_home"], ["fleet", "nav_fleet"], ["conflicts", "nav_conflicts"], ["quarantine", "nav_quarantine"],
  ["history", "nav_history"], ["reports", "nav_reports"], ["map", "nav_map"], ["accounts", "nav_accounts", isAdmin],
  ["log", "nav_log", isAdmin]
];

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
  nav.replaceChildren(
      ...navItems.filter(([, , allowed]) => !allowed || allowed())
          .map(
              ([key, word]) =>
                  el("a", {href: "#/" + key, id: "nav-" + key, class: key === name ? "current" : null}, t(word))));
  document.getElementById("who").textContent =
      `${state.me.name} · ${t(state.me.role)}` + (state.me.communes.length ? ` · ${state.me.communes.join(", ")}` : "");
  if (!isAdmin()) notice(t("read_only"), false);
  try {
    await views[name](view, r);
    view.setAttribute("data-loaded", name);
  } catch (e) {
    if (e.status !== 401) notice(t("failed", e.message), true);
  }
}

app.render = render;

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
window.addEventListener("hashchange", () => {
  notice("", false);
  render();
});

fetch("/console/v1/me", {credentials: "same-origin"})
    .then(res => (res.ok ? res.json() : null))
    .then(me => {
      state.me = me;
      render();
    })
    .catch(() => render());
