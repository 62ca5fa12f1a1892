// Building the page: elements, notices, toasts, page titles.
"use strict";

(function (folio) {
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  const $ = (id) => document.getElementById(id);
  const main = () => $("main");

  function toast(message) {
    const el = $("toast");
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function notice(kind, message, ...actions) {
    return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
      h("div", {}, message), actions.length ? h("div", { class: "actions" }, actions) : null);
  }

  function statusBadge(status) {
    const names = { published: "Published", scheduled: "Scheduled", draft: "Draft" };
    return h("span", { class: `badge ${status}` }, names[status] || status);
  }

  /// Replaces the page with `title` and `children`, focusing the heading.
  function page(title, ...children) {
    document.title = `${title} · folio console`;
    const heading = h("h1", { tabindex: -1 }, title);
    main().replaceChildren(heading, ...children);
    heading.focus({ preventScroll: true });
  }

  /// Asks before an action; `action` names its button ("Delete" unless said).
  function confirmDialog(title, text, action = "Delete") {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    $("confirm-ok").textContent = action;
    $("confirm-ok").className = action === "Delete" ? "danger" : "";
    dialog.returnValue = "cancel";
    dialog.showModal();
    $("confirm-cancel").focus();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    });
  }

  folio.dom = { h, $, main, toast, notice, statusBadge, page, confirmDialog };
})(globalThis.folio = globalThis.folio || {});
