// A small Markdown renderer for the console's live preview: CommonMark's common
// blocks (headings, paragraphs, lists, quotes, fenced code, rules) and GFM's tables
// and strikethrough. Every piece of the source is escaped before it is placed in
// the output, links keep only http(s), mailto and relative targets, and raw HTML is
// shown as text: a preview never runs what it shows.
"use strict";

(function () {
  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

  function safeUrl(url) {
    const trimmed = url.trim();
    if (/^(https?:|mailto:)/i.test(trimmed)) return trimmed;
    // Relative links, but nothing with a scheme of its own (javascript:, data:, …).
    if (!/^[a-z][a-z0-9+.-]*:/i.test(trimmed) && !trimmed.startsWith("//")) return trimmed;
    return null;
  }

  // Inline spans: code first (its content is literal), then links, emphasis.
  function inline(text) {
    const codes = [];
    let out = text.replace(/`([^`]+)`/g, (_, code) => {
      codes.push(code);
      return "\u0000" + (codes.length - 1) + "\u0000";
    });
    out = escape(out);
    out = out.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (_, alt) => `<span class="md-image">[image: ${alt}]</span>`);
    out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (whole, label, href) => {
      const url = safeUrl(href.replace(/&amp;/g, "&"));
      return url === null ? label : `<a href="${escape(url)}" rel="noopener noreferrer">${label}</a>`;
    });
    out = out.replace(/&lt;(https?:\/\/[^\s&]+)&gt;/g, (_, url) => `<a href="${url}" rel="noopener noreferrer">${url}</a>`);
    out = out.replace(/\*\*([^*]+)\*\*|__([^_]+)__/g, (_, a, b) => `<strong>${a || b}</strong>`);
    out = out.replace(/\*([^*]+)\*|\b_([^_]+)_\b/g, (_, a, b) => `<em>${a || b}</em>`);
    out = out.replace(/~~([^~]+)~~/g, "<del>$1</del>");
    return out.replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${escape(codes[Number(i)])}</code>`);
  }

  function tableRow(line) {
    return line.trim().replace(/^\||\|$/g, "").split("|").map((cell) => cell.trim());
  }

  function render(source) {
    const lines = String(source).replace(/\r\n?/g, "\n").split("\n");
    const html = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const fence = line.match(/^\s*(```|~~~)\s*([\w+-]*)/);
      if (fence) {
        const body = [];
        i += 1;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
        i += 1;
        const lang = fence[2] ? ` class="language-${escape(fence[2])}"` : "";
        html.push(`<pre><code${lang}>${escape(body.join("\n"))}</code></pre>`);
        continue;
      }
      if (/^\s*$/.test(line)) { i += 1; continue; }
      const heading = line.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
      if (heading) {
        const level = heading[1].length;
        html.push(`<h${level}>${inline(heading[2])}</h${level}>`);
        i += 1;
        continue;
      }
      if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) { html.push("<hr>"); i += 1; continue; }
      if (/^\s*>/.test(line)) {
        const quoted = [];
        while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*>\s?/, ""));
        html.push(`<blockquote>${render(quoted.join("\n"))}</blockquote>`);
        continue;
      }
      const bullet = /^\s*[-*+]\s+/;
      const ordered = /^\s*\d+[.)]\s+/;
      if (bullet.test(line) || ordered.test(line)) {
        const marker = bullet.test(line) ? bullet : ordered;
        const tag = marker === bullet ? "ul" : "ol";
        const items = [];
        while (i < lines.length && marker.test(lines[i])) items.push(`<li>${inline(lines[i++].replace(marker, ""))}</li>`);
        html.push(`<${tag}>${items.join("")}</${tag}>`);
        continue;
      }
      if (line.includes("|") && i + 1 < lines.length && /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/.test(lines[i + 1])) {
        const head = tableRow(line).map((c) => `<th>${inline(c)}</th>`).join("");
        i += 2;
        const rows = [];
        while (i < lines.length && lines[i].includes("|") && lines[i].trim() !== "") {
          rows.push(`<tr>${tableRow(lines[i++]).map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`);
        }
        html.push(`<table><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`);
        continue;
      }
      const paragraph = [];
      while (i < lines.length && lines[i].trim() !== "" && !/^(#{1,6}\s|\s*```|\s*~~~|\s*>|\s*[-*+]\s|\s*\d+[.)]\s)/.test(lines[i])) {
        paragraph.push(lines[i++].trim());
      }
      if (paragraph.length === 0) paragraph.push(lines[i++].trim());
      html.push(`<p>${inline(paragraph.join(" "))}</p>`);
    }
    return html.join("\n");
  }

  window.folioMarkdown = { render, escape };
})();
