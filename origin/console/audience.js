// The dashboard's audience card: where visitors came from (sources, with the pages
// that linked, and campaigns), from where and on what, over a period.
"use strict";

(function (folio) {
  const { h } = folio.dom;
  const { api } = folio.api;

  /// The tables of the card: the answer's field, the heading, the column's name.
  const TABLES = [
    ["sources", "Sources", "Source"],
    ["countries", "Countries", "Country"],
    ["devices", "Devices", "Device"],
    ["browsers", "Browsers", "Browser"],
    ["operatingSystems", "Operating systems", "System"],
    ["landingPages", "Landing pages", "Page"],
    ["utmCampaigns", "Campaigns", "Campaign"],
    ["utmMediums", "Campaign media", "Medium"],
  ];
  const ROWS = 8;

  /// The rows a table shows: the first `ROWS`, the rest summed as "Others".
  function shown(rows) {
    if (rows.length <= ROWS) return rows;
    const rest = rows.slice(ROWS - 1).reduce((n, r) => n + r.visitors, 0);
    return rows.slice(0, ROWS - 1).concat([{ value: "Others", visitors: rest }]);
  }

  /// A source's referring pages, for the drill-down under the sources table.
  function pagesOf(referrers, source) {
    return referrers.filter((r) => r.source === source).map((r) => ({ value: r.page, visitors: r.visitors }));
  }

  function table(id, column, rows, onpick) {
    return h("table", { class: "list compact", id },
      h("thead", {}, h("tr", {}, h("th", {}, column), h("th", { class: "num" }, "Visitors"))),
      h("tbody", {}, shown(rows).map((r) => h("tr", {},
        h("td", {}, onpick && r.value !== "Others"
          ? h("button", { type: "button", class: "link", onclick: () => onpick(r.value) }, r.value)
          : r.value),
        h("td", { class: "num" }, r.visitors.toLocaleString())))));
  }

  async function card(section, days = 30) {
    const buttons = [7, 30, 90].map((n) => h("button", {
      type: "button", "aria-pressed": String(n === days), onclick: () => card(section, n),
    }, `${n} days`));
    const head = h("div", { class: "chart-head" },
      h("h2", { id: "audience-title" }, `Where visitors come from, last ${days} days`),
      h("div", { class: "segmented", role: "group", "aria-label": "Period" }, buttons));
    section.replaceChildren(head, h("p", { class: "loading" }, "Loading…"));
    const { data } = await api("GET", `/v1/visitors/audience?days=${days}`);
    if (data.sources.length === 0) {
      section.replaceChildren(head, h("p", { class: "empty", id: "audience-empty" },
        "No visits in this period. Sources, countries and devices appear here for visits your site tracks " +
        "with POST /v1/visitors/track (send the referrer and the page's URL to see where readers come from)."));
      return;
    }
    const drill = h("div", { id: "audience-pages" });
    const pick = (source) => {
      const pages = pagesOf(data.referrers, source);
      drill.replaceChildren(h("h3", {}, `Pages that linked from ${source}`),
        pages.length ? table("audience-referrers", "Page", pages)
          : h("p", { class: "empty" }, "No referring page: these visits came with a campaign or without a referrer."));
    };
    const tables = TABLES.filter(([field]) => field === "sources" || data[field].length > 0)
      .map(([field, title, column]) => h("div", { class: "audience-table" },
        h("h3", {}, title),
        table(`audience-${field}`, column, data[field], field === "sources" ? pick : null),
        field === "sources" ? drill : null));
    section.replaceChildren(head, h("div", { class: "audience" }, tables));
  }

  folio.audience = { card, shown, pagesOf };
})(globalThis.folio = globalThis.folio || {});
