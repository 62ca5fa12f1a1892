// The folio owner's console: sign in, write, publish, watch the numbers. This
// file routes between the views (one script each: dashboard, list, editor,
// search, account…) and boots the page; the scripts before it in index.html define them.
"use strict";

(function (folio) {
  const { h, $, main, notice } = folio.dom;
  const { api, state, Stale, newGeneration, refreshSession, reauthenticate, submitSignIn, signOut, showChrome } = folio.api;
  const { KINDS } = folio.kinds;

  /// `#/<section>/<id>` → the view. A fragment that does not decode (`%E0%A4%A`)
  /// names no item: the list of its section.
  function parseRoute(hash) {
    const [section = "dashboard", raw] = hash.replace(/^#\/?/, "").split("/");
    let id = null;
    if (raw) {
      try { id = decodeURIComponent(raw); } catch { id = null; }
    }
    return { section: section || "dashboard", id };
  }

  function route() {
    const { section, id } = parseRoute(location.hash);
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.section === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    state.leaveGuard = null;
    newGeneration();
    const others = {
      account: () => folio.account.render(),
      redirects: () => folio.redirects.render(),
      search: () => folio.search.render(id),
      trash: () => folio.history.renderTrash(),
    };
    // Own keys only: `#/constructor` names no view.
    const view = Object.hasOwn(KINDS, section)
      ? (id ? folio.editor.render(section, id === "new" ? null : id) : folio.list.render(section))
      : (Object.hasOwn(others, section) ? others[section] : () => folio.dashboard.render())();
    view.catch((failure) => {
      if (failure instanceof Stale) return;
      main().replaceChildren(h("h1", { tabindex: -1 }, "Something went wrong"), notice("error", failure.message));
    });
  }

  async function boot() {
    // A view the owner left may still finish its requests: that is not an error.
    window.addEventListener("unhandledrejection", (event) => {
      if (event.reason instanceof Stale) event.preventDefault();
    });
    $("sign-in-form").addEventListener("submit", submitSignIn);
    // Without a session there is nothing behind the dialog to go back to.
    $("sign-in").addEventListener("cancel", (event) => event.preventDefault());
    $("sign-out").addEventListener("click", signOut);
    // The routes live in the fragment, so the skip link moves focus itself.
    document.querySelector(".skip").addEventListener("click", (event) => {
      event.preventDefault();
      main().focus();
    });
    window.addEventListener("hashchange", (event) => {
      if (state.leaveGuard && state.leaveGuard() && !window.confirm("Leave without saving your changes?")) {
        history.replaceState(null, "", new URL(event.oldURL).hash);
        return;
      }
      route();
    });
    window.addEventListener("beforeunload", (event) => {
      if (state.leaveGuard && state.leaveGuard()) event.preventDefault();
    });
    try {
      state.spec = (await api("GET", "/v1/openapi.json", { auth: false })).data;
    } catch (failure) {
      main().replaceChildren(notice("error", `The API did not answer: ${failure.message}`));
      return;
    }
    $("boot").remove();
    // A share link's page needs no account: it never asks anyone to sign in.
    const opened = parseRoute(location.hash);
    if (opened.section === "shared") {
      showChrome(false);
      folio.shares.render(opened.id || "").catch((failure) => {
        main().replaceChildren(notice("error", failure.message));
      });
      return;
    }
    try {
      await refreshSession();
      showChrome(true);
    } catch {
      await reauthenticate(null);
    }
    route();
  }

  folio.app = { route, parseRoute };
  if (typeof document !== "undefined") boot();
})(globalThis.folio = globalThis.folio || {});
