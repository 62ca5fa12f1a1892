// Unit tests of the console's pure parts: forms from the API document, dates and
// labels, chart scales, routes. Run: node --test origin/console/unit/
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const folio = require("./load.js");

/// A small API document shaped like folio's own.
const spec = {
  paths: {
    "/blog/posts": { get: { parameters: [
      { $ref: "#/components/parameters/Limit" },
      { name: "offset", in: "query", schema: { type: "integer" } },
      { name: "category", in: "query", schema: { type: "string" } },
      { name: "status", in: "query", schema: { type: "string", enum: ["published", "draft", "all"] } },
      { name: "postId", in: "path", schema: { type: "string" } },
    ] } },
  },
  components: {
    parameters: { Limit: { name: "limit", in: "query", schema: { type: "integer" } } },
    schemas: {
      BlogPostCreate: {
        required: ["title", "content"],
        properties: {
          coverImage: { anyOf: [{ type: "string", format: "uri" }, { type: "string", maxLength: 0 }] },
          content: { type: "string", maxLength: 200000 },
          title: { type: "string", maxLength: 200 },
          tags: { type: "array", maxItems: 20, items: { type: "string", maxLength: 50 } },
          publishedAt: { anyOf: [{ type: "string", format: "date" }, { type: "string", maxLength: 0 }] },
          featured: { type: "boolean" },
          excerpt: { type: "string", maxLength: 500 },
          category: { type: "string", maxLength: 50 },
          mood: { type: "string", enum: ["calm", "loud"] },
        },
      },
    },
  },
};

test("forms list the console's fields in its order, then the ones it does not know", () => {
  const names = folio.schema.formFields(spec, "blog").map((f) => f.name);
  assert.deepEqual(names, ["title", "excerpt", "content", "category", "tags", "publishedAt",
    "coverImage", "featured", "mood"]);
  const title = folio.schema.formFields(spec, "blog").find((f) => f.name === "title");
  assert.equal(title.required, true);
});

test("each field gets the control its schema calls for", () => {
  const kinds = Object.fromEntries(folio.schema.formFields(spec, "blog")
    .map((f) => [f.name, folio.schema.controlKind("blog", f)]));
  assert.deepEqual(kinds, {
    title: "text", excerpt: "textarea", content: "markdown", category: "text", tags: "list",
    publishedAt: "date", coverImage: "url", featured: "checkbox", mood: "select",
  });
});

test("values read back as the API takes them", () => {
  const field = (name) => folio.schema.formFields(spec, "blog").find((f) => f.name === name);
  assert.deepEqual(folio.schema.readValue(field("tags"), " rust, ,web "), ["rust", "web"]);
  assert.equal(folio.schema.readValue(field("coverImage"), "  "), null);
  assert.equal(folio.schema.readValue(field("coverImage"), " https://a.example/x.png "), "https://a.example/x.png");
  assert.equal(folio.schema.readValue(field("featured"), 1), true);
  assert.equal(folio.schema.readValue(field("mood"), ""), null);
  assert.equal(folio.schema.readValue(field("content"), " # Kept as typed "), " # Kept as typed ");
});

test("hints state the limits the document gives", () => {
  const field = (name) => folio.schema.formFields(spec, "blog").find((f) => f.name === name);
  assert.equal(folio.schema.hintFor(field("content"), "en"),
    "Markdown; the preview shows it as readers will get it. Up to 200,000 characters.");
  assert.equal(folio.schema.hintFor(field("tags"), "en"),
    "Separate tags with commas. Up to 20 items of 50 characters each.");
});

test("list filters are the list's query parameters, references resolved, paging left out", () => {
  assert.deepEqual(folio.schema.listFilters(spec, "blog").map((p) => p.name), ["category", "status"]);
});

test("field names read as words", () => {
  assert.equal(folio.format.label("coverImage"), "Cover image");
  assert.equal(folio.format.label("githubUrl"), "GitHub URL");
  assert.equal(folio.format.label("title"), "Title");
});

test("dates show in the reader's locale, and what is not a date as it is", () => {
  assert.equal(folio.format.formatDate(""), "—");
  assert.equal(folio.format.formatDate(null), "—");
  assert.equal(folio.format.formatDate("soon"), "soon");
  assert.equal(folio.format.formatDate("2026-01-02", "en-GB"), "2 Jan 2026");
});

test("a chosen local time becomes the API's UTC time, and nothing stays nothing", () => {
  assert.equal(folio.format.toPublishAt(""), null);
  assert.equal(folio.format.toPublishAt("not a time"), null);
  const at = folio.format.toPublishAt("2026-03-04T05:06");
  assert.match(at, /^2026-03-0[345]T\d\d:06:00Z$/);
  assert.equal(new Date(at).getTime(), new Date("2026-03-04T05:06").getTime());
});

test("chart axes have four round steps at or above the peak", () => {
  const cases = [[0, 1, 4], [1, 1, 4], [7, 2, 8], [38, 10, 40], [41, 20, 80], [1234, 500, 2000]];
  for (const [max, tick, ceiling] of cases) {
    assert.deepEqual(folio.charts.scale(max), { tick, ceiling }, `peak ${max}`);
  }
  assert.equal(folio.charts.labelEvery(30), 3);
  assert.equal(folio.charts.labelEvery(12), 1);
  assert.equal(folio.charts.labelEvery(365), 31);
});

test("a chart is drawn at the width it is shown, so a phone's labels are as large as a laptop's", () => {
  assert.equal(folio.charts.chartWidth(326), 326);
  assert.equal(folio.charts.chartWidth(1400), 720);
  assert.equal(folio.charts.chartWidth(100), 280);
  assert.equal(folio.charts.chartWidth(undefined), 720);
  // 30 daily bars on a phone's 326 pixels: at most 4 labels of 64 pixels fit.
  const every = folio.charts.labelEvery(30, Math.floor((326 - 44) / 64));
  assert.ok(Math.ceil(30 / every) <= 4, `every ${every}`);
});

test("a list's free-text filters offer the values its items carry, each once", () => {
  const items = [
    { category: "Rust", tags: ["aws", "Lambda"] },
    { category: "rust", tags: ["lambda", "Edge"] },
    { category: "", tags: [] },
    { category: "Notes" },
  ];
  assert.deepEqual(folio.list.knownValues(items, "category"), ["Notes", "Rust"]);
  assert.deepEqual(folio.list.knownValues(items, "tag"), ["aws", "Edge", "Lambda"]);
  assert.deepEqual(folio.list.knownValues(items, "company"), []);
});

test("a long list is shown a page at a time, and a page past the end shows the last", () => {
  const items = Array.from({ length: 102 }, (_, i) => i);
  const first = folio.list.pageOf(items, 0);
  assert.deepEqual([first.rows.length, first.first, first.last, first.pages], [25, 1, 25, 5]);
  const last = folio.list.pageOf(items, 9);
  assert.deepEqual([last.page, last.rows, last.first, last.last], [4, [100, 101], 101, 102]);
  assert.deepEqual(folio.list.pageOf([], 3), { rows: [], page: 0, pages: 1, first: 0, last: 0 });
});

test("routes name a section and an item, and a broken fragment names none", () => {
  assert.deepEqual(folio.app.parseRoute(""), { section: "dashboard", id: null });
  assert.deepEqual(folio.app.parseRoute("#/blog"), { section: "blog", id: null });
  assert.deepEqual(folio.app.parseRoute("#/blog/a%20b"), { section: "blog", id: "a b" });
  assert.deepEqual(folio.app.parseRoute("#/blog/%E0%A4%A"), { section: "blog", id: null });
});

test("the page loads every script, in the order the tests load them, and no other", () => {
  const page = fs.readFileSync(path.join(__dirname, "..", "index.html"), "utf8");
  const scripts = [...page.matchAll(/<script defer src="\{\{asset:([a-z]+)\.js\}\}"><\/script>/g)].map((m) => m[1]);
  assert.deepEqual(scripts, folio.ORDER);
});

test("a line diff keeps the common lines and marks what went and what came", () => {
  const { diffLines } = folio.history;
  const ops = (a, b) => diffLines(a, b).map((l) => `${l.op[0]}:${l.text}`);
  assert.deepEqual(ops("a\nb\nc", "a\nx\nc"), ["s:a", "d:b", "a:x", "s:c"]);
  assert.deepEqual(ops("", "new"), ["d:", "a:new"]);
  assert.deepEqual(ops("same", "same"), ["s:same"]);
  assert.deepEqual(ops("a\nb", "b\na\nb"), ["a:b", "s:a", "s:b"]);
  // Long texts that differ everywhere stay linear: shown as replaced whole.
  const many = (tag) => Array.from({ length: 3000 }, (_, i) => `${tag}${i}`).join("\n");
  const big = diffLines(many("x"), many("y"));
  assert.equal(big.length, 6000);
  assert.equal(big.filter((l) => l.op === "same").length, 0);
});

test("the changed fields of two versions leave out the save time and the rendered HTML", () => {
  const { changedFields } = folio.history;
  const before = { title: "A", tags: ["x"], updatedAt: "1", content: "c", contentHtml: "<p>c</p>" };
  const after = { title: "B", tags: ["x", "y"], updatedAt: "2", content: "c", contentHtml: "<p>d</p>" };
  assert.deepEqual(changedFields(before, after).map((f) => [f.name, f.before, f.after]),
    [["tags", '["x"]', '["x","y"]'], ["title", "A", "B"]]);
});

test("an audience table shows its first rows and sums the rest as Others", () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ value: `site${i}`, visitors: 12 - i }));
  const shown = folio.audience.shown(rows);
  assert.equal(shown.length, 8);
  assert.deepEqual(shown[6], { value: "site6", visitors: 6 });
  assert.deepEqual(shown[7], { value: "Others", visitors: 5 + 4 + 3 + 2 + 1 });
  assert.deepEqual(folio.audience.shown(rows.slice(0, 3)), rows.slice(0, 3));
});

test("a source's drill-down lists only the pages that linked from it", () => {
  const referrers = [
    { source: "LinkedIn", page: "/in/someone/", visitors: 3 },
    { source: "Hacker News", page: "/item", visitors: 9 },
    { source: "LinkedIn", page: "/feed/", visitors: 1 },
  ];
  assert.deepEqual(folio.audience.pagesOf(referrers, "LinkedIn"), [
    { value: "/in/someone/", visitors: 3 },
    { value: "/feed/", visitors: 1 },
  ]);
  assert.deepEqual(folio.audience.pagesOf(referrers, "Google"), []);
});

test("a period's number shows how it moved against the period before", () => {
  const { change } = folio.audience;
  assert.equal(change(125, 100), "+25 %");
  assert.equal(change(90, 100), "−10 %");
  assert.equal(change(100, 100), "±0 %");
  assert.equal(change(3, 0), "new");
  assert.equal(change(0, 0), "");
  assert.equal(change(null, 40), "", "no median time without beacons");
});

test("time on page reads as seconds and minutes", () => {
  const { duration } = folio.audience;
  assert.equal(duration(45), "45 s");
  assert.equal(duration(125), "2 min 5 s");
  assert.equal(duration(120), "2 min");
  assert.equal(duration(null), "—");
});

test("a table's CSV quotes what needs quoting and never starts a formula", () => {
  const { csv } = folio.audience;
  const text = csv([["value", "Source"], ["visitors", "Visitors"]], [
    { value: "LinkedIn", visitors: 3 },
    { value: 'say "hi", then', visitors: 1 },
    { value: "=HYPERLINK(\"x\")", visitors: 2 },
  ]);
  assert.equal(text,
    'Source,Visitors\r\nLinkedIn,3\r\n"say ""hi"", then",1\r\n"\'=HYPERLINK(""x"")",2\r\n');
});

test("an answer whose body arrives after the owner moved on is dropped as stale", async () => {
  const { api, newGeneration, Stale } = folio.api;
  const real = globalThis.fetch;
  let releaseBody;
  globalThis.fetch = async () => ({
    status: 200, ok: true, headers: new Map(),
    text: () => new Promise((resolve) => { releaseBody = () => resolve("{\"n\":1}"); }),
  });
  try {
    const answer = api("GET", "/v1/visitors/count");
    await new Promise((resolve) => setImmediate(resolve));
    newGeneration(); // the owner opened another view while the body was read
    releaseBody();
    await assert.rejects(answer, (e) => e instanceof Stale);
    const fresh = api("GET", "/v1/visitors/count");
    await new Promise((resolve) => setImmediate(resolve));
    releaseBody();
    assert.deepEqual((await fresh).data, { n: 1 });
  } finally {
    globalThis.fetch = real;
  }
});

test("a search snippet is text with the matching words marked, and its escaped markup stays text", () => {
  const { snippetParts } = folio.search;
  assert.deepEqual(snippetParts("…we ran <mark>Kubernetes</mark> &amp; <mark>kube</mark>…"), [
    { text: "…we ran ", marked: false },
    { text: "Kubernetes", marked: true },
    { text: " & ", marked: false },
    { text: "kube", marked: true },
    { text: "…", marked: false },
  ]);
  // What the API escaped comes back as the characters the owner typed, never as markup.
  assert.deepEqual(snippetParts("&lt;script&gt;alert(&quot;x&apos;)&lt;/script&gt; &amp;lt;"), [
    { text: "<script>alert(\"x')</script> &lt;", marked: false },
  ]);
  assert.deepEqual(snippetParts(""), []);
});

test("CloudFront's error pages read as what they mean, and folio's own message comes first", () => {
  const { ApiFailure } = folio.api;
  assert.match(new ApiFailure(502, null).message, /could not be reached.*Nothing reached it/);
  assert.match(new ApiFailure(504, null).message, /did not answer in time.*may have been made/);
  assert.equal(
    new ApiFailure(503, { message: "The data store is temporarily unavailable" }).message,
    "The data store is temporarily unavailable",
  );
  assert.equal(new ApiFailure(418, null).message, "The server answered 418");
});

test("a custom range of two dates becomes the API's days and offset, and a wrong one says why", () => {
  const { periodLimits } = folio.audience;
  const spec = { paths: { "/visitors/audience": { get: { parameters: [
    { name: "days", in: "query", schema: { type: "integer", minimum: 1, maximum: 366 } },
    { name: "offset", in: "query", schema: { type: "integer", minimum: 0, maximum: 730 } },
  ] } } } };
  const limits = periodLimits(spec);
  assert.deepEqual(limits, { days: 366, offset: 730 });
  const rangeQuery = (from, to, today) => folio.audience.rangeQuery(from, to, today, limits);
  assert.deepEqual(rangeQuery("2026-11-01", "2026-11-30", "2026-12-06"), { days: 30, offset: 6 });
  assert.deepEqual(rangeQuery("2026-12-06", "2026-12-06", "2026-12-06"), { days: 1, offset: 0 });
  assert.deepEqual(rangeQuery("2024-02-28", "2024-03-01", "2024-03-02"), { days: 3, offset: 1 }, "a leap day counts");
  assert.match(rangeQuery("2026-11-30", "2026-11-01", "2026-12-06").error, /after/);
  assert.match(rangeQuery("2026-12-01", "2026-12-07", "2026-12-06").error, /future/);
  assert.match(rangeQuery("2025-01-01", "2026-12-06", "2026-12-06").error, /366 days/);
  assert.match(rangeQuery("2024-01-01", "2024-01-31", "2026-12-06").error, /730 days ago/);
  assert.match(rangeQuery("", "2026-12-06", "2026-12-06").error, /Choose/);
  assert.match(rangeQuery("06/12/2026", "2026-12-06", "2026-12-06").error, /Choose/);
});

test("an upload declares the image's size when the browser read one within the document's limit", () => {
  const { uploadRequest } = folio.editor;
  folio.api.state.spec = { components: { schemas: { UploadRequest: { properties: {
    contentType: { enum: ["image/png"] }, width: { maximum: 6000 }, height: { maximum: 6000 } } } } } };
  const file = { type: "image/png", size: 1234 };
  assert.deepEqual(uploadRequest(file, { width: 1200, height: 800 }),
    { contentType: "image/png", size: 1234, width: 1200, height: 800 });
  assert.deepEqual(uploadRequest(file, null), { contentType: "image/png", size: 1234 });
  assert.deepEqual(uploadRequest(file, { width: 6001, height: 10 }), { contentType: "image/png", size: 1234 });
  assert.deepEqual(uploadRequest(file, { width: 0, height: 0 }), { contentType: "image/png", size: 1234 });
});

test("a filter narrows the audience by a table's value, and each value comes off alone", () => {
  const { audienceQuery, narrowTo, widen } = folio.audience;
  assert.equal(audienceQuery(30, 0), "/v1/visitors/audience?days=30&offset=0");
  assert.equal(audienceQuery(7, 2, {}), "/v1/visitors/audience?days=7&offset=2");
  const filter = narrowTo(narrowTo({}, "sources", "LinkedIn"), "countries", "DE");
  assert.deepEqual(filter, { sources: "LinkedIn", countries: "DE" });
  const url = new URL(audienceQuery(30, 0, filter), "https://x.test");
  assert.deepEqual(JSON.parse(url.searchParams.get("q")), { sources: "LinkedIn", countries: "DE" });
  // A value with the characters a URL treats specially survives the trip.
  const odd = new URL(audienceQuery(1, 0, { landingPages: "/a&b=c?d#e" }), "https://x.test");
  assert.deepEqual(JSON.parse(odd.searchParams.get("q")), { landingPages: "/a&b=c?d#e" });
  assert.deepEqual(widen(filter, "sources"), { countries: "DE" });
  assert.deepEqual(filter, { sources: "LinkedIn", countries: "DE" }, "widen leaves the filter it was given");
});
