// Signing in.
import {api, app, el, notice, state, t} from "./core.js";

function signInView(view) {
  const name = el("input", {id: "signin-name", autocomplete: "username", required: true});
  const password =
      el("input", {id: "signin-password", type: "password", autocomplete: "current-password", required: true});
  const form = el(
      "form", {class: "signin", id: "signin"}, el("h1", {}, "Nối — " + t("sign_in")), el("label", {}, t("name"), name),
      el("label", {}, t("password"), password), el("button", {class: "primary", type: "submit"}, t("sign_in")));
  // One sign-in at a time: the server checks one per address and refuses a second meanwhile.
  let signingIn = false;
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    if (signingIn) return;
    signingIn = true;
    try {
      const r = await api("POST", "/console/v1/sign-in", {name: name.value, password: password.value});
      state.me = r.data;
      notice("", false);
      app.render();
    } catch (e) {
      // Past the address's budget even the right password is refused until it refills: say
      // so, or the admin would take a right password for a wrong one.
      const why = e.status === 401 ? t("wrong_password") :
          e.status === 429         ? t("sign_in_later", e.retryAfter) :
          e.status === 503         ? t("sign_in_busy") :
                                     t("failed", e.message);
      notice(why, true);
    } finally {
      signingIn = false;
    }
  });
  view.append(form);
}

export {signInView};
