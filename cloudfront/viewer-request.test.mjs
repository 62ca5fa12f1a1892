// Tests of the viewer-request CloudFront Function on the event shapes of the
// CloudFront Functions documentation. Run: node --test cloudfront/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

// CloudFront Functions are scripts with a global `handler` and the `cloudfront`
// module's `cf`: load it the same way, `cf` recording the origin groups made, and
// the template's !Sub filling in the failover origin's id (or "" for none).
const file = readFileSync(new URL("./viewer-request.js", import.meta.url), "utf8");
const IMPORT = "import cf from 'cloudfront';";

function load(failoverOriginId) {
    assert.ok(file.startsWith(IMPORT), "the import is the first line");
    const source = file.slice(IMPORT.length).replace("${FailoverOriginId}", failoverOriginId);
    const groups = [];
    const selected = [];
    const context = {
        cf: {
            createRequestOriginGroup: (group) => groups.push(group),
            selectRequestOriginById: (id) => selected.push(id)
        }
    };
    vm.createContext(context);
    vm.runInContext(source, context);
    return { handler: context.handler, groups, selected };
}

const handler = load("").handler;

function event(uri, querystring = {}, headers = {}) {
    return {
        version: "1.0",
        context: {
            distributionDomainName: "d111111abcdef8.cloudfront.net",
            distributionId: "EDFDVBD6EXAMPLE",
            eventType: "viewer-request",
            requestId: "EXAMPLEntjQpEXAMPLE_SG5Z-EXAMPLEPmPfEXAMPLEu3EqEXAMPLE=="
        },
        viewer: { ip: "198.51.100.11" },
        request: {
            method: "GET",
            uri,
            querystring,
            headers: { host: { value: "d111111abcdef8.cloudfront.net" }, ...headers },
            cookies: {}
        }
    };
}

test("keeps only the query parameters the API reads, sorted", () => {
    const out = handler(event("/v1/projects", {
        utm_source: { value: "newsletter" },
        limit: { value: "5" },
        fbclid: { value: "abc" },
        featured: { value: "true" }
    }));
    assert.deepEqual(Object.keys(out.querystring), ["featured", "limit"]);
    assert.equal(out.querystring.limit.value, "5");
    assert.equal(out.uri, "/v1/projects");
});

test("of a repeated parameter the first value is kept, as the origin reads it", () => {
    const tag = { value: "rust", multiValue: [{ value: "rust" }, { value: "aws" }] };
    const out = handler(event("/v1/blog/posts", { tag }));
    assert.equal(out.querystring.tag.value, "rust");
    assert.equal(out.querystring.tag.multiValue, undefined);
});

// A raw query string as CloudFront Functions presents it: an object keyed by the
// names as sent, repeated names with a multiValue array.
function parseQuery(raw) {
    const out = {};
    for (const pair of raw.split("&").filter((p) => p.length)) {
        const at = pair.indexOf("=");
        const name = at === -1 ? pair : pair.slice(0, at);
        const value = at === -1 ? "" : pair.slice(at + 1);
        if (out[name]) {
            out[name].multiValue.push({ value });
        } else {
            out[name] = { value, multiValue: [{ value }] };
        }
    }
    return out;
}

test("normalises exactly as the Rust twin (tests/fixtures/query_normalisation.json)", () => {
    const cases = JSON.parse(readFileSync(new URL("../tests/fixtures/query_normalisation.json", import.meta.url), "utf8"));
    assert.ok(cases.length >= 8);
    for (const c of cases) {
        const out = handler(event("/v1/projects", parseQuery(c.query)));
        const serialised = Object.keys(out.querystring).map((k) => k + "=" + out.querystring[k].value).join("&");
        assert.equal(serialised, c.normalised, c.query);
    }
});

test("a request without a query string passes unchanged", () => {
    const out = handler(event("/v1/visitors/count"));
    assert.deepEqual(Object.keys(out.querystring), []);
    assert.equal(out.headers.host.value, "d111111abcdef8.cloudfront.net");
});

test("an oversized Authorization header is refused with a JSON 401", () => {
    const token = "Bearer " + "a".repeat(9000);
    const out = handler(event("/v1/auth/me", {}, { authorization: { value: token } }));
    assert.equal(out.statusCode, 401);
    assert.match(out.headers["www-authenticate"].value, /^Bearer/);
    const body = JSON.parse(out.body.data);
    assert.equal(body.statusCode, 401);
    assert.equal(body.error, "Unauthorized");
    // The one message every refused token gets (folio_shared::jwt::INVALID_TOKEN_MESSAGE).
    assert.equal(body.message, "The authentication token is invalid or expired");
});

test("a normal Authorization header reaches the edge function", () => {
    const out = handler(event("/v1/auth/me", {}, { authorization: { value: "Bearer a.b.c" } }));
    assert.equal(out.headers.authorization.value, "Bearer a.b.c");
    assert.equal(out.statusCode, undefined);
});

// "Optimize high availability with CloudFront origin failover": CloudFront fails
// over only GET, HEAD and OPTIONS; the group names the distribution's two origins.
test("reads go to an origin group of the two Regions, writes to the home origin", () => {
    const { handler, groups } = load("origin-failover");
    for (const method of ["GET", "HEAD", "OPTIONS"]) {
        const e = event("/v1/projects");
        e.request.method = method;
        handler(e);
    }
    assert.equal(groups.length, 3);
    assert.deepEqual(JSON.parse(JSON.stringify(groups[0])), {
        originIds: [{ originId: "origin" }, { originId: "origin-failover" }],
        failoverCriteria: { statusCodes: [500, 502, 503, 504] }
    });
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const e = event("/v1/projects");
        e.request.method = method;
        handler(e);
    }
    assert.equal(groups.length, 3, "no group for a write");
});

test("a tracking beacon resent with ?failover goes to the other Region, and only such a one", () => {
    const { handler, groups, selected } = load("origin-failover");
    for (const path of ["/v1/visitors/track", "/v1/analytics/track", "/v1/analytics/engagement"]) {
        const e = event(path, { failover: { value: "1" } });
        e.request.method = "POST";
        const out = handler(e);
        assert.deepEqual(JSON.parse(JSON.stringify(out.querystring)), {}, "the origin never sees the parameter");
    }
    assert.deepEqual(selected, ["origin-failover", "origin-failover", "origin-failover"]);
    const first = event("/v1/visitors/track");
    first.request.method = "POST";
    handler(first);
    const owner = event("/v1/blog/posts", { failover: { value: "1" } });
    owner.request.method = "POST";
    handler(owner);
    const renamed = event("/v1/visitors/track", { failovers: { value: "1" } });
    renamed.request.method = "POST";
    handler(renamed);
    assert.equal(selected.length, 3, "a first try, an owner's change and another name stay home");
    assert.equal(groups.length, 0, "no group for a POST");
    const single = load("");
    const e = event("/v1/visitors/track", { failover: { value: "1" } });
    e.request.method = "POST";
    single.handler(e);
    assert.equal(single.selected.length, 0, "with one origin the parameter is dropped and nothing selected");
});

test("with one origin no group is made", () => {
    const { handler, groups } = load("");
    handler(event("/v1/projects"));
    assert.equal(groups.length, 0);
});
