// The dashboard: visitors and views, per day and per month, where visitors come
// from (audience.js), the most viewed items, what is published of each kind, and
// what goes out next.
"use strict";

(function (folio) {
  const { h, page } = folio.dom;
  const { api, listAll } = folio.api;
  const { KINDS } = folio.kinds;
  const { chartOrEmpty } = folio.charts;
  const { formatDate } = folio.format;
  const { card: audienceCard } = folio.audience;

  async function render() {
    page("Dashboard", h("p", { class: "loading", "aria-busy": "true" }, "Loading the numbers…"));
    const counts = (kind, status) =>
      api("GET", `${KINDS[kind].path}?status=${status}&limit=1`).then((r) => r.data.total);
    const [visitors, views, published, drafts, all] = await Promise.all([
      api("GET", "/v1/visitors/count").then((r) => r.data.count),
      api("GET", "/v1/analytics/total-views").then((r) => r.data.totalViews),
      Promise.all(Object.keys(KINDS).map((k) => counts(k, "published"))),
      Promise.all(Object.keys(KINDS).map((k) => counts(k, "draft"))),
      everyItem(),
    ]);
    const titles = new Map(all.map(({ kind, item }) => [`${kind}:${item.id}`, item[KINDS[kind].titleField]]));
    const upcoming = scheduled(all);
    const sum = (values) => values.reduce((a, b) => a + b, 0);
    const stat = (name, value, id, href) => h("div", { class: "stat" },
      h("div", { class: "label" }, href ? h("a", { href }, name) : name),
      h("div", { class: "value", id }, value.toLocaleString()));
    const daily = h("section", { class: "card", "aria-labelledby": "daily-title" });
    const monthly = h("section", { class: "card", "aria-labelledby": "monthly-title" });
    const top = h("section", { class: "card", "aria-labelledby": "top-title" });
    const audience = h("section", { class: "card", "aria-labelledby": "audience-title" });
    page("Dashboard",
      h("div", { class: "grid" },
        stat("Visitors", visitors, "stat-visitors"),
        stat("Content views", views, "stat-views"),
        Object.keys(KINDS).map((kind, i) =>
          stat(`Published ${KINDS[kind].plural.toLowerCase()}`, published[i], `stat-published-${kind}`, `#/${kind}`)),
        stat("Scheduled", upcoming.length, "stat-scheduled"),
        stat("Drafts", sum(drafts), "stat-drafts")),
      scheduledCard(upcoming), daily, audience, monthly, top);
    await Promise.all([dailyChart(daily, 30), audienceCard(audience, 30, titles), monthlyChart(monthly), topContent(top, titles)]);
  }

  /// Every item of every kind, with its kind.
  async function everyItem() {
    const lists = await Promise.all(Object.keys(KINDS).map(async (kind) =>
      (await listAll(kind)).map((item) => ({ kind, item }))));
    return lists.flat();
  }

  /// The scheduled items, soonest first.
  function scheduled(all) {
    return all.filter(({ item }) => item.status === "scheduled")
      .sort((a, b) => String(a.item.publishAt).localeCompare(String(b.item.publishAt)));
  }

  function scheduledCard(upcoming) {
    const title = h("h2", { id: "scheduled-title" }, "Going out next");
    const section = h("section", { class: "card", "aria-labelledby": "scheduled-title" }, title);
    if (upcoming.length === 0) {
      section.append(h("p", { class: "empty", id: "scheduled-empty" },
        "Nothing is scheduled. Schedule a draft from its editor (Publish later)."));
      return section;
    }
    section.append(h("table", { class: "list", id: "scheduled" },
      h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Type"), h("th", {}, "Publishes"))),
      h("tbody", {}, upcoming.map(({ kind, item }) => h("tr", {},
        h("td", {}, h("a", { href: `#/${kind}/${encodeURIComponent(item.id)}` }, item[KINDS[kind].titleField])),
        h("td", {}, KINDS[kind].one),
        h("td", { class: "when" }, formatDate(item.publishAt)))))));
    return section;
  }

  async function dailyChart(section, days) {
    const buttons = [7, 30, 90].map((n) => h("button", {
      type: "button", "aria-pressed": String(n === days),
      onclick: () => dailyChart(section, n),
    }, `${n} days`));
    const head = h("div", { class: "chart-head" },
      h("h2", { id: "daily-title" }, `Visitors per day, last ${days} days`),
      h("div", { class: "segmented", role: "group", "aria-label": "Period" }, buttons));
    section.replaceChildren(head, h("p", { class: "loading" }, "Loading…"));
    const { data } = await api("GET", `/v1/visitors/trends/daily?days=${days}`);
    const points = data.trends.map((t) => ({ label: t.date, value: t.visitors, key: t.day || t.date }));
    section.replaceChildren(head, chartOrEmpty(points, "daily", "visitors",
      "No visitors yet. They appear here once your site calls POST /v1/visitors/track.", inner(section)));
  }

  /// The width inside a card, for a chart drawn at its real size.
  const inner = (section) => {
    const style = getComputedStyle(section);
    return section.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  };

  async function monthlyChart(section) {
    const { data } = await api("GET", "/v1/visitors/trends/monthly?months=12");
    const points = data.trends.map((t) => ({ label: t.month, value: t.visitors, key: t.yearMonth || t.month }));
    section.replaceChildren(h("h2", { id: "monthly-title" }, "Visitors per month, last 12 months"),
      chartOrEmpty(points, "monthly", "visitors", "No visitors yet this year.", inner(section)));
  }

  async function topContent(section, titles) {
    const { data } = await api("GET", "/v1/analytics/top-content?limit=10");
    const rows = [["blog", data.blogs], ["project", data.projects], ["certification", data.certifications]]
      .flatMap(([kind, stats]) => (stats || []).map((s) => ({ kind, ...s })))
      .filter((s) => s.views > 0)
      .sort((a, b) => b.views - a.views);
    const title = h("h2", { id: "top-title" }, "Most viewed");
    if (rows.length === 0) {
      section.replaceChildren(title, h("p", { class: "empty" },
        "No views yet. They appear here once your site calls POST /v1/analytics/track for an item."));
      return;
    }
    section.replaceChildren(title, h("table", { class: "list", id: "top-content" },
      h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Type"), h("th", { class: "num" }, "Views"))),
      h("tbody", {}, rows.map((r) => {
        const name = titles.get(`${r.kind}:${r.contentId}`);
        return h("tr", {},
          h("td", {}, name ? h("a", { href: `#/${r.kind}/${encodeURIComponent(r.contentId)}` }, name) : h("span", {}, "(deleted item)")),
          h("td", {}, KINDS[r.kind].one),
          h("td", { class: "num" }, r.views.toLocaleString()));
      }))));
  }

  folio.dashboard = { render };
})(globalThis.folio = globalThis.folio || {});
