// The dashboard's audience card: the period's visitors, views, reads and time on
// page beside the period before; who is here now; what was read; where visitors
// came from (sources, with the pages that linked, and campaigns), from where and
// on what. Any value narrows every table to its visits ("from LinkedIn"); every
// table downloads as CSV.
"use strict";

(function (folio) {
  const { h } = folio.dom;
  const { api, state } = folio.api;
  const { KINDS } = folio.kinds;

  /// The periods offered: days, label.
  const PERIODS = [[1, "Today"], [7, "7 days"], [30, "30 days"], [90, "90 days"], [365, "12 months"]];
  const DAY_MS = 86400000;

  /// The longest period and the furthest end the API takes (`days`, `offset`),
  /// as its document gives them.
  function periodLimits(spec) {
    const params = spec.paths["/visitors/audience"].get.parameters;
    const max = (name) => params.find((p) => p.name === name).schema.maximum;
    return { days: max("days"), offset: max("offset") };
  }

  /// A custom range of two dates (`YYYY-MM-DD`, inclusive, UTC) as the API's
  /// `days` and `offset` from `today`, or `{ error }` saying what is wrong.
  function rangeQuery(from, to, today, limits) {
    const parse = (text) => (/^\d{4}-\d{2}-\d{2}$/.test(text || "") ? Date.parse(`${text}T00:00:00Z`) : NaN);
    const [start, end, now] = [parse(from), parse(to), parse(today)];
    if (Number.isNaN(start) || Number.isNaN(end)) return { error: "Choose a first and a last day." };
    if (start > end) return { error: "The first day comes after the last." };
    if (end > now) return { error: "The last day is in the future." };
    const days = Math.round((end - start) / DAY_MS) + 1;
    const offset = Math.round((now - end) / DAY_MS);
    if (days > limits.days) return { error: `A range is at most ${limits.days} days.` };
    if (offset > limits.offset) return { error: `The last day is at most ${limits.offset} days ago.` };
    return { days, offset };
  }

  /// Today's date in UTC (the API's days are UTC days).
  const utcToday = () => new Date().toISOString().slice(0, 10);

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

  /// The audience's address for a period and a filter (`{ table: value }`: every
  /// table narrowed to the visits that had each value).
  function audienceQuery(days, offset, filter = {}) {
    const base = `/v1/visitors/audience?days=${days}&offset=${offset}`;
    return Object.keys(filter).length ? `${base}&q=${encodeURIComponent(JSON.stringify(filter))}` : base;
  }

  /// `filter` with `table` narrowed to `value` (a new object).
  const narrowTo = (filter, table, value) => ({ ...filter, [table]: value });
  /// `filter` without `table`'s value.
  function widen(filter, table) {
    const rest = { ...filter };
    delete rest[table];
    return rest;
  }
  /// Values that name no single value (a capped day's rest, the shown table's rest).
  const pickable = (value) => value !== "Others" && value !== "(other)";

  /// A source's referring pages, for the drill-down under the sources table.
  function pagesOf(referrers, source) {
    return referrers.filter((r) => r.source === source).map((r) => ({ value: r.page, visitors: r.visitors }));
  }

  /// How a number moved against the period before: "+25 %", "−10 %", "new", "".
  function change(now, before) {
    if (now === null || before === null || now === undefined || before === undefined) return "";
    if (before === 0) return now === 0 ? "" : "new";
    const percent = Math.round(((now - before) / before) * 100);
    if (percent === 0) return "±0 %";
    return `${percent > 0 ? "+" : "−"}${Math.abs(percent)} %`;
  }

  /// Seconds as a person reads them: "45 s", "2 min 5 s", "—" for none.
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds < 60) return `${seconds} s`;
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return s ? `${m} min ${s} s` : `${m} min`;
  }

  /// Rows as CSV (RFC 4180): a header line, then one line per row; a value with a
  /// comma, a quote or a line break is quoted, and one starting with = + - @ is
  /// prefixed with ' so a spreadsheet never runs it as a formula.
  function csv(columns, rows) {
    const cell = (v) => {
      let text = v === null || v === undefined ? "" : String(v);
      if (/^[=+\-@]/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    };
    return [columns.map(([, title]) => cell(title)).join(",")]
      .concat(rows.map((r) => columns.map(([field]) => cell(r[field])).join(",")))
      .join("\r\n") + "\r\n";
  }

  /// A button that saves `rows` as `<name>.csv`.
  function download(name, columns, rows) {
    return h("button", {
      type: "button", class: "link csv", "aria-label": `Download ${name} as CSV`,
      onclick: () => {
        const url = URL.createObjectURL(new Blob([csv(columns, rows)], { type: "text/csv" }));
        const a = h("a", { href: url, download: `${name}.csv` });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      },
    }, "CSV");
  }

  function table(id, column, rows, onpick) {
    return h("table", { class: "list compact", id },
      h("thead", {}, h("tr", {}, h("th", {}, column), h("th", { class: "num" }, "Visitors"))),
      h("tbody", {}, shown(rows).map((r) => h("tr", {},
        h("td", {}, onpick && pickable(r.value)
          ? h("button", { type: "button", class: "link", title: `Only visits with ${column.toLowerCase()} ${r.value}`,
            onclick: () => onpick(r.value) }, r.value)
          : r.value),
        h("td", { class: "num" }, r.visitors.toLocaleString())))));
  }

  /// The filter's values, each a button that takes it away, and what a filter
  /// does not narrow.
  function filterBar(data, filter, onwiden) {
    const tables = Object.keys(filter);
    if (!tables.length) return null;
    const column = (field) => (TABLES.find(([f]) => f === field) || [field, field, field])[2];
    const notes = ["Time on page is not broken down by a filter."];
    if (data.notBrokenDown) {
      notes.push(`${data.notBrokenDown.toLocaleString()} visits of the period cannot be filtered ` +
        "(on a day with more different kinds of visit than are kept, or counted before filters existed).");
    }
    return h("div", { class: "filters", id: "audience-filters" },
      h("span", { class: "muted" }, "Only visits with "),
      tables.map((field) => h("button", {
        type: "button", class: "chip", "aria-label": `Remove the filter ${column(field)} ${filter[field]}`,
        onclick: () => onwiden(field),
      }, `${column(field)}: ${filter[field]} `, h("span", { "aria-hidden": "true" }, "×"))),
      h("p", { class: "muted" }, notes.join(" ")));
  }

  /// The period's totals, each with its move against the period before.
  function totals(data, days) {
    const now = data.totals, before = data.previous.totals;
    const label = days === 1 ? "yesterday" : `the ${days} days before`;
    const tile = (name, field, id, text = (v) => v.toLocaleString()) => h("div", { class: "stat" },
      h("div", { class: "label" }, name),
      h("div", { class: "value", id }, text(now[field])),
      h("div", { class: "change", title: `${text(before[field])} ${label}` }, change(now[field], before[field])));
    return h("div", { class: "grid totals" },
      tile("Visitors", "visitors", "audience-visitors"),
      tile("Views", "views", "audience-views"),
      tile("Reads", "reads", "audience-reads"),
      tile("Median time on page", "medianSeconds", "audience-time", duration));
  }

  /// The share of visits left out as bots or spam, or nothing when none were.
  function filteredNote(data) {
    const left = data.filtered.reduce((n, r) => n + r.visitors, 0);
    if (left === 0) return null;
    const all = left + data.totals.visitors;
    const why = data.filtered.map((r) => `${r.visitors.toLocaleString()} ${r.value.toLowerCase()}`).join(", ");
    return h("p", { class: "muted", id: "audience-filtered" },
      `${Math.round((100 * left) / all)} % of visits were left out of these numbers (${why}).`);
  }

  function contentTable(data, titles, linked = true) {
    const rows = data.content.map((c) => ({
      title: titles.get(`${c.contentType}:${c.contentId}`) || "(deleted item)",
      type: KINDS[c.contentType] ? KINDS[c.contentType].one : c.contentType,
      ...c,
    }));
    const columns = [["title", "Title"], ["type", "Type"], ["views", "Views"], ["reads", "Reads"], ["medianSeconds", "Median seconds"]];
    return h("div", { class: "audience-table wide" },
      h("h3", {}, "What they read ", download("content", columns, rows)),
      h("table", { class: "list compact", id: "audience-content" },
        h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", { class: "num" }, "Views"),
          h("th", { class: "num" }, "Reads"), h("th", { class: "num" }, "Time on page"))),
        h("tbody", {}, rows.map((r) => h("tr", {},
          h("td", {}, linked && titles.has(`${r.contentType}:${r.contentId}`)
            ? h("a", { href: `#/${r.contentType}/${encodeURIComponent(r.contentId)}` }, r.title) : r.title),
          h("td", { class: "num" }, r.views.toLocaleString()),
          h("td", { class: "num" }, r.reads.toLocaleString()),
          h("td", { class: "num" }, duration(r.medianSeconds)))))));
  }

  /// Who is here now, refreshed every 30 seconds while the line is on the page.
  function live() {
    const count = h("strong", { id: "audience-live" }, "…");
    const what = h("span", {}, " visitors in the last 5 minutes");
    const line = h("p", { class: "live" }, h("span", { class: "dot", "aria-hidden": "true" }), count, what);
    // Stops once the line leaves the page (another period, another view).
    const refresh = async (first) => {
      if (!first && !line.isConnected) return;
      const { data } = await api("GET", "/v1/visitors/live");
      count.textContent = data.visitors.toLocaleString();
      what.textContent = data.visitors === 1 ? " visitor in the last 5 minutes" : " visitors in the last 5 minutes";
      setTimeout(() => refresh(false).catch(() => { count.textContent = "?"; }), 30000);
    };
    refresh(true).catch(() => { count.textContent = "?"; });
    return line;
  }

  /// The custom range's form: two dates and Show; shows the card for them.
  function rangeForm(section, titles, range, filter, shared) {
    const today = utcToday();
    const input = (name, label, value) => h("label", {}, label,
      h("input", { type: "date", name, value: value || "", max: today, required: true }));
    const problem = h("p", { class: "error", role: "alert", id: "audience-range-error" });
    return h("form", {
      class: "range", id: "audience-range",
      onsubmit: (event) => {
        event.preventDefault();
        const form = event.target;
        // The card refuses a wrong range before it replaces anything: its
        // message stays here, beside the dates.
        const wanted = { from: form.elements.from.value, to: form.elements.to.value };
        card(section, wanted, titles, filter, shared).catch((e) => { problem.textContent = e.message; });
      },
    }, input("from", "From ", range && range.from), input("to", " to ", range && range.to),
    h("button", { type: "submit" }, "Show"), problem);
  }

  /// The audience card for a period: a number of days to today, or a custom
  /// range `{ from, to }` of two dates.
  /// `shared`: a share link's token, for the read-only page that opens it (no
  /// live count, no links into the owner's editor).
  async function card(section, period = 30, titles = new Map(), filter = {}, shared = null) {
    const custom = typeof period === "object";
    const query = custom ? rangeQuery(period.from, period.to, utcToday(), periodLimits(state.spec))
      : { days: period, offset: 0 };
    if (query.error) throw new Error(query.error);
    const days = query.days;
    const buttons = PERIODS.map(([n, label]) => h("button", {
      type: "button", "aria-pressed": String(n === period), onclick: () => card(section, n, titles, filter, shared),
    }, label));
    const form = custom ? rangeForm(section, titles, period, filter, shared) : null;
    buttons.push(h("button", {
      type: "button", "aria-pressed": String(custom), "aria-expanded": String(custom),
      onclick: () => {
        if (head.querySelector("#audience-range")) return;
        head.append(rangeForm(section, titles, null, filter, shared));
        head.querySelector("#audience-range input").focus();
      },
    }, "Custom"));
    const name = PERIODS.find(([n]) => n === period)?.[1] || `${days} days`;
    const title = custom ? `Audience, ${period.from} to ${period.to}`
      : days === 1 ? "Audience today" : `Audience, last ${name}`;
    const head = h("div", { class: "chart-head" },
      h("h2", { id: "audience-title" }, title),
      h("div", { class: "segmented", role: "group", "aria-label": "Period" }, buttons), form);
    section.replaceChildren(head, h("p", { class: "loading" }, "Loading…"));
    const address = audienceQuery(days, query.offset, filter);
    const { data } = shared
      ? await api("GET", address.replace("/v1/visitors/", `/v1/shared/${encodeURIComponent(shared)}/`), { auth: false })
      : await api("GET", address);
    const again = (next) => card(section, period, titles, next, shared);
    // Who is here now belongs to a period that ends today (and to the owner).
    const top = [head, query.offset === 0 && !shared ? live() : null, filterBar(data, filter, (field) => again(widen(filter, field))),
      totals(data, days), filteredNote(data)].filter(Boolean);
    if (data.sources.length === 0 && data.content.length === 0 && !Object.keys(filter).length) {
      section.replaceChildren(...top, h("p", { class: "empty", id: "audience-empty" },
        "No visits in this period. Add folio's tracking script to your site's pages " +
        "(<script src=\"…/v1/tracker/4.js\" async>) to see where readers come from and what they read."));
      return;
    }
    // Filtered to a source, the pages that linked from it show under its table.
    const source = filter.sources;
    const pages = source ? pagesOf(data.referrers, source) : [];
    const drill = source ? h("div", { id: "audience-pages" }, h("h3", {}, `Pages that linked from ${source}`),
      pages.length ? table("audience-referrers", "Page", pages)
        : h("p", { class: "empty" }, "No referring page: these visits came with a campaign or without a referrer.")) : null;
    // Any value narrows every table to its visits; a table already narrowed
    // shows its one value.
    const tables = TABLES.filter(([field]) => field === "sources" || data[field].length > 0)
      .map(([field, title, column]) => h("div", { class: "audience-table" },
        h("h3", {}, `${title} `, download(field, [["value", column], ["visitors", "Visitors"]], data[field])),
        table(`audience-${field}`, column, data[field], filter[field] ? null : (value) => again(narrowTo(filter, field, value))),
        field === "sources" ? drill : null));
    const content = data.content.length ? contentTable(data, titles, !shared) : null;
    section.replaceChildren(...top, h("div", { class: "audience" }, content, tables));
  }

  folio.audience = { card, shown, pagesOf, change, duration, csv, rangeQuery, periodLimits, audienceQuery, narrowTo, widen };
})(globalThis.folio = globalThis.folio || {});
