// Tests of origin/tracker/2.js, 3.js and 4.js in a fake page: what they send, and when
// they send a beacon again for the other Region. Run: node --test origin/tracker/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const sources = Object.fromEntries(
    ["2", "3", "4"].map((v) => [v, readFileSync(new URL(`./${v}.js`, import.meta.url), "utf8")])
);
const API = "https://d111.cloudfront.net";

// A page that loaded the script with `attributes`; `answer(url)` is what fetch
// gives (a status, `{ status, body }` for an answer with a JSON body, or
// "network" for a failed request), `beacon` what sendBeacon returns.
function page({ version, attributes = {}, answer = () => 200, beacon = true, gpc = false } = {}) {
    const fetched = [];
    const beacons = [];
    const timers = [];
    const listeners = {};
    const script = {
        src: `${API}/v1/tracker/${version}.js`,
        hasAttribute: (name) => name in attributes,
        getAttribute: (name) => (name in attributes ? attributes[name] : null)
    };
    const document = {
        currentScript: script,
        referrer: "https://www.linkedin.com/feed/",
        hidden: false,
        documentElement: { scrollHeight: 2000 },
        addEventListener: (name, fn) => (listeners["document:" + name] = fn)
    };
    const context = {
        document,
        navigator: {
            globalPrivacyControl: gpc,
            sendBeacon: (url, body) => {
                beacons.push({ url, body: JSON.parse(body) });
                return beacon;
            }
        },
        location: { href: "https://me.example/posts/hello?utm_source=talk" },
        scrollY: 0,
        innerHeight: 1000,
        addEventListener: (name, fn) => (listeners[name] = fn),
        setTimeout: (fn, ms) => timers.push({ fn, ms }),
        fetch: (url, init) => {
            fetched.push({ url, init, body: JSON.parse(init.body) });
            const response = (answered) => {
                const { status, body } = typeof answered === "object" ? answered : { status: answered };
                return {
                    status,
                    ok: status >= 200 && status < 300,
                    json: () => (body === undefined ? Promise.reject(new SyntaxError("no JSON")) : Promise.resolve(body))
                };
            };
            const status = answer(url);
            if (status instanceof Promise) return status.then(response);
            return status === "network" ? Promise.reject(new TypeError("Failed to fetch")) : Promise.resolve(response(status));
        },
        Date,
        Math,
        JSON
    };
    vm.createContext(context);
    vm.runInContext(sources[version], context);
    return { fetched, beacons, timers, listeners, document };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function runTimers(p) {
    await settle();
    while (p.timers.length) {
        const { fn } = p.timers.shift();
        fn();
        await settle();
    }
}

for (const version of Object.keys(sources)) {
    test(`${version}.js: a page load sends the visit with its referrer and landing page, once when it is answered`, async () => {
        const p = page({ version });
        await runTimers(p);
        assert.equal(p.fetched.length, 1);
        assert.equal(p.fetched[0].url, `${API}/v1/visitors/track`);
        assert.deepEqual(p.fetched[0].body, {
            referrer: "https://www.linkedin.com/feed/",
            url: "https://me.example/posts/hello?utm_source=talk"
        });
        assert.equal(p.fetched[0].init.method, "POST");
        assert.equal(p.fetched[0].init.credentials, "omit", "no cookies");
        assert.equal(p.fetched[0].init.mode, undefined, "a CORS request, so the answer can be read");
        assert.equal(typeof p.fetched[0].init.body, "string", "text/plain: no preflight");
    });

    test(`${version}.js: a beacon the home Region failed goes once more, 2 s later, with ?failover`, async () => {
        for (const failure of ["network", 500, 502, 503, 504]) {
            const p = page({ version,  answer: (url) => (url.includes("failover") ? 200 : failure) });
            await settle();
            assert.equal(p.timers.length, 1, `${failure}: one retry waits`);
            assert.equal(p.timers[0].ms, 2000);
            await runTimers(p);
            assert.deepEqual(
                p.fetched.map((f) => f.url),
                [`${API}/v1/visitors/track`, `${API}/v1/visitors/track?failover=1`],
                `on ${failure}`
            );
            assert.deepEqual(p.fetched[1].body, p.fetched[0].body, "the same beacon");
        }
    });

    test(`${version}.js: an answer below 500 is final, and a failed retry is not retried`, async () => {
        for (const status of [200, 400, 404, 429]) {
            const p = page({ version,  answer: () => status });
            await runTimers(p);
            assert.equal(p.fetched.length, 1, `on ${status}`);
        }
        const p = page({ version,  answer: () => "network" });
        await runTimers(p);
        assert.equal(p.fetched.length, 2, "one retry at most");
    });

    test(`${version}.js: an item's page sends its view, and its engagement beacon once when hidden`, async () => {
        const p = page({ version,  attributes: { "data-content-type": "blog", "data-content-id": "01abc" } });
        await runTimers(p);
        assert.deepEqual(
            p.fetched.map((f) => f.url),
            [`${API}/v1/visitors/track`, `${API}/v1/analytics/track`]
        );
        assert.deepEqual(p.fetched[1].body, { contentType: "blog", contentId: "01abc" });
        p.document.hidden = true;
        p.listeners["document:visibilitychange"]();
        p.listeners.pagehide();
        assert.equal(p.beacons.length, 1, "one engagement beacon per page load");
        assert.equal(p.beacons[0].url, `${API}/v1/analytics/engagement`);
        assert.equal(p.beacons[0].body.scrolled, 50);
        assert.equal(p.fetched.length, 2, "sendBeacon took it");
    });

    test(`${version}.js: when sendBeacon refuses, the engagement goes by fetch, and fails over like the rest`, async () => {
        const p = page({ version, 
            attributes: { "data-content-type": "project", "data-content-id": "01p" },
            beacon: false,
            answer: (url) => (url.endsWith("engagement") ? 503 : 200)
        });
        await runTimers(p);
        p.listeners.pagehide();
        await runTimers(p);
        assert.deepEqual(p.fetched.slice(2).map((f) => f.url), [
            `${API}/v1/analytics/engagement`,
            `${API}/v1/analytics/engagement?failover=1`
        ]);
    });

    test(`${version}.js: with data-gpc and Global Privacy Control on, nothing is sent`, async () => {
        const p = page({ version,  attributes: { "data-gpc": "" }, gpc: true });
        await runTimers(p);
        assert.equal(p.fetched.length, 0);
        const q = page({ version,  attributes: { "data-gpc": "" }, gpc: false });
        await runTimers(q);
        assert.equal(q.fetched.length, 1, "GPC off: the visit is sent");
    });
}

for (const version of ["3", "4"]) {
    test(`${version}.js sends an item's view only once its visit is answered, so the visit counts first`, async () => {
        let answer;
        const visitAnswered = new Promise((resolve) => (answer = resolve));
        const p = page({
            version,
            attributes: { "data-content-type": "blog", "data-content-id": "01abc" },
            answer: (url) => (url.endsWith("visitors/track") ? visitAnswered : 200)
        });
        await runTimers(p);
        assert.deepEqual(p.fetched.map((f) => f.url), [`${API}/v1/visitors/track`], "the view waits");
        answer(200);
        await runTimers(p);
        assert.deepEqual(p.fetched.map((f) => f.url), [`${API}/v1/visitors/track`, `${API}/v1/analytics/track`]);
    });

    test(`${version}.js sends the view after the visit's retry, even when both tries failed`, async () => {
        const p = page({
            version,
            attributes: { "data-content-type": "blog", "data-content-id": "01abc" },
            answer: (url) => (url.includes("visitors/track") ? 503 : 200)
        });
        await runTimers(p);
        assert.deepEqual(p.fetched.map((f) => f.url), [
            `${API}/v1/visitors/track`,
            `${API}/v1/visitors/track?failover=1`,
            `${API}/v1/analytics/track`
        ]);
    });
}

const TOKEN = "AbCd-.0123456789abcdef";

test("4.js sends the token its visit answered with the view and with the engagement beacon", async () => {
    const p = page({
        version: "4",
        attributes: { "data-content-type": "blog", "data-content-id": "01abc" },
        answer: (url) =>
            url.endsWith("visitors/track") ? { status: 200, body: { count: 7, tracked: true, visit: TOKEN } } : 200
    });
    await runTimers(p);
    assert.deepEqual(p.fetched[1].body, { contentType: "blog", contentId: "01abc", visit: TOKEN });
    p.listeners.pagehide();
    assert.equal(p.beacons[0].body.visit, TOKEN);
});

test("4.js sends the view without a token when its visit answered none, no JSON, or failed", async () => {
    for (const visit of [
        { status: 200, body: { count: 7, tracked: false } },
        200,
        { status: 429, body: { visit: TOKEN } },
        503
    ]) {
        const p = page({
            version: "4",
            attributes: { "data-content-type": "blog", "data-content-id": "01abc" },
            answer: (url) => (url.includes("visitors/track") ? visit : 200)
        });
        await runTimers(p);
        const view = p.fetched.find((f) => f.url.endsWith("analytics/track"));
        assert.deepEqual(view.body, { contentType: "blog", contentId: "01abc" }, JSON.stringify(visit));
    }
});
