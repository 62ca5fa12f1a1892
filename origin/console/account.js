// The owner's account: change the password, sign out everywhere, share the
// audience (shares.js).
"use strict";

(function (folio) {
  const { h, page, notice } = folio.dom;
  const { api, session, state, clearSession, reauthenticate, signOut } = folio.api;

  async function render() {
    const policy = state.spec.components.schemas.ChangePasswordRequest.properties.newPassword;
    const messages = h("div", { "aria-live": "polite" });
    const input = (id, text, autocomplete, hint) => h("div", { class: "field" },
      h("label", { for: id }, text),
      h("input", { id, name: id, type: "password", autocomplete, required: true, "aria-describedby": hint ? `${id}-hint` : null }),
      hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null);
    const form = h("form", { class: "fields card", id: "change-password", novalidate: true },
      h("h2", {}, "Change password"),
      input("current-password", "Current password", "current-password"),
      input("new-password", "New password", "new-password", policy.description),
      input("repeat-password", "New password again", "new-password"),
      messages,
      h("div", {}, h("button", { type: "submit", id: "change-password-submit" }, "Change password")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const current = form.elements["current-password"].value;
      const next = form.elements["new-password"].value;
      if (next !== form.elements["repeat-password"].value) {
        messages.replaceChildren(notice("error", "The two new passwords differ."));
        return;
      }
      try {
        await api("POST", "/v1/auth/password", { body: { currentPassword: current, newPassword: next } });
        clearSession();
        form.reset();
        messages.replaceChildren(notice("info", "Password changed. Every session was signed out; sign in with the new password."));
        await reauthenticate(null);
        messages.replaceChildren();
      } catch (failure) {
        messages.replaceChildren(notice("error", failure.message));
      }
    });
    page("Account",
      h("section", { class: "card" }, h("h2", {}, "Signed in"),
        h("p", {}, "As ", h("strong", {}, session.user ? session.user.email : "the owner"), "."),
        h("p", {}, "Signing out ends every session of this account, on every device."),
        h("button", { type: "button", class: "secondary", id: "sign-out-everywhere", onclick: signOut }, "Sign out everywhere")),
      form,
      folio.shares.card());
  }

  folio.account = { render };
})(globalThis.folio = globalThis.folio || {});
