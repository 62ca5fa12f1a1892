// Bar charts of the visitor numbers: an SVG with a table of the same numbers for
// screen readers. `scale` (the axis) is pure and tested by node --test.
"use strict";

(function (folio) {
  /// The y axis for values up to `max`: four gridlines at a round step (1, 2 or
  /// 5 × 10ⁿ, whole numbers) whose top is at or above the peak.
  function scale(max) {
    const peak = Math.max(1, max);
    const power = Math.pow(10, Math.floor(Math.log10(peak / 4)));
    const tick = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((t) => t * 4 >= peak));
    return { tick, ceiling: tick * 4 };
  }

  /// Which of `count` bars get a label under them: at most `most`, evenly.
  const labelEvery = (count, most = 12) => Math.max(1, Math.ceil(count / Math.max(1, most)));

  /// The drawing's width for a box `available` pixels wide: drawn at its real
  /// size, so its 11-pixel labels are 11 pixels on a phone too.
  const chartWidth = (available) => Math.round(Math.min(720, Math.max(280, available || 720)));

  /// The chart, or a sentence when every value is zero.
  function chartOrEmpty(points, name, unit, emptyText, available) {
    const { h } = folio.dom;
    if (!points.some((p) => p.value > 0)) return h("p", { class: "empty", id: `${name}-empty` }, emptyText);
    return barChart(points, name, unit, chartWidth(available));
  }

  function barChart(points, name, unit, width = 720) {
    const { h } = folio.dom;
    const { label } = folio.format;
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, text) => {
      const el = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
      if (text !== undefined) el.textContent = text;
      return el;
    };
    const height = 240, left = 36, bottom = 28, top = 10;
    const { tick, ceiling } = scale(Math.max(0, ...points.map((p) => p.value)));
    const plotW = width - left - 8, plotH = height - top - bottom;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, class: "chart", id: `${name}-chart`, role: "img",
      "aria-label": `Bar chart of ${unit}; the same numbers are in the table below` });
    for (let i = 0; i <= 4; i += 1) {
      const y = top + plotH - (plotH * i) / 4;
      chart.append(svg("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "gridline" }),
        svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis y" }, tick * i));
    }
    const slot = plotW / points.length;
    // A label is up to 10 characters (2026-11-05): about 64 pixels with its gap.
    const every = labelEvery(points.length, Math.floor(plotW / 64));
    points.forEach((p, i) => {
      const barH = (plotH * p.value) / ceiling;
      const bar = svg("rect", { x: left + i * slot + slot * 0.15, y: top + plotH - barH, width: Math.max(1, slot * 0.7),
        height: barH, class: "bar", "data-value": p.value });
      bar.append(svg("title", {}, `${p.label}: ${p.value} ${unit}`));
      chart.append(bar);
      if (i % every === 0) {
        chart.append(svg("text", { x: left + i * slot + slot / 2, y: height - 8, "text-anchor": "middle", class: "axis x" }, p.label));
      }
    });
    const table = h("table", { class: "list" },
      h("thead", {}, h("tr", {}, h("th", {}, "Period"), h("th", { class: "num" }, label(unit)))),
      h("tbody", {}, points.map((p) => h("tr", {}, h("td", {}, p.label), h("td", { class: "num" }, p.value)))));
    return h("figure", { class: "chart-figure" }, chart, h("details", {}, h("summary", {}, "Show as a table"), table));
  }

  folio.charts = { scale, labelEvery, chartWidth, chartOrEmpty, barChart };
})(globalThis.folio = globalThis.folio || {});
