// The owner's redirects: old addresses of the site and where they lead now
// (GET /v1/redirects is what the frontend reads and applies).
"use strict";

(function (folio) {
  const { h, page, notice, toast } = folio.dom;
  const { api, Stale } = folio.api;

  async function render() {
    const list = h("div", { id: "redirects" }, h("p", { class: "loading" }, "Loading…"));
    const messages = h("div", { "aria-live": "polite" });
    const field = (id, text, hint) => h("div", { class: "field" },
      h("label", { for: id }, text),
      h("input", { id, name: id, type: "text", required: true, "aria-describedby": `${id}-hint` }),
      h("div", { class: "hint", id: `${id}-hint` }, hint));
    const form = h("form", { class: "fields card", id: "redirect-form", novalidate: true },
      h("h2", {}, "Add a redirect"),
      field("redirect-from", "Old address", "A path of your site, like /blog/2019/05/old-name"),
      field("redirect-to", "New address", "A path of your site, or a full https:// address"),
      messages,
      h("div", {}, h("button", { type: "submit", id: "redirect-add" }, "Add redirect")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api("PUT", "/v1/redirects", {
          body: { from: form.elements["redirect-from"].value, to: form.elements["redirect-to"].value },
        });
        form.reset();
        messages.replaceChildren();
        toast("Redirect added.");
        await load();
      } catch (failure) {
        if (failure instanceof Stale) return;
        const issue = failure.body && failure.body.details;
        messages.replaceChildren(notice("error", issue ? `${issue.field === "to" ? "New" : "Old"} address ${issue.issue}.` : failure.message));
      }
    });
    async function load() {
      const { data } = await api("GET", "/v1/redirects");
      if (data.redirects.length === 0) {
        list.replaceChildren(h("p", { class: "empty" }, "No redirects yet. Add one when an address of your site changes."));
        return;
      }
      list.replaceChildren(h("table", { class: "list" },
        h("thead", {}, h("tr", {}, h("th", {}, "Old address"), h("th", {}, "Leads to"), h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, data.redirects.map((r) => h("tr", { "data-from": r.from },
          h("td", {}, r.from), h("td", {}, r.to),
          h("td", {}, h("button", { type: "button", class: "secondary", onclick: async () => {
            await api("DELETE", `/v1/redirects/${encodeURIComponent(r.id)}`);
            toast(`Redirect from ${r.from} deleted.`);
            await load();
          } }, "Delete")))))));
    }
    page("Redirects",
      h("p", {}, "Old addresses of your site and where they lead now. Your frontend reads them from ",
        h("code", {}, "GET /v1/redirects"), " and answers each old address with a 301. A chain is kept as one hop."),
      h("section", { class: "card" }, list), form);
    await load();
  }

  folio.redirects = { render };
})(globalThis.folio = globalThis.folio || {});
