// The folio owner's console: sign in, write, publish, watch the numbers. It speaks
// only the public API (/v1, described by /v1/openapi.json, which also gives every
// form its fields, limits and filters), so it works the same on `folio serve` and
// behind CloudFront. The ID token lives in memory only; the refresh token in this
// tab's sessionStorage (same origin only), so a reload keeps the owner signed in
// and closing the tab forgets it.
"use strict";

(() => {
  const REFRESH_KEY = "folio.console.refreshToken";

  // What the console knows about each content type beyond the API document.
  const KINDS = {
    blog: {
      plural: "Posts", one: "post", path: "/v1/blog/posts", listKey: "posts", viewType: "blog",
      schema: "BlogPostCreate", titleField: "title", markdown: ["content"],
      order: ["title", "excerpt", "content", "category", "tags", "publishedAt"], column: "category",
    },
    project: {
      plural: "Projects", one: "project", path: "/v1/projects", listKey: "projects", viewType: "project",
      schema: "ProjectCreate", titleField: "name", markdown: ["longDescription"],
      order: ["name", "description", "longDescription", "tech", "company", "featured", "githubUrl", "liveUrl", "imageUrl"],
      column: "company",
    },
    certification: {
      plural: "Certifications", one: "certification", path: "/v1/certifications", listKey: "certifications",
      viewType: "certification", schema: "CertificationCreate", titleField: "name", markdown: [],
      order: ["name", "issuer", "icon", "type", "featured", "description", "credentialUrl", "dateEarned"],
      column: "issuer",
    },
  };
  const LABELS = {
    githubUrl: "GitHub URL", liveUrl: "Live URL", imageUrl: "Image URL", credentialUrl: "Credential URL",
    longDescription: "Long description", dateEarned: "Date earned", tech: "Technologies", icon: "Icon",
    publishedAt: "Publication date",
  };
  const HINTS = {
    tags: "Separate tags with commas.", tech: "Separate technologies with commas.",
    icon: "An emoji or a few letters.", content: "Markdown; the preview shows how it reads.",
    publishedAt: "Leave empty to use the day you publish; set it to keep an older post's date.",
    longDescription: "Markdown; the preview shows how it reads.",
  };
  const PAGE_SIZE = 100;
  /// Fields holding an image's URL: they get an upload button.
  const IMAGE_FIELDS = ["coverImage", "imageUrl"];
  /// The image types uploads accept, as the API document lists them.
  const imageTypes = () => spec.components.schemas.UploadRequest.properties.contentType.enum;

  const session = { token: null, refreshToken: null, user: null, timer: null };
  let spec = null;
  let signInWaiters = null;
  let leaveGuard = null;

  // ---------------------------------------------------------------- DOM helpers
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else if (value === true) el.setAttribute(key, "");
      else el.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  const $ = (id) => document.getElementById(id);
  const main = () => $("main");

  function toast(message) {
    const el = $("toast");
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  function notice(kind, message, ...actions) {
    return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" },
      h("div", {}, message), actions.length ? h("div", { class: "actions" }, actions) : null);
  }

  function label(name) {
    return LABELS[name] || name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase()).toLowerCase()
      .replace(/^./, (c) => c.toUpperCase());
  }

  function formatDate(value) {
    if (!value) return "—";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return value;
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: value.length > 10 ? "short" : undefined });
  }

  function statusBadge(status) {
    const names = { published: "Published", scheduled: "Scheduled", draft: "Draft" };
    return h("span", { class: `badge ${status}` }, names[status] || status);
  }

  // ------------------------------------------------------------------- the API
  // Each view (and each sign-out) starts a new generation; an answer that arrives
  // for an older one is dropped, so a slow request never paints over the page the
  // owner has moved on to.
  let generation = 0;
  class Stale extends Error {}

  class ApiFailure extends Error {
    constructor(status, body, headers) {
      super((body && body.message) || `The server answered ${status}`);
      this.status = status;
      this.body = body || {};
      this.headers = headers;
    }
  }

  async function api(method, path, { body, ifMatch, auth = true, retried = false } = {}) {
    const started = generation;
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (ifMatch) headers["If-Match"] = ifMatch;
    if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
    let response;
    try {
      response = await fetch(path, {
        method, headers, cache: "no-store", credentials: "omit",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiFailure(0, { message: "The server could not be reached. Check the connection and try again." });
    }
    if (auth && started !== generation) throw new Stale();
    if (response.status === 401 && auth && !retried) {
      // The session ended (expired, or signed out elsewhere): sign in again over
      // the current page, then repeat the request. Nothing on the page is lost.
      await reauthenticate("Your session has ended. Sign in again to carry on; nothing you typed is lost.");
      if (started !== generation) throw new Stale();
      return api(method, path, { body, ifMatch, auth, retried: true });
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) throw new ApiFailure(response.status, data, response.headers);
    return { status: response.status, data, etag: response.headers.get("ETag") };
  }

  async function listAll(kind, filters = {}) {
    const k = KINDS[kind];
    const items = [];
    let total = 0;
    for (let offset = 0; offset === 0 || offset < total; offset += PAGE_SIZE) {
      const query = new URLSearchParams({ status: "all", ...filters, limit: PAGE_SIZE, offset });
      const { data } = await api("GET", `${k.path}?${query}`);
      items.push(...data[k.listKey]);
      total = data.total;
      if (data[k.listKey].length === 0 || offset > 5000) break;
    }
    return items;
  }

  // ------------------------------------------------------------------ sessions
  function setSession(data) {
    session.token = data.token;
    session.refreshToken = data.refreshToken || session.refreshToken;
    session.user = data.user || session.user;
    sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
    clearTimeout(session.timer);
    // Refresh a minute before the token expires, so a long edit never meets a 401.
    const delay = Math.max(5, (Number(data.expiresIn) || 3600) - 60) * 1000;
    session.timer = setTimeout(() => refreshSession().catch(() => {}), delay);
    $("who-email").textContent = session.user ? session.user.email : "";
  }

  function clearSession() {
    clearTimeout(session.timer);
    session.token = null;
    session.refreshToken = null;
    sessionStorage.removeItem(REFRESH_KEY);
  }

  async function refreshSession() {
    const refreshToken = session.refreshToken || sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) throw new Error("no refresh token");
    try {
      const { data } = await api("POST", "/v1/auth/refresh", { body: { refreshToken }, auth: false });
      if (!session.user) {
        session.token = data.token;
        session.user = (await api("GET", "/v1/auth/me", { retried: true })).data;
      }
      setSession({ ...data, refreshToken: data.refreshToken || refreshToken });
    } catch (error) {
      clearSession();
      throw error;
    }
  }

  /// Resolves once the owner holds a valid session again: by the refresh token if
  /// it still works, else by signing in through the dialog over the current page.
  function reauthenticate(reason) {
    if (signInWaiters) return signInWaiters.promise;
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    signInWaiters = { promise, resolve };
    (async () => {
      // With a reason the session lapsed mid-work: the refresh token may still
      // carry it on silently. Without one (first visit, signed out) ask at once.
      if (!reason) {
        openSignIn(null);
        return;
      }
      try {
        await refreshSession();
        finishSignIn();
      } catch {
        openSignIn(reason);
      }
    })();
    return promise;
  }

  function finishSignIn() {
    const waiters = signInWaiters;
    signInWaiters = null;
    if (waiters) waiters.resolve();
  }

  function openSignIn(reason) {
    const dialog = $("sign-in");
    const reasonEl = $("sign-in-reason");
    reasonEl.hidden = !reason;
    reasonEl.textContent = reason || "";
    $("sign-in-error").hidden = true;
    $("sign-in-password").value = "";
    if (!dialog.open) dialog.showModal();
    ($("sign-in-email").value ? $("sign-in-password") : $("sign-in-email")).focus();
  }

  async function submitSignIn(event) {
    event.preventDefault();
    const email = $("sign-in-email").value.trim();
    const password = $("sign-in-password").value;
    const error = $("sign-in-error");
    const button = $("sign-in-submit");
    if (!email || !password) {
      error.textContent = "Enter your email and password.";
      error.hidden = false;
      return;
    }
    button.disabled = true;
    try {
      const { data } = await api("POST", "/v1/auth/login", { body: { email, password }, auth: false });
      if (!data.user || data.user.role !== "owner") {
        error.textContent = "This account is not the owner of this site; the console is for the owner.";
        error.hidden = false;
        return;
      }
      setSession(data);
      $("sign-in").close();
      showChrome(true);
      finishSignIn();
    } catch (failure) {
      error.textContent = failure.status === 401
        ? "That email and password do not match."
        : failure.status === 429
          ? `Too many attempts. Try again in ${Math.ceil((Number(failure.headers.get("Retry-After")) || 60) / 60)} minute(s).`
          : failure.message;
      error.hidden = false;
      $("sign-in-password").focus();
    } finally {
      button.disabled = false;
    }
  }

  async function signOut() {
    // Whatever is still loading belongs to the session being ended.
    generation += 1;
    try { await api("POST", "/v1/auth/logout", { retried: true }); } catch { /* signed out anyway */ }
    clearSession();
    session.user = null;
    showChrome(false);
    main().replaceChildren(notice("info", "Signed out on every device."));
    await reauthenticate(null);
    route();
  }

  function showChrome(signedIn) {
    $("nav").hidden = !signedIn;
    $("who").hidden = !signedIn;
  }

  // ------------------------------------------------------------------ routing
  function route() {
    const [section = "dashboard", id] = location.hash.replace(/^#\/?/, "").split("/");
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.section === section) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    leaveGuard = null;
    generation += 1;
    const view = KINDS[section]
      ? (id ? renderEditor(section, id === "new" ? null : decodeURIComponent(id)) : renderList(section))
      : section === "account" ? renderAccount() : renderDashboard();
    view.catch((failure) => {
      if (failure instanceof Stale) return;
      main().replaceChildren(h("h1", { tabindex: -1 }, "Something went wrong"), notice("error", failure.message));
    });
  }

  function page(title, ...children) {
    document.title = `${title} · folio console`;
    const heading = h("h1", { tabindex: -1 }, title);
    main().replaceChildren(heading, ...children);
    heading.focus({ preventScroll: true });
  }

  // ---------------------------------------------------------------- dashboard
  async function renderDashboard() {
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

  function chartOrEmpty(points, name, unit, emptyText) {
    if (!points.some((p) => p.value > 0)) return h("p", { class: "empty", id: `${name}-empty` }, emptyText);
    return barChart(points, name, unit);
  }

  /// An SVG bar chart with a table of the same numbers for screen readers.
  function barChart(points, name, unit) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs, text) => {
      const el = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
      if (text !== undefined) el.textContent = text;
      return el;
    };
    const width = 720, height = 240, left = 36, bottom = 28, top = 10;
    // Four gridlines at a round step (1, 2 or 5 × 10ⁿ, whole numbers) above the peak.
    const max = Math.max(1, ...points.map((p) => p.value));
    const power = Math.pow(10, Math.floor(Math.log10(max / 4)));
    const tick = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((t) => t * 4 >= max));
    const ceiling = tick * 4;
    const plotW = width - left - 8, plotH = height - top - bottom;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", id: `${name}-chart`, role: "img",
      "aria-label": `Bar chart of ${unit}; the same numbers are in the table below` });
    for (let i = 0; i <= 4; i += 1) {
      const y = top + plotH - (plotH * i) / 4;
      chart.append(svg("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "gridline" }),
        svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, tick * i));
    }
    const slot = plotW / points.length;
    const every = Math.ceil(points.length / 12);
    points.forEach((p, i) => {
      const barH = (plotH * p.value) / ceiling;
      const bar = svg("rect", { x: left + i * slot + slot * 0.15, y: top + plotH - barH, width: Math.max(1, slot * 0.7),
        height: barH, class: "bar", "data-value": p.value });
      bar.append(svg("title", {}, `${p.label}: ${p.value} ${unit}`));
      chart.append(bar);
      if (i % every === 0) {
        chart.append(svg("text", { x: left + i * slot + slot / 2, y: height - 8, "text-anchor": "middle", class: "axis" }, p.label));
      }
    });
    const table = h("table", { class: "list" },
      h("thead", {}, h("tr", {}, h("th", {}, "Period"), h("th", { class: "num" }, label(unit)))),
      h("tbody", {}, points.map((p) => h("tr", {}, h("td", {}, p.label), h("td", { class: "num" }, p.value)))));
    return h("figure", { class: "chart-figure" }, chart, h("details", {}, h("summary", {}, "Show as a table"), table));
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

  // --------------------------------------------------------------------- lists
  function listFilters(kind) {
    const op = spec.paths[KINDS[kind].path.replace(/^\/v1/, "")].get;
    return (op.parameters || []).map((p) => (p.$ref ? resolveRef(p.$ref) : p))
      .filter((p) => p.in === "query" && !["limit", "offset"].includes(p.name));
  }

  function resolveRef(ref) {
    return ref.replace(/^#\//, "").split("/").reduce((node, key) => node[key], spec);
  }

  async function renderList(kind) {
    const k = KINDS[kind];
    const state = renderList.state[kind] || (renderList.state[kind] = { status: "all", search: "" });
    const controls = listFilters(kind).map((param) => {
      const schema = param.schema || {};
      const id = `filter-${param.name}`;
      const choices = schema.enum || (schema.type === "boolean" ? ["true", "false"] : null);
      const input = choices
        ? h("select", { id, name: param.name },
          param.name === "status" ? null : h("option", { value: "" }, "Any"),
          choices.map((c) => h("option", { value: c, selected: String(state[param.name] || "") === String(c) }, c)))
        : h("input", { id, name: param.name, type: "text", value: state[param.name] || "" });
      input.addEventListener("change", () => { state[param.name] = input.value; load(); });
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
        body.replaceChildren(h("p", { class: "empty" }, Object.entries(state).some(([n, v]) => n !== "status" && n !== "search" && v)
          ? "Nothing matches these filters."
          : h("span", {}, `No ${k.plural.toLowerCase()} yet. `, h("a", { href: `#/${kind}/new` }, `Write the first ${k.one}.`))));
        return;
      }
      if (shown.length === 0) { body.replaceChildren(h("p", { class: "empty" }, `No ${k.one} title contains “${state.search}”.`)); return; }
      body.replaceChildren(h("table", { class: "list", id: "items" },
        h("caption", { class: "visually-hidden" }, `${k.plural}, ${shown.length} shown`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, label(k.titleField)), h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col", class: "wide" }, label(k.column)), h("th", { scope: "col", class: "wide" }, "Updated"),
          h("th", { scope: "col", class: "num" }, "Views"))),
        h("tbody", {}, shown.map((item) => h("tr", { "data-id": item.id },
          h("td", {}, h("a", { href: `#/${kind}/${encodeURIComponent(item.id)}` }, item[k.titleField])),
          h("td", {}, statusBadge(item.status)),
          h("td", { class: "wide" }, item[k.column] || ""),
          h("td", { class: "wide" }, formatDate(item.updatedAt)),
          h("td", { class: "num" }, (views[item.id] || 0).toLocaleString()))))));
    };
    search.addEventListener("input", () => { state.search = search.value; draw(); });
    async function load() {
      body.setAttribute("aria-busy", "true");
      const filters = Object.fromEntries(Object.entries(state).filter(([n, v]) => n !== "search" && v));
      try {
        [items, views] = await Promise.all([
          listAll(kind, filters),
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
  renderList.state = {};

  // -------------------------------------------------------------------- editor
  function formFields(kind) {
    const schema = spec.components.schemas[KINDS[kind].schema];
    const names = [...KINDS[kind].order.filter((n) => n in schema.properties),
      ...Object.keys(schema.properties).filter((n) => !KINDS[kind].order.includes(n))];
    return names.map((name) => ({ name, schema: schema.properties[name], required: (schema.required || []).includes(name) }));
  }

  /// A URL field: http(s) URL or nothing (the document says so with anyOf).
  const isUrl = (schema) => schema.format === "uri" || (schema.anyOf || []).some((b) => b.format === "uri");
  /// A date field (`publishedAt` may also be empty: the document says so with anyOf).
  const isDate = (schema) => schema.format === "date" || (schema.anyOf || []).some((b) => b.format === "date");

  function fieldControl(kind, field, value) {
    const { name, schema } = field;
    const id = `field-${name}`;
    const common = { id, name, "aria-describedby": `${id}-hint ${id}-error` };
    if (field.required) common.required = true;
    if (schema.maxLength) common.maxlength = schema.maxLength;
    if (schema.type === "boolean") {
      return h("input", { ...common, type: "checkbox", checked: Boolean(value) });
    }
    if (schema.enum) {
      return h("select", common, field.required ? null : h("option", { value: "" }, "—"),
        schema.enum.map((c) => h("option", { value: c, selected: value === c }, label(c))));
    }
    if (schema.type === "array") return h("input", { ...common, type: "text", value: (value || []).join(", ") });
    if (isDate(schema)) return h("input", { ...common, type: "date", value: value || "" });
    if (isUrl(schema)) return h("input", { ...common, type: "url", value: value || "", placeholder: "https://" });
    if (KINDS[kind].markdown.includes(name)) {
      const area = h("textarea", { ...common, class: "markdown", spellcheck: "true" }, value || "");
      return area;
    }
    if ((schema.maxLength || 0) > 300) return h("textarea", common, value || "");
    return h("input", { ...common, type: "text", value: value || "" });
  }

  function hintFor(field) {
    const parts = [];
    if (HINTS[field.name]) parts.push(HINTS[field.name]);
    if (field.schema.maxLength) parts.push(`Up to ${field.schema.maxLength.toLocaleString()} characters.`);
    if (field.schema.maxItems) {
      parts.push(`Up to ${field.schema.maxItems} items of ${field.schema.items.maxLength} characters each.`);
    }
    if (field.schema.nullable) parts.push("Optional.");
    return parts.join(" ");
  }

  function readField(form, field) {
    const el = form.elements[field.name];
    if (field.schema.type === "boolean") return el.checked;
    if (field.schema.type === "array") return el.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (isUrl(field.schema) && el.value.trim() === "") return null;
    if (isUrl(field.schema)) return el.value.trim();
    if (field.schema.enum && el.value === "") return null;
    return el.value;
  }

  async function renderEditor(kind, id) {
    const k = KINDS[kind];
    let item = null;
    let etag = null;
    if (id) {
      page(`Edit ${k.one}`, h("p", { class: "loading" }, "Loading…"));
      try {
        const r = await api("GET", `${k.path}/${encodeURIComponent(id)}`);
        item = r.data;
        etag = r.etag;
      } catch (failure) {
        page(`Edit ${k.one}`, notice("error", failure.status === 404 ? `This ${k.one} no longer exists.` : failure.message,
          h("a", { href: `#/${kind}`, class: "button secondary" }, `Back to ${k.plural.toLowerCase()}`)));
        return;
      }
    }
    const fields = formFields(kind);
    const messages = h("div", { id: "editor-messages", "aria-live": "polite" });
    const fieldEls = fields.map((field) => {
      const control = fieldControl(kind, field, item ? item[field.name] : field.schema.default);
      const hint = h("div", { class: "hint", id: `field-${field.name}-hint` }, hintFor(field));
      const error = h("div", { class: "error", id: `field-${field.name}-error` });
      const title = label(field.name) + (field.required ? "" : " (optional)");
      if (field.schema.type === "boolean") {
        return h("div", { class: "field check" }, h("label", { for: control.id }, control, title), hint, error);
      }
      if (k.markdown.includes(field.name)) {
        const preview = h("div", { class: "preview", id: `preview-${field.name}`, "aria-label": `${label(field.name)} preview` });
        const update = () => { preview.innerHTML = window.folioMarkdown.render(control.value); };
        control.addEventListener("input", update);
        update();
        return h("div", { class: "field" }, h("label", { for: control.id }, title), hint,
          h("div", { class: "md-pair" }, control, preview), error);
      }
      if (IMAGE_FIELDS.includes(field.name)) {
        // An image: a URL, or a file uploaded to the media store (signed upload).
        const status = h("span", { class: "hint", id: `upload-${field.name}-status`, "aria-live": "polite" });
        const file = h("input", { type: "file", id: `upload-${field.name}`, accept: imageTypes().join(","),
          "aria-label": `Upload an image for ${label(field.name).toLowerCase()}`,
          onchange: () => uploadInto(file, control, status) });
        return h("div", { class: "field" }, h("label", { for: control.id }, title), control,
          h("div", { class: "upload" }, file, status), hint, error);
      }
      return h("div", { class: "field" }, h("label", { for: control.id }, title), control, hint, error);
    });

    async function uploadInto(file, target, status) {
      const chosen = file.files[0];
      if (!chosen) return;
      status.textContent = "Uploading…";
      try {
        const r = await api("POST", "/v1/media/uploads", { body: { contentType: chosen.type, size: chosen.size } });
        const put = await fetch(r.data.uploadUrl, { method: "PUT", headers: r.data.headers, body: chosen, credentials: "omit" });
        if (!put.ok) throw new ApiFailure(put.status, { message: "The image could not be stored; try again." });
        target.value = r.data.url;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        status.textContent = "Uploaded. Save to keep it.";
      } catch (failure) {
        status.textContent = failure.status === 400 && failure.body && failure.body.details
          ? `Not uploaded: ${failure.body.details.issue}.` : `Not uploaded: ${failure.message}`;
      }
    }
    const save = h("button", { type: "submit", id: "save" }, item ? "Save" : "Create draft");
    const meta = h("aside", { class: "meta", "aria-label": "About this item" });
    const form = h("form", { class: "editor", id: "editor", novalidate: true },
      h("div", { class: "fields" }, messages, fieldEls, h("div", {}, save)), meta);
    page(item ? `Edit ${k.one}: ${item[k.titleField]}` : `New ${k.one}`,
      h("p", {}, h("a", { href: `#/${kind}` }, `← All ${k.plural.toLowerCase()}`)), form);

    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    leaveGuard = () => dirty;

    const clearErrors = () => {
      messages.replaceChildren();
      for (const field of fields) {
        form.elements[field.name].removeAttribute("aria-invalid");
        $(`field-${field.name}-error`).textContent = "";
      }
    };
    const body = () => Object.fromEntries(fields.map((f) => [f.name, readField(form, f)])
      .filter(([name, value]) => item || value !== null || !fields.find((f) => f.name === name).required));

    const showFailure = (failure) => {
      if (failure instanceof Stale) return;
      const field = failure.body.details && failure.body.details.field;
      if (failure.status === 400 && field && form.elements[field]) {
        form.elements[field].setAttribute("aria-invalid", "true");
        $(`field-${field}-error`).textContent = `${label(field)} ${failure.body.details.issue}.`;
        form.elements[field].focus();
        messages.replaceChildren(notice("error", "Please correct the field marked below."));
        return;
      }
      messages.replaceChildren(notice("error", failure.message));
      messages.scrollIntoView({ block: "nearest" });
    };

    const drawMeta = async () => {
      if (!item) {
        meta.replaceChildren(h("p", { class: "hint" }, `A new ${k.one} starts as a draft: only you can see it until you publish it.`));
        return;
      }
      const facts = [["Status", statusBadge(item.status)], ["Slug", item.slug], ["Read time", item.readTime],
        ["Published", item.publishedAt ? formatDate(item.publishedAt) : null],
        ["Publishes", item.publishAt ? formatDate(item.publishAt) : null], ["Created", formatDate(item.createdAt)],
        ["Updated", formatDate(item.updatedAt)], ["Id", item.id]].filter(([, v]) => v);
      const publish = item.status === "published"
        ? h("button", { type: "button", class: "secondary", id: "unpublish", onclick: () => setStatus(false) }, "Unpublish")
        : h("button", { type: "button", id: "publish", onclick: () => setStatus(true) }, "Publish");
      const views = h("dd", { id: "item-views" }, "…");
      const previewBox = h("div", { id: "preview-link", "aria-live": "polite" });
      // Publish later: the scheduler publishes it at that time (local time here).
      const when = h("input", { id: "publish-at", type: "datetime-local", "aria-describedby": "publish-at-hint" });
      const scheduleBox = item.status === "published" ? null : h("div", { class: "schedule" },
        h("label", { for: "publish-at" }, item.status === "scheduled" ? "Publish at another time" : "Publish later"),
        when, h("p", { class: "hint", id: "publish-at-hint" }, "Unpublish cancels a schedule."),
        h("button", { type: "button", class: "secondary", id: "schedule", onclick: () => schedule(when.value) }, "Schedule"));
      meta.replaceChildren(h("dl", {}, facts.flatMap(([n, v]) => [h("dt", {}, n), h("dd", {}, v)]), h("dt", {}, "Views"), views),
        h("div", { class: "actions" }, publish,
          h("button", { type: "button", class: "secondary", id: "make-preview", onclick: () => makePreview(previewBox) }, "Preview link"),
          h("button", { type: "button", class: "danger", id: "delete", onclick: remove }, "Delete")),
        scheduleBox, previewBox);
      try {
        const r = await api("GET", `/v1/analytics/views/${k.viewType}/${encodeURIComponent(item.id)}`);
        views.textContent = r.data.views.toLocaleString();
      } catch { views.textContent = "—"; }
    };

    const adopt = (r) => {
      item = r.data;
      etag = r.etag || etag;
      dirty = false;
      document.title = `Edit ${k.one}: ${item[k.titleField]} · folio console`;
      main().querySelector("h1").textContent = `Edit ${k.one}: ${item[k.titleField]}`;
      save.textContent = "Save";
      drawMeta();
    };

    async function put(useEtag) {
      return api("PUT", `${k.path}/${encodeURIComponent(item.id)}`, { body: body(), ifMatch: useEtag });
    }

    async function submit(event) {
      event.preventDefault();
      clearErrors();
      save.disabled = true;
      try {
        if (!item) {
          const r = await api("POST", k.path, { body: body() });
          dirty = false;
          leaveGuard = null;
          toast(`Draft ${k.one} created.`);
          history.replaceState(null, "", `#/${kind}/${encodeURIComponent(r.data.id)}`);
          adopt(r);
          if (!r.etag) etag = (await api("GET", `${k.path}/${encodeURIComponent(item.id)}`)).etag;
          return;
        }
        adopt(await put(etag));
        toast("Saved.");
      } catch (failure) {
        if (failure.status === 412) conflict();
        else showFailure(failure);
      } finally {
        save.disabled = false;
      }
    }

    // Someone changed the item since it was loaded: never overwrite silently.
    function conflict() {
      const keep = h("button", { type: "button", id: "conflict-keep-mine", onclick: async () => {
        keep.disabled = true;
        try {
          const latest = await api("GET", `${k.path}/${encodeURIComponent(item.id)}`);
          adopt(await put(latest.etag));
          messages.replaceChildren();
          toast("Saved your version over the other change.");
        } catch (failure) {
          if (failure.status === 412) conflict(); else showFailure(failure);
        }
      } }, "Keep my version and save it");
      const reload = h("button", { type: "button", class: "secondary", id: "conflict-reload", onclick: () => {
        dirty = false;
        route();
      } }, "Discard mine and load theirs");
      messages.replaceChildren(notice("conflict",
        `This ${k.one} was changed somewhere else (another tab or device) after you opened it. Your text is still here; choose what to keep.`,
        keep, reload));
      messages.scrollIntoView({ block: "nearest" });
      keep.focus();
    }

    async function setStatus(publish) {
      clearErrors();
      try {
        if (dirty) adopt(await put(etag));
        const r = await api("POST", `${k.path}/${encodeURIComponent(item.id)}/${publish ? "publish" : "unpublish"}`);
        const fresh = await api("GET", `${k.path}/${encodeURIComponent(item.id)}`);
        adopt({ data: r.data, etag: fresh.etag });
        toast(publish ? `Published: readers can see this ${k.one} now.` : `Unpublished: this ${k.one} is a draft again.`);
        $(publish ? "unpublish" : "publish").focus();
      } catch (failure) {
        if (failure.status === 412) conflict(); else showFailure(failure);
      }
    }

    async function schedule(local) {
      clearErrors();
      if (!local) { messages.replaceChildren(notice("error", "Choose when to publish.")); return; }
      try {
        if (dirty) adopt(await put(etag));
        const publishAt = new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z");
        const r = await api("POST", `${k.path}/${encodeURIComponent(item.id)}/schedule`, { body: { publishAt } });
        const fresh = await api("GET", `${k.path}/${encodeURIComponent(item.id)}`);
        adopt({ data: r.data, etag: fresh.etag });
        toast(`Scheduled: this ${k.one} is published ${formatDate(r.data.publishAt)}.`);
      } catch (failure) {
        if (failure.status === 412) conflict(); else showFailure(failure);
      }
    }

    /// A link anyone may open to read this item (a draft, usually) for 72 hours,
    /// until revoked. The token is shown once: only its hash is stored.
    async function makePreview(box) {
      try {
        const r = await api("POST", `${k.path}/${encodeURIComponent(item.id)}/preview`, { body: {} });
        const url = `${location.origin}${r.data.path}`;
        const field = h("input", { id: "preview-url", type: "url", readonly: true, value: url, "aria-label": "Preview link" });
        const revoke = h("button", { type: "button", class: "secondary", id: "revoke-preview", onclick: async () => {
          try {
            await api("DELETE", r.data.path);
            box.replaceChildren(h("p", { class: "hint" }, "Preview link revoked: it opens nothing now."));
          } catch (failure) { showFailure(failure); }
        } }, "Revoke");
        const copy = h("button", { type: "button", class: "secondary", onclick: async () => {
          field.select();
          try { await navigator.clipboard.writeText(url); toast("Preview link copied."); } catch { /* selected for copying by hand */ }
        } }, "Copy");
        box.replaceChildren(h("p", { class: "hint" },
          `Anyone with this link can read this ${k.one} until ${formatDate(r.data.expiresAt)}. It is shown only now.`),
          field, h("div", { class: "actions" }, copy, revoke));
        field.focus();
        field.select();
      } catch (failure) { showFailure(failure); }
    }

    async function remove() {
      const ok = await confirmDialog(`Delete “${item[k.titleField]}”?`,
        `It disappears for readers at once and cannot be restored. Its view count is kept.`);
      if (!ok) return;
      try {
        await api("DELETE", `${k.path}/${encodeURIComponent(item.id)}`);
        dirty = false;
        leaveGuard = null;
        toast(`Deleted “${item[k.titleField]}”.`);
        location.hash = `#/${kind}`;
      } catch (failure) { showFailure(failure); }
    }

    form.addEventListener("submit", submit);
    drawMeta();
  }

  function confirmDialog(title, text) {
    const dialog = $("confirm");
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    dialog.returnValue = "cancel";
    dialog.showModal();
    $("confirm-cancel").focus();
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    });
  }

  // ------------------------------------------------------------------- account
  async function renderAccount() {
    const policy = spec.components.schemas.ChangePasswordRequest.properties.newPassword;
    const messages = h("div", { "aria-live": "polite" });
    const input = (id, text, autocomplete, hint) => h("div", { class: "field" },
      h("label", { for: id }, text),
      h("input", { id, name: id, type: "password", autocomplete, required: true, "aria-describedby": hint ? `${id}-hint` : null }),
      hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null);
    const form = h("form", { class: "fields card", id: "change-password", novalidate: true },
      h("h2", {}, "Change password"),
      input("current-password", "Current password", "current-password"),
      input("new-password", "New password", "new-password", policy.description),
      input("repeat-password", "New password again", "new-password"),
      messages,
      h("div", {}, h("button", { type: "submit", id: "change-password-submit" }, "Change password")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const current = form.elements["current-password"].value;
      const next = form.elements["new-password"].value;
      if (next !== form.elements["repeat-password"].value) {
        messages.replaceChildren(notice("error", "The two new passwords differ."));
        return;
      }
      try {
        await api("POST", "/v1/auth/password", { body: { currentPassword: current, newPassword: next } });
        clearSession();
        form.reset();
        messages.replaceChildren(notice("info", "Password changed. Every session was signed out; sign in with the new password."));
        await reauthenticate(null);
        messages.replaceChildren();
      } catch (failure) {
        messages.replaceChildren(notice("error", failure.message));
      }
    });
    page("Account",
      h("section", { class: "card" }, h("h2", {}, "Signed in"),
        h("p", {}, "As ", h("strong", {}, session.user ? session.user.email : "the owner"), "."),
        h("p", {}, "Signing out ends every session of this account, on every device."),
        h("button", { type: "button", class: "secondary", id: "sign-out-everywhere", onclick: signOut }, "Sign out everywhere")),
      form);
  }

  // ---------------------------------------------------------------------- boot
  async function boot() {
    // A view the owner left may still finish its requests: that is not an error.
    window.addEventListener("unhandledrejection", (event) => {
      if (event.reason instanceof Stale) event.preventDefault();
    });
    $("sign-in-form").addEventListener("submit", submitSignIn);
    // Without a session there is nothing behind the dialog to go back to.
    $("sign-in").addEventListener("cancel", (event) => event.preventDefault());
    $("sign-out").addEventListener("click", signOut);
    // The routes live in the fragment, so the skip link moves focus itself.
    document.querySelector(".skip").addEventListener("click", (event) => {
      event.preventDefault();
      main().focus();
    });
    window.addEventListener("hashchange", (event) => {
      if (leaveGuard && leaveGuard() && !window.confirm("Leave without saving your changes?")) {
        history.replaceState(null, "", new URL(event.oldURL).hash);
        return;
      }
      route();
    });
    window.addEventListener("beforeunload", (event) => {
      if (leaveGuard && leaveGuard()) event.preventDefault();
    });
    try {
      spec = (await api("GET", "/v1/openapi.json", { auth: false })).data;
    } catch (failure) {
      main().replaceChildren(notice("error", `The API did not answer: ${failure.message}`));
      return;
    }
    $("boot").remove();
    try {
      await refreshSession();
      showChrome(true);
    } catch {
      await reauthenticate(null);
    }
    route();
  }

  boot();
})();
