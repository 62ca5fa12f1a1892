// A kind's list: every item in every status, filtered by the list's own query
// parameters (from the API document) and searched by title.
"use strict";

(function (folio) {
  const { h, page, notice, statusBadge } = folio.dom;
  const { api, listAll, state: shared, Stale } = folio.api;
  const { KINDS } = folio.kinds;
  const { label, formatDate } = folio.format;
  const { listFilters } = folio.schema;

  /// The filters and search of each kind's list, kept while the console is open.
  const remembered = {};

  async function render(kind) {
    const k = KINDS[kind];
    const state = remembered[kind] || (remembered[kind] = { status: "all", search: "" });
    const controls = listFilters(shared.spec, kind).map((param) => {
      const schema = param.schema || {};
      const id = `filter-${param.name}`;
      const choices = schema.enum || (schema.type === "boolean" ? ["true", "false"] : null);
      const input = choices
        ? h("select", { id, name: param.name },
          param.name === "status" ? null : h("option", { value: "" }, "Any"),
          choices.map((c) => h("option", { value: c, selected: String(state[param.name] || "") === String(c) }, c)))
        : h("input", { id, name: param.name, type: "text", value: state[param.name] || "" });
      input.addEventListener("change", () => { state[param.name] = input.value; load(); });
      return h("label", { for: id }, label(param.name), input);
    });
    const search = h("input", { id: "search", type: "search", value: state.search, placeholder: "Title contains…" });
    const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
    page(k.plural,
      h("div", { class: "toolbar", role: "search" },
        h("label", { for: "search" }, "Search by title", search),
        controls,
        h("span", { class: "spacer" }),
        h("a", { class: "button", href: `#/${kind}/new`, id: "new-item" }, `New ${k.one}`)),
      body);
    let items = [];
    let views = {};
    const draw = () => {
      const needle = state.search.trim().toLowerCase();
      const shown = items.filter((item) => String(item[k.titleField]).toLowerCase().includes(needle));
      if (items.length === 0) {
        body.replaceChildren(h("p", { class: "empty" }, Object.entries(state).some(([n, v]) => n !== "status" && n !== "search" && v)
          ? "Nothing matches these filters."
          : h("span", {}, `No ${k.plural.toLowerCase()} yet. `, h("a", { href: `#/${kind}/new` }, `Write the first ${k.one}.`))));
        return;
      }
      if (shown.length === 0) { body.replaceChildren(h("p", { class: "empty" }, `No ${k.one} title contains “${state.search}”.`)); return; }
      body.replaceChildren(h("table", { class: "list", id: "items" },
        h("caption", { class: "visually-hidden" }, `${k.plural}, ${shown.length} shown`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, label(k.titleField)), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "wide" }, label(k.column)), h("th", { scope: "col", class: "wide" }, "Updated"),
          h("th", { scope: "col", class: "num" }, "Views"))),
        h("tbody", {}, shown.map((item) => h("tr", { "data-id": item.id },
          h("td", {}, h("a", { href: `#/${kind}/${encodeURIComponent(item.id)}` }, item[k.titleField])),
          h("td", {}, statusBadge(item.status)),
          h("td", { class: "wide" }, item[k.column] || ""),
          h("td", { class: "wide" }, formatDate(item.updatedAt)),
          h("td", { class: "num" }, (views[item.id] || 0).toLocaleString()))))));
    };
    search.addEventListener("input", () => { state.search = search.value; draw(); });
    async function load() {
      body.setAttribute("aria-busy", "true");
      const filters = Object.fromEntries(Object.entries(state).filter(([n, v]) => n !== "search" && v));
      try {
        [items, views] = await Promise.all([
          listAll(kind, filters),
          api("GET", `/v1/analytics/views/${k.viewType}`).then((r) => r.data.stats || {}),
        ]);
        draw();
      } catch (failure) {
        if (failure instanceof Stale) return;
        body.replaceChildren(notice("error", failure.message));
      } finally {
        body.removeAttribute("aria-busy");
      }
    }
    await load();
  }

  folio.list = { render };
})(globalThis.folio = globalThis.folio || {});
