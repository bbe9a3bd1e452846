// Accounts and the admin log.
import {act, api, app, el, go, PAGE, pager, said, t, table, when} from "./core.js";
import {named} from "./labels.js";

async function accountsView(view) {
  const {data} = await api("GET", "/admin/v1/accounts");
  // A password is typed into a password field, never into prompt(), which shows it in clear.
  const setPassword = a => {
    const pw = el("input", {id: "account-new-password", type: "password", autocomplete: "new-password"});
    const form =
        el("form", {class: "inline", id: "account-password-form"}, el("label", {}, t("new_password_for", a.name), pw),
           el("button", {class: "primary", type: "submit"}, t("set_password")));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      act(async () => {
        await api("POST", `/admin/v1/accounts/${encodeURIComponent(a.name)}/password`, {password: pw.value});
        app.render();
      }, t("password_set", a.name));
    });
    document.getElementById("account-result").replaceChildren(form);
    pw.focus();
  };
  view.append(
      el("h1", {}, t("accounts_title")),
      table(
          [
            {title: "name", cell: a => a.name},
            {title: "role", cell: a => t(a.role)},
            {title: "communes", cell: a => a.communes.length ? a.communes.join(", ") : t("all")},
            {title: "disabled", cell: a => a.disabled ? t("disabled") : ""},
            {title: "has_password", cell: a => a.password ? "✓" : ""},
            {title: "created_at", cell: a => when(a.created_at)},
            {
              title: "",
              cell: a => a.disabled ? "" :
                                      el("span", {},
                                         el("button",
                                            {type: "button", "data-password": a.name, onclick: () => setPassword(a)},
                                            t("set_password")),
                                         " ",
                                         el(
                                             "button", {
                                               type: "button",
                                               class: "danger",
                                               onclick:
                                                   () => {
                                                     if (!confirm(t("confirm_disable", a.name))) return;
                                                     act(async () => {
                                                       await api(
                                                           "POST",
                                                           `/admin/v1/accounts/${encodeURIComponent(a.name)}/disable`);
                                                       app.render();
                                                     });
                                                   }
                                             },
                                             t("disable")))
            },
          ],
          data));
  const name = el("input", {id: "account-name"});
  const role =
      el("select", {id: "account-role"}, el("option", {value: "viewer"}, t("viewer")),
         el("option", {value: "admin"}, t("admin")));
  const communes = el("input", {id: "account-communes", placeholder: t("communes_hint"), size: 30});
  const password = el("input", {id: "account-password", type: "password", autocomplete: "new-password"});
  const form =
      el("form", {class: "inline", id: "account-add"}, el("label", {}, t("name"), name),
         el("label", {}, t("role"), role), el("label", {}, t("communes"), communes),
         el("label", {}, t("password"), password), el("button", {class: "primary", type: "submit"}, t("add_account")));
  const result = el("div", {id: "account-result"});
  form.addEventListener("submit", ev => {
    ev.preventDefault();
    const body = {
      name: name.value.trim(),
      role: role.value,
      communes: communes.value.split(",").map(c => c.trim()).filter(Boolean)
    };
    if (password.value) body.password = password.value;
    act(async () => {
      const {data: a} = await api("POST", "/admin/v1/accounts", body);
      await app.render();
      document.getElementById("account-result")
          .replaceChildren(
              el("p", {}, t("account_added", a.name) + " " + t("token_once")), el("p", {class: "secret"}, a.token));
    });
  });
  view.append(el("h2", {}, t("add_account")), form, result);
}

async function logView(view, q) {
  const offset = Number(q.get("offset") || 0);
  const {data, total} = await api("GET", `/admin/v1/log?limit=${PAGE}&offset=${offset}`);
  view.append(
      el("h1", {}, t("log_title")),
      table(
          [
            {title: "at", cell: e => when(e.at)},
            {title: "account", cell: e => e.account},
            {title: "action", cell: e => named(said(e.action_text, e.action), e.action)},
            {title: "target", cell: e => e.target},
            {title: "detail", cell: e => said(e.detail_text, e.detail)},
          ],
          data),
      pager(offset, total, o => go("/log", {offset: o})));
}

export {accountsView, logView};
