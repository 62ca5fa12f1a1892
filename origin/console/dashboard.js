// The dashboard: visitors and views, per day and per month, the most viewed items.
"use strict";

(function (folio) {
  const { h, page } = folio.dom;
  const { api, listAll } = folio.api;
  const { KINDS } = folio.kinds;
  const { chartOrEmpty } = folio.charts;

  async function render() {
    page("Dashboard", h("p", { class: "loading", "aria-busy": "true" }, "Loading the numbers…"));
    const counts = (kind, status) =>
      api("GET", `${KINDS[kind].path}?status=${status}&limit=1`).then((r) => r.data.total);
    const [visitors, views, published, drafts, titles] = await Promise.all([
      api("GET", "/v1/visitors/count").then((r) => r.data.count),
      api("GET", "/v1/analytics/total-views").then((r) => r.data.totalViews),
      Promise.all(Object.keys(KINDS).map((k) => counts(k, "published"))),
      Promise.all(Object.keys(KINDS).map((k) => counts(k, "draft"))),
      titlesById(),
    ]);
    const sum = (values) => values.reduce((a, b) => a + b, 0);
    const stat = (name, value, id) => h("div", { class: "stat" },
      h("div", { class: "label" }, name), h("div", { class: "value", id }, value.toLocaleString()));
    const daily = h("section", { class: "card", "aria-labelledby": "daily-title" });
    const monthly = h("section", { class: "card", "aria-labelledby": "monthly-title" });
    const top = h("section", { class: "card", "aria-labelledby": "top-title" });
    page("Dashboard",
      h("div", { class: "grid" },
        stat("Visitors", visitors, "stat-visitors"),
        stat("Content views", views, "stat-views"),
        stat("Published items", sum(published), "stat-published"),
        stat("Drafts", sum(drafts), "stat-drafts")),
      daily, monthly, top);
    await Promise.all([dailyChart(daily, 30), monthlyChart(monthly), topContent(top, titles)]);
  }

  async function titlesById() {
    const titles = new Map();
    await Promise.all(Object.entries(KINDS).map(async ([kind, k]) => {
      for (const item of await listAll(kind)) titles.set(`${kind}:${item.id}`, item[k.titleField]);
    }));
    return titles;
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
      "No visitors yet. They appear here once your site calls POST /v1/visitors/track."));
  }

  async function monthlyChart(section) {
    const { data } = await api("GET", "/v1/visitors/trends/monthly?months=12");
    const points = data.trends.map((t) => ({ label: t.month, value: t.visitors, key: t.yearMonth || t.month }));
    section.replaceChildren(h("h2", { id: "monthly-title" }, "Visitors per month, last 12 months"),
      chartOrEmpty(points, "monthly", "visitors", "No visitors yet this year."));
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
