"""The blog's feeds and the sitemap, checked by validators written elsewhere.

Starts a `folio serve` (embedded store) whose frontend is https://jane.example,
publishes posts whose titles, tags and bodies need escaping (markup, ampersands,
quotes, other scripts, hostile Markdown), and checks what it serves:

- /v1/sitemap.xml against the sitemaps.org XML Schema (sitemap.xsd, as shipped in
  the npm package `sitemap`), with `xmlschema` from PyPI;
- /v1/blog/feed.json against the JSON Feed 1.1 JSON Schema (npm package
  `jsonfeed-schema`), with `jsonschema` from PyPI, formats checked;
- /v1/blog/feed.atom and /v1/blog/feed.rss with `feedparser` from PyPI: strict
  XML well-formedness (no "bozo" flag), the format it recognises (atom10, rss20),
  and every element a reader needs parsed back to what was published.

No validator here is written by folio. The W3C Feed Validation Service is not
packaged on PyPI or npm, so the RSS and Atom checks are feedparser's.

Run: .venv/bin/python -m unittest tests/feeds_test.py (scripts/test does, after
fetching the schemas into target/feed-schemas/). Needs target/debug/folio.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import feedparser
import jsonschema
import xmlschema

ROOT = Path(__file__).resolve().parent.parent
FOLIO = Path(os.environ.get("FOLIO_BIN", ROOT / "target" / "debug" / "folio"))
SCHEMAS = ROOT / "target" / "feed-schemas"
SITEMAP_XSD = SCHEMAS / "sitemap" / "package" / "schema" / "sitemap.xsd"
JSONFEED_SCHEMA = SCHEMAS / "jsonfeed-schema" / "package" / "schema-v1.1.json"
EMAIL = "owner@feeds.test"
PASSWORD = "Feeds-test-passw0rd"
SITE = "https://jane.example"
TITLE = "Jane's notes & \"more\""

POSTS = [
    {"title": "Ampersands & <angles> \"quoted\"", "excerpt": "Less < more & so on",
     "content": "# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** https://example.com",
     "category": "Rust & Web", "tags": ["a&b", "<tag>"], "publishedAt": "2024-03-01"},
    {"title": "Héllo Wörld! 日本", "excerpt": "Other scripts", "content": "日本語の本文。\n\n| a | b |\n|---|---|\n| 1 | 2 |",
     "category": "Notes", "tags": ["日本"], "publishedAt": "2024-04-01"},
    {"title": "Control \u0001 characters", "excerpt": "x\u0008y", "content": "text\u000bmore",
     "category": "Edge cases", "tags": ["edge"]},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Feeds(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for schema in [SITEMAP_XSD, JSONFEED_SCHEMA]:
            if not schema.exists():
                raise AssertionError(f"{schema} is missing: scripts/test fetches it")
        cls.dir = tempfile.TemporaryDirectory(prefix="folio-feeds-")
        port = free_port()
        cls.base = f"http://127.0.0.1:{port}"
        env = dict(os.environ, FOLIO_OWNER_EMAIL=EMAIL, FOLIO_OWNER_PASSWORD=PASSWORD,
                   SITE_URL=SITE, SITE_TITLE=TITLE, FOLIO_LOG="warn")
        cls.log = open(Path(cls.dir.name) / "serve.log", "wb")
        cls.serve = subprocess.Popen(
            [str(FOLIO), "serve", "--addr", f"127.0.0.1:{port}", "--data-dir", str(Path(cls.dir.name) / "data")],
            stdout=cls.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while True:
            try:
                if cls.request("GET", "/v1/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or cls.serve.poll() is not None:
                raise AssertionError("folio serve did not start")
            time.sleep(0.1)
        status, _, session = cls.request("POST", "/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
        assert status == 200, session
        cls.token = session["token"]
        cls.published = []
        for post in POSTS:
            status, _, created = cls.request("POST", "/v1/blog/posts", post, cls.token)
            assert status == 201, created
            status, _, done = cls.request("POST", f"/v1/blog/posts/{created['id']}/publish", None, cls.token)
            assert status == 200, done
            cls.published.append(done)
        status, _, draft = cls.request("POST", "/v1/blog/posts", dict(POSTS[0], title="A private draft"), cls.token)
        assert status == 201, draft
        for path, body in [("/v1/projects", {"name": "Tool & <co>", "description": "d", "longDescription": "l",
                                             "tech": ["Rust"], "company": "Acme"}),
                           ("/v1/certifications", {"name": "Cert", "issuer": "AWS", "icon": "x", "type": "course",
                                                   "description": "d", "dateEarned": "2024-01-01"})]:
            status, _, item = cls.request("POST", path, body, cls.token)
            assert status == 201, item
            cls.request("POST", f"{path}/{item['id']}/publish", None, cls.token)

    @classmethod
    def tearDownClass(cls):
        cls.serve.terminate()
        cls.serve.wait(timeout=15)
        cls.log.close()
        cls.dir.cleanup()

    @classmethod
    def request(cls, method, path, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(cls.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                kind = r.headers.get("Content-Type", "")
                return r.status, r.headers, json.loads(raw) if "json" in kind and raw else raw
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def fetch(self, path, media_type):
        status, headers, body = self.request("GET", path)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], f"{media_type}; charset=utf-8")
        return body

    def post_url(self, post):
        return f"{SITE}/blog/{urllib.parse.quote(post['slug'], safe='-')}"

    def test_sitemap_is_valid_against_the_sitemaps_org_schema(self):
        body = self.fetch("/v1/sitemap.xml", "application/xml")
        schema = xmlschema.XMLSchema(str(SITEMAP_XSD))
        schema.validate(body.decode())
        text = body.decode()
        for post in self.published:
            self.assertIn(f"<loc>{self.post_url(post)}</loc>", text)
        self.assertNotIn("private", text)
        self.assertIn(f"<loc>{SITE}/</loc>", text)

    def test_json_feed_is_valid_against_the_json_feed_1_1_schema(self):
        feed = self.fetch("/v1/blog/feed.json", "application/feed+json")
        schema = json.loads(JSONFEED_SCHEMA.read_text())
        jsonschema.validate(feed, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
        self.assertEqual(feed["title"], TITLE)
        self.assertEqual([i["title"] for i in feed["items"]],
                         [p["title"] for p in reversed(self.published)])
        self.assertEqual([i["url"] for i in feed["items"]], [self.post_url(p) for p in reversed(self.published)])
        self.assertTrue(feed["feed_url"].endswith("/v1/blog/feed.json"))

    def check_entries(self, parsed):
        titles = [p["title"].replace("\u0001", "") for p in reversed(self.published)]
        self.assertEqual([e.title for e in parsed.entries], titles)
        for entry, post in zip(parsed.entries, reversed(self.published)):
            self.assertEqual(entry.link, self.post_url(post))
            self.assertIsNotNone(entry.get("published_parsed"), entry)
            html = entry.content[0].value if entry.get("content") else ""
            self.assertNotIn("<script", html)
            self.assertNotRegex(html, r"(?i)(href|src)\s*=\s*[\"']?\s*javascript:")
            self.assertNotRegex(html, r"(?i)\son[a-z]+\s*=")
            self.assertIn(post["category"], [t.term for t in entry.tags])
        hostile = parsed.entries[-1]
        self.assertIn("<strong>bold</strong>", hostile.content[0].value)

    def test_atom_feed_is_well_formed_atom_1_0_and_round_trips(self):
        body = self.fetch("/v1/blog/feed.atom", "application/atom+xml")
        parsed = feedparser.parse(body)
        self.assertFalse(parsed.bozo, parsed.get("bozo_exception"))
        self.assertEqual(parsed.version, "atom10")
        self.assertEqual(parsed.feed.title, TITLE)
        self.assertEqual(parsed.feed.link, f"{SITE}/")
        self.assertIsNotNone(parsed.feed.get("updated_parsed"))
        self.assertTrue(any(link.rel == "self" for link in parsed.feed.links))
        for entry in parsed.entries:
            self.assertTrue(entry.id)
            self.assertIsNotNone(entry.get("updated_parsed"))
            self.assertEqual(entry.content[0].type, "text/html")
        self.check_entries(parsed)

    def test_rss_feed_is_well_formed_rss_2_0_and_round_trips(self):
        body = self.fetch("/v1/blog/feed.rss", "application/rss+xml")
        parsed = feedparser.parse(body)
        self.assertFalse(parsed.bozo, parsed.get("bozo_exception"))
        self.assertEqual(parsed.version, "rss20")
        self.assertEqual(parsed.feed.title, TITLE)
        self.assertEqual(parsed.feed.link, f"{SITE}/")
        self.assertTrue(parsed.feed.get("description"))
        for entry in parsed.entries:
            self.assertEqual(entry.id, entry.link, "guid is the permalink")
        self.check_entries(parsed)


if __name__ == "__main__":
    unittest.main()
