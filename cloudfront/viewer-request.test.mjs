// Tests of the viewer-request CloudFront Function on the event shapes of the
// CloudFront Functions documentation. Run: node --test cloudfront/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

// CloudFront Functions are plain scripts with a global `handler`: load it the same way.
const source = readFileSync(new URL("./viewer-request.js", import.meta.url), "utf8");
const context = {};
vm.createContext(context);
vm.runInContext(source, context);
const handler = context.handler;

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

test("keeps repeated parameters with their multiValue array", () => {
    const tag = { value: "rust", multiValue: [{ value: "rust" }, { value: "aws" }] };
    const out = handler(event("/v1/blog/posts", { tag }));
    assert.deepEqual(out.querystring.tag, tag);
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
});

test("a normal Authorization header reaches the edge function", () => {
    const out = handler(event("/v1/auth/me", {}, { authorization: { value: "Bearer a.b.c" } }));
    assert.equal(out.headers.authorization.value, "Bearer a.b.c");
    assert.equal(out.statusCode, undefined);
});
