// Search of everything the owner wrote, in every status: the ranked search
// readers get (GET /v1/search), asked with status=all so drafts and scheduled
// items are found too. The words live in the fragment (#/search/<words>), so a
// search can be bookmarked and the Back button returns to it.
// `snippetParts` is pure and tested by node --test.
"use strict";

(function (folio) {
  const { h, page, notice, statusBadge } = folio.dom;
  const { api, Stale } = folio.api;
  const { KINDS } = folio.kinds;

  /// Results asked for: the API's largest page of search results.
  const LIMIT = 50;
  /// Typing pauses this long before a search is sent.
  const PAUSE_MS = 250;

  const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&apos;": "'" };
  const unescape = (text) => text.replace(/&(?:amp|lt|gt|quot|apos);/g, (entity) => ENTITIES[entity]);

  /// A snippet as the API sends it (escaped text, `<mark>` its only markup) as
  /// plain and marked runs of text: the page adds them as text nodes, so
  /// nothing in a snippet is ever parsed as HTML.
  function snippetParts(snippet) {
    const parts = [];
    const marks = /<mark>([^<]*)<\/mark>/g;
    let last = 0;
    for (let found = marks.exec(snippet); found; found = marks.exec(snippet)) {
      if (found.index > last) parts.push({ text: unescape(snippet.slice(last, found.index)), marked: false });
      parts.push({ text: unescape(found[1]), marked: true });
      last = marks.lastIndex;
    }
    if (last < snippet.length) parts.push({ text: unescape(snippet.slice(last)), marked: false });
    return parts;
  }

  function results(data) {
    if (data.total === 0) {
      return [h("p", { class: "empty" }, `Nothing you wrote matches “${data.query}”.`)];
    }
    const shown = data.results.length;
    const count = data.total === 1 ? "1 item" : `${data.total.toLocaleString()} items`;
    return [
      h("p", { class: "hint", id: "search-count" }, data.total > shown ? `${count}, the best ${shown} shown` : count),
      h("ol", { class: "search-results" }, data.results.map((hit) => {
        const kind = KINDS[hit.contentType];
        return h("li", { "data-id": hit.id, "data-status": hit.status },
          h("div", { class: "search-title" },
            h("a", { href: `#/${hit.contentType}/${encodeURIComponent(hit.id)}` }, hit.title),
            statusBadge(hit.status),
            h("span", { class: "kind" }, kind ? kind.one : hit.contentType)),
          h("p", { class: "snippet" },
            snippetParts(hit.snippet).map((part) => (part.marked ? h("mark", {}, part.text) : part.text))));
      })),
    ];
  }

  async function render(initial) {
    const input = h("input", {
      id: "search-everything", type: "search", value: initial || "", maxlength: 100, autocomplete: "off",
      placeholder: "Words of a title, a tag or the text",
    });
    const answer = h("div", { id: "search-results", "aria-live": "polite" });
    let timer = null;
    let sent = 0;
    async function run() {
      clearTimeout(timer);
      // The owner has gone to another view: its fragment is not ours to change.
      if (!input.isConnected) return;
      const words = input.value.trim();
      history.replaceState(null, "", words ? `#/search/${encodeURIComponent(words)}` : "#/search");
      const mine = ++sent;
      if (!words) {
        answer.replaceChildren();
        return;
      }
      answer.setAttribute("aria-busy", "true");
      try {
        const query = new URLSearchParams({ q: words, status: "all", limit: String(LIMIT) });
        const { data } = await api("GET", `/v1/search?${query}`);
        // An answer to words the owner has typed past is not shown.
        if (mine === sent) answer.replaceChildren(...results(data));
      } catch (failure) {
        if (failure instanceof Stale) return;
        if (mine === sent) answer.replaceChildren(notice("error", failure.message));
      } finally {
        if (mine === sent) answer.removeAttribute("aria-busy");
      }
    }
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, PAUSE_MS);
    });
    const form = h("form", { class: "toolbar", role: "search", id: "search-form" },
      h("label", { for: "search-everything" }, "Search everything you wrote", input),
      h("button", { type: "submit" }, "Search"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run();
    });
    page("Search",
      h("p", {}, "Posts, projects and certifications, drafts and scheduled ones too, best match first: ",
        "a title counts above the text. Words of four letters or more also find longer words and near misses."),
      form, answer);
    input.focus({ preventScroll: true });
    if (input.value.trim()) await run();
  }

  folio.search = { render, snippetParts };
})(globalThis.folio = globalThis.folio || {});
