// A kind's list: every item in every status, filtered by the list's own query
// parameters (from the API document) and searched by title, a page at a time.
// `knownValues` and `pageOf` are pure and tested by node --test.
"use strict";

(function (folio) {
  const { h, page, notice, statusBadge } = folio.dom;
  const { api, listAll, state: shared, Stale } = folio.api;
  const { KINDS } = folio.kinds;
  const { label, formatDate } = folio.format;
  const { listFilters } = folio.schema;

  /// The filters and search of each kind's list, kept while the console is open.
  const remembered = {};
  /// Rows a page shows: enough to scan, few enough to reach the pager on a phone.
  const PAGE_ROWS = 25;

  /// The values items carry for a filter (`category` → item.category, `tag` →
  /// item.tags), sorted, each once (ignoring case, as the API's filters do).
  function knownValues(items, param) {
    const seen = new Map();
    for (const item of items) {
      const value = item[param] !== undefined ? item[param] : item[`${param}s`];
      for (const v of Array.isArray(value) ? value : [value]) {
        if (typeof v !== "string" || v.trim() === "") continue;
        const key = v.toLowerCase();
        if (!seen.has(key)) seen.set(key, v);
      }
    }
    return [...seen.values()].sort((a, b) => a.localeCompare(b));
  }

  /// Page `page` (0-based, clamped) of `items`: its rows, and where it sits.
  function pageOf(items, page, size = PAGE_ROWS) {
    const pages = Math.max(1, Math.ceil(items.length / size));
    const at = Math.min(Math.max(0, page), pages - 1);
    return { rows: items.slice(at * size, at * size + size), page: at, pages,
      first: items.length === 0 ? 0 : at * size + 1, last: Math.min(items.length, at * size + size) };
  }

  async function render(kind) {
    const k = KINDS[kind];
    const state = remembered[kind] || (remembered[kind] = { status: "all", search: "", page: 0 });
    page(k.plural, h("p", { class: "loading", "aria-busy": "true" }, "Loading…"));
    // Every item, unfiltered: the values the free-text filters can take.
    let everything = [];
    try {
      everything = await listAll(kind);
    } catch (failure) {
      if (failure instanceof Stale) return;
    }
    const controls = listFilters(shared.spec, kind).map((param) => {
      const schema = param.schema || {};
      const id = `filter-${param.name}`;
      const known = schema.type === "string" && !schema.enum ? knownValues(everything, param.name) : [];
      if (known.length > 0 && state[param.name] && !known.includes(state[param.name])) known.push(state[param.name]);
      const choices = schema.enum || (schema.type === "boolean" ? ["true", "false"] : null)
        || (known.length > 0 ? known : null);
      const input = choices
        ? h("select", { id, name: param.name },
          param.name === "status" ? null : h("option", { value: "" }, "Any"),
          choices.map((c) => h("option", { value: c, selected: String(state[param.name] || "") === String(c) }, c)))
        : h("input", { id, name: param.name, type: "text", value: state[param.name] || "" });
      input.addEventListener("change", () => { state[param.name] = input.value; state.page = 0; load(); });
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
        body.replaceChildren(h("p", { class: "empty" }, Object.entries(state).some(([n, v]) => !["status", "search", "page"].includes(n) && v)
          ? "Nothing matches these filters."
          : h("span", {}, `No ${k.plural.toLowerCase()} yet. `, h("a", { href: `#/${kind}/new` }, `Write the first ${k.one}.`))));
        return;
      }
      if (shown.length === 0) { body.replaceChildren(h("p", { class: "empty" }, `No ${k.one} title contains “${state.search}”.`)); return; }
      const at = pageOf(shown, state.page);
      state.page = at.page;
      const go = (page) => () => { state.page = page; draw(); body.scrollIntoView({ block: "start" }); };
      const pager = at.pages === 1 ? null : h("nav", { class: "pager", "aria-label": "Pages" },
        h("button", { type: "button", class: "secondary", id: "page-previous", disabled: at.page === 0 ? true : null,
          onclick: go(at.page - 1) }, "← Previous"),
        h("span", { id: "page-position", "aria-live": "polite" }, `${at.first}–${at.last} of ${shown.length}`),
        h("button", { type: "button", class: "secondary", id: "page-next", disabled: at.page === at.pages - 1 ? true : null,
          onclick: go(at.page + 1) }, "Next →"));
      body.replaceChildren(h("table", { class: "list", id: "items" },
        h("caption", { class: "visually-hidden" }, `${k.plural}, ${at.first} to ${at.last} of ${shown.length}`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, label(k.titleField)), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "wide" }, label(k.column)), h("th", { scope: "col", class: "wide" }, "Updated"),
          h("th", { scope: "col", class: "num" }, "Views"))),
        h("tbody", {}, at.rows.map((item) => h("tr", { "data-id": item.id },
          h("td", {}, h("a", { href: `#/${kind}/${encodeURIComponent(item.id)}` }, item[k.titleField])),
          h("td", {}, statusBadge(item.status)),
          h("td", { class: "wide" }, item[k.column] || ""),
          h("td", { class: "wide" }, formatDate(item.updatedAt)),
          h("td", { class: "num" }, (views[item.id] || 0).toLocaleString()))))), ...(pager ? [pager] : []));
    };
    search.addEventListener("input", () => { state.search = search.value; state.page = 0; draw(); });
    async function load() {
      body.setAttribute("aria-busy", "true");
      const filters = Object.fromEntries(Object.entries(state).filter(([n, v]) => n !== "search" && n !== "page" && v));
      try {
        const unfiltered = Object.entries(filters).every(([n, v]) => n === "status" && v === "all");
        [items, views] = await Promise.all([
          unfiltered ? everything : listAll(kind, filters),
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

  folio.list = { render, knownValues, pageOf, PAGE_ROWS };
})(globalThis.folio = globalThis.folio || {});
