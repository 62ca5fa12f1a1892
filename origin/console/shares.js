// Share links: the owner's read-only links to the audience (made, listed and
// revoked on the account page), and the page such a link opens, which needs no
// account: `#/shared/<token>`. The token stays in the fragment, which no request
// carries; the page sends it only in the path of its one API call.
"use strict";

(function (folio) {
  const { h, page, notice } = folio.dom;
  const { api } = folio.api;
  const { KINDS } = folio.kinds;
  const { formatDate } = folio.format;

  /// The address a link's page opens at, for a token (`pagePath` from the API).
  const linkAddress = (pagePath, origin = location.origin) => `${origin}${pagePath}`;

  /// The account page's card: make a link, see the live ones, revoke any.
  function card() {
    const section = h("section", { class: "card", id: "shares" });
    const messages = h("div", { "aria-live": "polite" });
    const list = h("ul", { class: "links", id: "share-links" });
    const refresh = async () => {
      const { data } = await api("GET", "/v1/visitors/shares");
      list.replaceChildren(...(data.links.length ? data.links.map((link) => h("li", {},
        h("span", {}, `Link ${link.id.slice(0, 6)}…, made ${formatDate(link.createdAt)} `),
        h("button", {
          type: "button", class: "secondary", "aria-label": `Revoke link ${link.id.slice(0, 6)}`,
          onclick: async () => {
            await api("DELETE", `/v1/visitors/shares/${link.id}`);
            messages.replaceChildren(notice("info", "Revoked: that link no longer opens anything."));
            await refresh();
          },
        }, "Revoke"))) : [h("li", { class: "muted" }, "No links yet.")]));
    };
    const create = h("button", {
      type: "button", id: "share-create",
      onclick: async () => {
        try {
          const { data } = await api("POST", "/v1/visitors/shares");
          const address = linkAddress(data.pagePath);
          const field = h("input", { id: "share-address", type: "text", readonly: true, value: address,
            "aria-label": "The new link", onfocus: (e) => e.target.select() });
          messages.replaceChildren(h("div", { class: "notice info" },
            h("p", {}, "Copy this link now: it is shown only once. Whoever has it sees these numbers until you revoke it."),
            field,
            h("button", { type: "button", class: "secondary", onclick: () => navigator.clipboard?.writeText(address) }, "Copy")));
          await refresh();
        } catch (failure) {
          messages.replaceChildren(notice("error", failure.message));
        }
      },
    }, "Make a link");
    section.append(h("h2", {}, "Share the audience"),
      h("p", {}, "A read-only link to your audience numbers for someone without an account. " +
        "It shows visitors, sources, countries, devices and what was read (published items only), never drafts or settings."),
      create, messages, list);
    refresh().catch((failure) => messages.replaceChildren(notice("error", failure.message)));
    return section;
  }

  /// Titles of the published items, for the shared page's "What they read".
  async function publishedTitles() {
    const titles = new Map();
    await Promise.all(Object.entries(KINDS).map(async ([kind, k]) => {
      const { data } = await api("GET", `${k.path}?limit=100`, { auth: false });
      for (const item of data[k.listKey]) titles.set(`${kind}:${item.id}`, item[k.titleField]);
    }));
    return titles;
  }

  /// The page a share link opens.
  async function render(token) {
    const section = h("section", { class: "card", "aria-labelledby": "audience-title" });
    page("Audience", h("p", { class: "muted" }, "Shared read-only by the site's owner."), section);
    const titles = await publishedTitles().catch(() => new Map());
    try {
      await folio.audience.card(section, 30, titles, {}, token);
    } catch (failure) {
      section.replaceChildren(notice("error", failure.status === 404
        ? "This link does not open anything: it was revoked, or it is not whole."
        : failure.message));
    }
  }

  folio.shares = { card, render, linkAddress };
})(globalThis.folio = globalThis.folio || {});
