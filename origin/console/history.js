// Undo for a lone owner: an item's earlier versions beside the editor (what
// each save changed, a line diff, Restore), and the trash of deleted items.
"use strict";

(function (folio) {
  const { h, page, notice, toast, confirmDialog } = folio.dom;
  const { api, Stale } = folio.api;
  const { KINDS } = folio.kinds;
  const { label, formatDate } = folio.format;

  /// Above this many line pairs the middle of a diff is shown as replaced
  /// whole: the table a longest common subsequence needs grows with their product.
  const MAX_DIFF_CELLS = 2_000_000;

  /// A line diff of two texts: [{ op: "same" | "del" | "add", text }]. Common
  /// ends are matched first, so an edit in a long post costs the changed part.
  function diffLines(before, after) {
    const a = String(before ?? "").split("\n");
    const b = String(after ?? "").split("\n");
    let start = 0;
    while (start < a.length && start < b.length && a[start] === b[start]) start++;
    let endA = a.length, endB = b.length;
    while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
    const head = a.slice(0, start).map((text) => ({ op: "same", text }));
    const tail = a.slice(endA).map((text) => ({ op: "same", text }));
    const midA = a.slice(start, endA), midB = b.slice(start, endB);
    let middle;
    if (midA.length * midB.length > MAX_DIFF_CELLS) {
      middle = [...midA.map((text) => ({ op: "del", text })), ...midB.map((text) => ({ op: "add", text }))];
    } else {
      // lcs[i][j]: the longest common subsequence of midA[i..] and midB[j..].
      const n = midA.length, m = midB.length;
      const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
      for (let i = n - 1; i >= 0; i--) {
        for (let j = m - 1; j >= 0; j--) {
          lcs[i][j] = midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
        }
      }
      middle = [];
      let i = 0, j = 0;
      while (i < n || j < m) {
        if (i < n && j < m && midA[i] === midB[j]) { middle.push({ op: "same", text: midA[i] }); i++; j++; }
        // What went comes before what came in its place.
        else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) { middle.push({ op: "del", text: midA[i] }); i++; }
        else { middle.push({ op: "add", text: midB[j] }); j++; }
      }
    }
    return [...head, ...middle, ...tail];
  }

  /// The fields that differ between two versions of an item (the save time
  /// aside), each with its two values as text.
  function changedFields(before, after) {
    const text = (v) => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
    const names = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])]
      .filter((n) => n !== "updatedAt" && !n.endsWith("Html") && text(before[n]) !== text(after[n]))
      .sort();
    return names.map((name) => ({ name, before: text(before[name]), after: text(after[name]) }));
  }

  /// Unchanged runs longer than this are folded to their first and last lines.
  const CONTEXT = 2;

  function diffView(before, after) {
    const fields = changedFields(before, after);
    if (!fields.length) return h("p", { class: "hint" }, "No field differs.");
    return h("div", { class: "diff" }, fields.map(({ name, before: a, after: b }) => {
      const lines = diffLines(a, b);
      const shown = [];
      lines.forEach((line, i) => {
        const near = lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((l) => l.op !== "same");
        if (line.op !== "same" || near) shown.push(line);
        else if (shown.length && shown[shown.length - 1].op !== "fold") shown.push({ op: "fold" });
      });
      return h("section", { class: "diff-field" }, h("h4", {}, label(name)),
        h("pre", {}, shown.map((line) => line.op === "fold"
          ? h("span", { class: "fold" }, "⋯\n")
          : h(line.op === "same" ? "span" : line.op === "add" ? "ins" : "del", {},
            `${line.op === "add" ? "+ " : line.op === "del" ? "− " : "  "}${line.text}\n`))));
    }));
  }

  /// The history panel of the item open in the editor. `current` is the item
  /// as it is now; `onRestored` reloads the editor with the restored item.
  async function attach(box, kind, current, onRestored) {
    const k = KINDS[kind];
    const base = `${k.path}/${encodeURIComponent(current.id)}/revisions`;
    let revisions;
    try {
      revisions = (await api("GET", base)).data.revisions;
    } catch (failure) {
      if (!(failure instanceof Stale)) box.replaceChildren(notice("error", `History unavailable: ${failure.message}`));
      return;
    }
    // Nothing saved over yet: nothing to show (the first save starts the history).
    if (!revisions.length) {
      box.replaceChildren();
      return;
    }
    const detail = h("div", { id: "revision-detail", "aria-live": "polite" });
    // What replaced version v: the next revision, or the item as it is now.
    const replacement = async (index) => index === 0
      ? current : (await api("GET", `${base}/${revisions[index - 1].version}`)).data.item;
    const compare = async (index) => {
      const revision = revisions[index];
      detail.replaceChildren(h("p", { class: "loading" }, "Loading…"));
      try {
        const then = (await api("GET", `${base}/${revision.version}`)).data.item;
        const next = await replacement(index);
        detail.replaceChildren(
          h("h4", {}, `Version ${revision.version} → ${index === 0 ? "now" : `version ${revisions[index - 1].version}`}`),
          diffView(then, next),
          h("button", { type: "button", id: "restore-revision", onclick: () => restore(revision) }, `Restore version ${revision.version}`));
      } catch (failure) {
        if (!(failure instanceof Stale)) detail.replaceChildren(notice("error", failure.message));
      }
    };
    const restore = async (revision) => {
      const ok = await confirmDialog(`Restore version ${revision.version}?`,
        `Its words come back; the ${k.one}'s status and address stay as they are. What you have now is kept in the history, so you can undo this.`,
        "Restore");
      if (!ok) return;
      try {
        await api("POST", `${base}/${revision.version}/restore`);
        toast(`Restored version ${revision.version}.`);
        onRestored();
      } catch (failure) {
        if (!(failure instanceof Stale)) detail.replaceChildren(notice("error", failure.message));
      }
    };
    // Folded by default: on a phone the item's actions and fields come first.
    box.replaceChildren(h("details", { id: "history-panel" },
      h("summary", {}, `History (${revisions.length} earlier version${revisions.length === 1 ? "" : "s"})`),
      h("ol", { class: "revisions" }, revisions.map((revision, index) => h("li", { "data-version": revision.version },
        h("button", { type: "button", class: "link", onclick: () => compare(index) },
          `Version ${revision.version}`),
        h("span", { class: "hint" }, ` ${revision.deleted ? "deleted" : "replaced"} ${formatDate(revision.replacedAt)} by ${revision.replacedBy}`),
        revision.changed.length ? h("div", { class: "hint" }, `Changed: ${revision.changed.map(label).join(", ")}`) : null))),
      detail));
  }

  /// Deleted items, restorable for a while.
  async function renderTrash() {
    const list = h("div", { id: "trash" }, h("p", { class: "loading" }, "Loading…"));
    page("Trash", h("p", {}, "Deleted posts, projects and certifications. Each can be restored, as it was when deleted, until the date shown."),
      h("section", { class: "card" }, list));
    async function load() {
      const { data } = await api("GET", "/v1/trash");
      if (!data.items.length) {
        list.replaceChildren(h("p", { class: "empty" }, "Nothing deleted recently."));
        return;
      }
      const kindOf = (type) => Object.entries(KINDS).find(([, k]) => k.viewType === type);
      list.replaceChildren(h("table", { class: "list" },
        h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Kind"), h("th", {}, "Deleted"), h("th", {}, "Restorable until"),
          h("th", {}, h("span", { class: "visually-hidden" }, "Actions")))),
        h("tbody", {}, data.items.map((t) => {
          const [kind, k] = kindOf(t.contentType) || [t.contentType, { one: t.contentType }];
          return h("tr", { "data-id": t.id },
            h("td", {}, t.title || t.id), h("td", {}, label(k.one)), h("td", {}, formatDate(t.deletedAt)),
            h("td", {}, formatDate(t.restorableUntil)),
            h("td", {}, h("button", { type: "button", class: "secondary", onclick: async () => {
              try {
                await api("POST", `/v1/trash/${encodeURIComponent(t.contentType)}/${encodeURIComponent(t.id)}/restore`);
                toast(`Restored “${t.title || t.id}”.`);
                location.hash = `#/${kind}/${encodeURIComponent(t.id)}`;
              } catch (failure) {
                if (!(failure instanceof Stale)) list.prepend(notice("error", failure.message));
              }
            } }, "Restore")));
        }))));
    }
    await load();
  }

  folio.history = { attach, renderTrash, diffLines, changedFields };
})(globalThis.folio = globalThis.folio || {});
