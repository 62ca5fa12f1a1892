"""The owner's console (/admin/) in a real headless Chromium, driven by Selenium.

Each test class starts its own `folio serve` on 127.0.0.1 (the embedded store, or
the AWS adapters against a moto server it also starts) and signs in through the
page like an owner would. Every test saves a screenshot under
target/browser-screenshots/ for a person to look at; any error the browser logs
(a script error, a Content-Security-Policy violation) fails the test.

Run: .venv/bin/python -m unittest tests/browser/console_test.py (scripts/test does).
Needs target/debug/folio, /usr/bin/chromium and /usr/bin/chromedriver.
"""

import datetime
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
FOLIO = Path(os.environ.get("FOLIO_BIN", ROOT / "target" / "debug" / "folio"))
SHOTS = ROOT / "target" / "browser-screenshots"
EMAIL = "owner@console.test"
PASSWORD = "Console-test-passw0rd"
WAIT = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    """A `folio serve` (and, for the AWS adapters, a moto) on free local ports."""

    def __init__(self, aws: bool):
        self.dir = Path(tempfile.mkdtemp(prefix="folio-console-"))
        self.procs = []
        env = dict(os.environ, FOLIO_OWNER_EMAIL=EMAIL, FOLIO_OWNER_PASSWORD=PASSWORD, FOLIO_LOG="warn")
        args = [str(FOLIO), "serve", "--data-dir", str(self.dir / "data")]
        if aws:
            moto_port = free_port()
            self.spawn([str(ROOT / ".venv" / "bin" / "python"), str(ROOT / "scripts" / "moto_server.py"),
                        str(moto_port)], "moto.log", env)
            env.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}", AWS_ACCESS_KEY_ID="testing",
                       AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")
            wait_for(lambda: self.answers(f"http://127.0.0.1:{moto_port}/moto-api/"), "moto")
            init = subprocess.run([str(FOLIO), "aws-init"], env=env, capture_output=True, text=True, timeout=120)
            if init.returncode != 0:
                raise AssertionError(f"folio aws-init failed: {init.stderr}")
            for line in init.stdout.splitlines():
                if line.startswith("export "):
                    for setting in shlex.split(line[len("export "):]):
                        name, _, value = setting.partition("=")
                        env[name] = value
            args.append("--aws")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args += ["--addr", f"127.0.0.1:{self.port}"]
        self.serve = self.spawn(args, "serve.log", env)
        wait_for(lambda: self.answers(f"{self.base}/v1/health"), "folio serve", timeout=60)

    def spawn(self, args, log, env):
        out = open(self.dir / log, "wb")
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.dir)
        self.procs.append(proc)
        return proc

    @staticmethod
    def answers(url) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def request(self, method, path, body=None, token=None, headers=None):
        """(status, headers, JSON body or None) of one API call."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                raw = r.read()
                return r.status, r.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, e.headers, json.loads(raw) if raw else None

    def owner_token(self) -> str:
        status, _, body = self.request("POST", "/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
        assert status == 200, (status, body)
        return body["token"]

    def stop(self):
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def chromium(flags=()) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # The flags that keep Chromium from reaching for the network at start.
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,900", *flags]:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='folio-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


DESKTOP_CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Safari/537.36")
SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.5 Safari/605.1.15")


class SitePages:
    """The owner's site on another origin (localhost, not 127.0.0.1), and a third
    site that links to it (127.0.0.1 on another port): plain pages, one with the
    tracking script's tag as the README gives it."""

    def __init__(self, api_base, post_id):
        import http.server
        import threading
        pages = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/ref.html":
                    body = (f'<!doctype html><link rel="icon" href="data:,"><title>A post that links</title>'
                            f'<a id="to-site" href="{pages.site_base}/landing.html?utm_source=newsletter'
                            f'&utm_medium=talk&utm_campaign=kubecon-talk">Read it</a>')
                elif path == "/landing.html":
                    # The page notes what the tracker fetches (its view's body).
                    body = (f'<!doctype html><link rel="icon" href="data:,"><title>Read to the end</title>'
                            '<script>window.sent=[];var f=fetch;window.fetch=function(u,o)'
                            '{sent.push([String(u),o&&o.body]);return f.apply(this,arguments)}</script>'
                            f'<script src="{api_base}/v1/tracker/4.js" data-content-type="blog" '
                            f'data-content-id="{post_id}" async></script>'
                            f'<article style="height:6000px">A long post.</article>')
                else:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.httpd.server_address[1]
        self.site_base = f"http://localhost:{port}"
        self.referrer_base = f"http://127.0.0.1:{port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class ConsoleTests:
    """The owner's journeys; run once per backend by the classes below."""

    aws = False
    server: Server
    browser: webdriver.Chrome

    @classmethod
    def setUpClass(cls):
        SHOTS.mkdir(parents=True, exist_ok=True)
        cls.server = Server(cls.aws)
        cls.browser = chromium()

    @classmethod
    def tearDownClass(cls):
        cls.browser.quit()
        cls.server.stop()

    def setUp(self):
        # A fresh tab state: no session left from another test (cleared on a page of
        # the same origin that runs no console script that could write it back).
        self.browser.get(self.server.base + "/v1/health")
        self.browser.execute_script("sessionStorage.clear()")
        self.browser.get(self.server.base + "/admin/")
        self.browser.get_log("browser")

    def tearDown(self):
        backend = "moto" if self.aws else "embedded"
        self.browser.save_screenshot(str(SHOTS / f"{backend}-{self._testMethodName}.png"))
        problems = [entry for entry in self.browser.get_log("browser")
                    if entry["level"] == "SEVERE" and "401" not in entry["message"]
                    and "412" not in entry["message"] and "400" not in entry["message"]
                    and "409" not in entry["message"]]
        self.assertEqual(problems, [], "the browser logged errors")

    # ------------------------------------------------------------------ helpers
    def wait(self, condition, timeout=WAIT):
        return WebDriverWait(self.browser, timeout).until(condition)

    def visible(self, css):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def text_in(self, css, text):
        self.wait(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))

    def sign_in(self, password=PASSWORD):
        self.visible("#sign-in-email")
        email = self.browser.find_element(By.ID, "sign-in-email")
        email.clear()
        email.send_keys(EMAIL)
        self.browser.find_element(By.ID, "sign-in-password").send_keys(password + Keys.ENTER)

    def signed_in(self):
        self.sign_in()
        self.wait(EC.invisibility_of_element_located((By.ID, "sign-in")))
        self.visible("#nav")

    def go(self, hash_):
        self.browser.execute_script("location.hash = arguments[0]", hash_)

    def fill(self, name, value):
        field = self.visible(f"#field-{name}")
        field.clear()
        field.send_keys(value)

    def new_post(self, title):
        self.go("#/blog/new")
        self.visible("#field-title")
        self.fill("title", title)
        self.fill("excerpt", "What the post is about")
        self.fill("content", "# Heading\n\nSome **bold** words.")
        self.fill("category", "Notes")
        self.fill("tags", "one, two")
        self.browser.find_element(By.ID, "save").click()
        self.wait(lambda b: "/blog/" in b.current_url and not b.current_url.endswith("/new"))
        self.visible("#publish")
        # Save stays disabled until the new draft's ETag is read back: a click
        # before that does nothing (seen on moto under load).
        self.wait(lambda b: b.find_element(By.ID, "save").is_enabled())
        return self.browser.current_url.rsplit("/", 1)[1]

    # -------------------------------------------------------------------- tests
    def test_sign_in_refuses_a_wrong_password_then_signs_in_and_out_everywhere(self):
        self.sign_in("Wrong-password-123")
        self.text_in("#sign-in-error", "do not match")
        self.browser.find_element(By.ID, "sign-in-password").clear()
        self.signed_in()
        self.visible("#stat-visitors")
        # The token lives in memory only: nothing in storage a page of another site
        # (or this one) could lift as a bearer token.
        stored = self.browser.execute_script(
            "return Object.keys(localStorage).concat(Object.keys(sessionStorage))")
        self.assertEqual(stored, ["folio.console.refreshToken"])
        self.assertEqual(self.browser.get_cookies(), [])
        self.browser.find_element(By.ID, "sign-out").click()
        self.visible("#sign-in-email")
        self.text_in("#main", "Signed out on every device")

    def test_a_draft_is_written_edited_published_unpublished_and_deleted(self):
        self.signed_in()
        post_id = self.new_post("Console draft")
        self.text_in("aside.meta", "Draft")
        status, _, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}")
        self.assertEqual(status, 404, "a draft must be invisible to the public")
        # The live preview renders the Markdown as readers get it: raw HTML only as
        # the server's sanitiser lets it through, no script, no event handler.
        self.fill("content", "## Preview\n\n<b onclick=alert(1)>kept</b> <script>alert(1)</script> **strong**")
        self.text_in("#preview-content h2", "Preview")
        self.text_in("#preview-content", "kept")
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "#preview-content script"), [])
        self.assertEqual(self.browser.find_elements(By.CSS_SELECTOR, "#preview-content [onclick]"), [])
        self.fill("title", "Console draft, edited")
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#toast", "Saved")
        token = self.server.owner_token()
        _, _, stored = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        self.assertEqual(stored["title"], "Console draft, edited")
        self.assertIn("**strong**", stored["content"])

        self.browser.find_element(By.ID, "publish").click()
        self.visible("#unpublish")
        status, _, public = self.server.request("GET", f"/v1/blog/posts/{post_id}")
        self.assertEqual((status, public["title"]), (200, "Console draft, edited"))
        status, _, listed = self.server.request("GET", "/v1/blog/posts")
        self.assertIn(post_id, [p["id"] for p in listed["posts"]])

        self.browser.find_element(By.ID, "unpublish").click()
        self.visible("#publish")
        status, _, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}")
        self.assertEqual(status, 404, "unpublished: the public answer must be gone (cache invalidated)")

        self.browser.find_element(By.ID, "delete").click()
        self.visible("#confirm-ok").click()
        self.wait(lambda b: b.current_url.endswith("#/blog"))
        status, _, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        self.assertEqual(status, 404)

    def test_the_preview_is_the_html_readers_get_byte_for_byte(self):
        self.signed_in()
        post_id = self.new_post("Preview parity")
        markdown = ("## Parity\n\nSee https://example.com/docs, ~~old~~ and `code`.\n\n"
                    "| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n\n"
                    "<b onclick=alert(1)>bold</b>")
        self.fill("content", markdown)
        # What the console's own renderer got wrong: a bare URL is a link.
        self.wait(lambda b: b.find_elements(
            By.CSS_SELECTOR, '#preview-content a[href="https://example.com/docs"]'))
        self.text_in("#preview-content td", "1")
        self.text_in("#preview-content b", "bold")
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#toast", "Saved")
        self.browser.find_element(By.ID, "publish").click()
        self.visible("#unpublish")
        self.assertNotIn("null", self.browser.find_element(By.CSS_SELECTOR, "aside.meta").text)
        _, _, published = self.server.request("GET", f"/v1/blog/posts/{post_id}")
        token = self.server.owner_token()
        status, _, rendered = self.server.request("POST", "/v1/render", body={"markdown": markdown}, token=token)
        self.assertEqual(status, 200, rendered)
        # The preview's source and what readers get: the same bytes.
        self.assertEqual(rendered["html"], published["contentHtml"])
        # And the preview shows exactly that HTML (both parsed by this browser).
        same = self.browser.execute_script(
            "const t = document.createElement('template'); t.innerHTML = arguments[0];"
            "return t.innerHTML === document.getElementById('preview-content').innerHTML;",
            published["contentHtml"])
        self.assertTrue(same, "the preview differs from the published contentHtml")

    def test_a_preview_link_opens_as_a_page_with_a_banner(self):
        self.signed_in()
        self.new_post("A draft to show")
        self.browser.find_element(By.ID, "make-preview").click()
        url = self.visible("#preview-url").get_attribute("value")
        self.browser.get(url)
        self.wait(lambda b: "Preview, not published" in b.find_element(By.TAG_NAME, "body").text)
        self.assertEqual(self.browser.find_element(By.TAG_NAME, "h1").text, "A draft to show")
        robots = self.browser.find_element(By.CSS_SELECTOR, "meta[name=robots]").get_attribute("content")
        self.assertIn("noindex", robots)

    def test_a_preview_link_opens_the_draft_for_anyone_until_revoked(self):
        self.signed_in()
        post_id = self.new_post("Previewed draft")
        self.browser.find_element(By.ID, "make-preview").click()
        field = self.visible("#preview-url")
        url = field.get_attribute("value")
        # The "Draft created" toast is still up: it must not swallow the click.
        self.assertTrue(self.browser.find_element(By.ID, "toast").is_displayed())
        self.browser.find_element(By.ID, "copy-preview").click()
        # The link is the page a person opens; the API's JSON is under /v1.
        self.assertTrue(url.startswith(self.server.base + "/preview/"), url)
        path = "/v1" + url[len(self.server.base):]
        status, headers, preview = self.server.request("GET", path)
        self.assertEqual(status, 200, preview)
        self.assertEqual((preview["item"]["id"], preview["item"]["status"]), (post_id, "draft"))
        self.assertEqual(headers["Cache-Control"], "private, no-store")
        # The item's live links are listed (times, never the token).
        self.text_in("#preview-links", "works until")
        self.assertNotIn(path.rsplit("/", 1)[1], self.browser.find_element(By.ID, "preview-links").text)
        self.browser.find_element(By.ID, "revoke-preview").click()
        self.text_in("#preview-link", "revoked")
        status, _, _ = self.server.request("GET", path)
        self.assertEqual(status, 404, "a revoked link opens nothing")
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, "#preview-links li"))
        # A link revoked from the list, without its token.
        self.browser.find_element(By.ID, "make-preview").click()
        self.wait(lambda b: b.find_element(By.ID, "preview-url").get_attribute("value") != url)
        second = self.browser.find_element(By.ID, "preview-url").get_attribute("value")[len(self.server.base):]
        self.visible("#preview-links li button").click()
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, "#preview-links li"))
        status, _, _ = self.server.request("GET", "/v1" + second)
        self.assertEqual(status, 404, "revoked from the list")

    def test_a_draft_scheduled_in_the_console_goes_out_on_time(self):
        import datetime
        self.signed_in()
        post_id = self.new_post("Scheduled in the console")
        when = (datetime.datetime.now() + datetime.timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%S")
        field = self.visible("#publish-at")
        self.browser.execute_script("arguments[0].step = 1; arguments[0].value = arguments[1]", field, when)
        self.browser.find_element(By.ID, "schedule").click()
        self.text_in("aside.meta", "Scheduled")
        status, _, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}")
        self.assertEqual(status, 404, "owner-only until its time")
        wait_for(lambda: self.server.request("GET", f"/v1/blog/posts/{post_id}")[0] == 200,
                 "the scheduler to publish it", timeout=10)

    def test_a_cover_image_is_uploaded_from_the_editor_with_its_size_and_gets_smaller_copies(self):
        import struct
        import zlib
        self.signed_in()
        post_id = self.new_post("Post with a cover")

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        width, height = 1000, 600
        rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x % 256, y % 256, 128))
                        for y in range(height))
        png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
               + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
        path = self.server.dir / "cover.png"
        path.write_bytes(png)
        self.visible("#upload-coverImage").send_keys(str(path))
        self.text_in("#upload-coverImage-status", "Uploaded")
        url = self.browser.find_element(By.ID, "field-coverImage").get_attribute("value")
        # The browser read the picture's size, and the API named the upload with it.
        self.assertTrue(url.startswith(self.server.base + "/media/") and url.endswith(".1000x600.png"), url)
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#toast", "Saved")
        _, _, stored = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=self.server.owner_token())
        self.assertEqual(stored["coverImage"], url)
        self.assertEqual((stored["coverImageSources"]["width"], stored["coverImageSources"]["height"]), (1000, 600))
        with urllib.request.urlopen(url, timeout=10) as r:
            self.assertEqual((r.headers["Content-Type"], r.read()), ("image/png", png))
        stem = url.rsplit("/", 1)[1].split(".")[0]

        def made():
            try:
                with urllib.request.urlopen(f"{self.server.base}/media/sized/{stem}-960.webp", timeout=10) as r:
                    return r.headers["Content-Type"] == "image/webp"
            except urllib.error.HTTPError:
                return False
        wait_for(made, "the cover's 960 px copy", timeout=20)

    def test_a_concurrent_edit_is_a_conflict_and_the_owners_text_is_kept(self):
        self.signed_in()
        post_id = self.new_post("Conflict post")
        # Someone else (another tab) saves first.
        token = self.server.owner_token()
        _, headers, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        status, _, _ = self.server.request("PUT", f"/v1/blog/posts/{post_id}", {"title": "Their title"}, token=token,
                                           headers={"If-Match": headers["ETag"]})
        self.assertEqual(status, 200)
        self.fill("content", "My careful paragraph that must not be lost.")
        self.browser.find_element(By.ID, "save").click()
        self.visible("#conflict-keep-mine")
        self.text_in("#editor-messages", "changed somewhere else")
        self.assertEqual(self.browser.find_element(By.ID, "field-content").get_attribute("value"),
                         "My careful paragraph that must not be lost.")
        self.browser.save_screenshot(str(SHOTS / f"{'moto' if self.aws else 'embedded'}-conflict.png"))
        self.browser.find_element(By.ID, "conflict-keep-mine").click()
        self.text_in("#toast", "Saved your version")
        _, _, stored = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        self.assertEqual(stored["content"], "My careful paragraph that must not be lost.")
        self.assertEqual(stored["title"], "Conflict post", "the owner chose their own version, title included")

    def test_a_validation_error_is_shown_beside_the_field_the_api_names(self):
        self.signed_in()
        self.go("#/project/new")
        self.fill("name", "Validated project")
        self.fill("description", "Short")
        self.fill("longDescription", "Long *text*")
        self.fill("tech", "rust")
        self.fill("company", "Me")
        self.fill("githubUrl", "ftp://example.com/repo")
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#field-githubUrl-error", "Git")
        self.assertEqual(self.browser.find_element(By.ID, "field-githubUrl").get_attribute("aria-invalid"), "true")
        self.assertEqual(self.browser.switch_to.active_element.get_attribute("id"), "field-githubUrl")
        self.fill("githubUrl", "https://example.com/repo")
        self.browser.find_element(By.ID, "save").click()
        self.visible("#publish")

    def test_a_401_returns_to_sign_in_and_keeps_what_was_typed(self):
        self.signed_in()
        self.go("#/certification/new")
        self.fill("name", "Kept across sign-in")
        self.fill("issuer", "Issuer")
        self.fill("icon", "A")
        Select(self.browser.find_element(By.ID, "field-type")).select_by_value("course")
        self.fill("description", "Typed before the session ended")
        self.fill("dateEarned", "01022025")
        # Sign-out everywhere from elsewhere revokes the console's tokens too.
        self.server.request("POST", "/v1/auth/logout", token=self.server.owner_token())
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#sign-in-reason", "session has ended")
        self.sign_in()
        self.visible("#publish")
        token = self.server.owner_token()
        _, _, listed = self.server.request("GET", "/v1/certifications?status=draft", token=token)
        kept = [c for c in listed["certifications"] if c["name"] == "Kept across sign-in"]
        self.assertEqual(len(kept), 1)
        self.assertEqual(kept[0]["description"], "Typed before the session ended")
        self.assertEqual(kept[0]["type"], "course")

    def test_changing_the_password_signs_out_and_the_new_one_signs_in(self):
        new_password = "Changed-in-console-9"
        self.signed_in()
        self.go("#/account")
        self.visible("#current-password").send_keys(PASSWORD)
        self.browser.find_element(By.ID, "new-password").send_keys(new_password)
        self.browser.find_element(By.ID, "repeat-password").send_keys(new_password)
        self.browser.find_element(By.ID, "change-password-submit").click()
        self.visible("#sign-in-email")
        self.text_in("#main", "Password changed")
        try:
            status, _, _ = self.server.request("POST", "/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
            self.assertEqual(status, 401, "the old password must no longer sign in")
            self.sign_in(new_password)
            self.wait(EC.invisibility_of_element_located((By.ID, "sign-in")))
            self.visible("#change-password")
        finally:
            # Put the password back for the other tests.
            _, _, session = self.server.request("POST", "/v1/auth/login", {"email": EMAIL, "password": new_password})
            status, _, body = self.server.request(
                "POST", "/v1/auth/password", {"currentPassword": new_password, "newPassword": PASSWORD},
                token=session["token"])
            self.assertEqual(status, 200, body)

    def test_the_dashboard_charts_tracked_visits_and_names_top_content(self):
        token = self.server.owner_token()
        status, _, post = self.server.request("POST", "/v1/blog/posts", {
            "title": "Most read post", "excerpt": "e", "content": "c", "category": "Notes", "tags": ["t"]}, token=token)
        self.assertEqual(status, 201)
        self.server.request("POST", f"/v1/blog/posts/{post['id']}/publish", token=token)
        reader = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"}
        came_from = {"referrer": "https://lnkd.in/a-share", "url": "https://me.example/blog/x?utm_campaign=launch"}
        _, _, visit = self.server.request("POST", "/v1/visitors/track", came_from, headers=reader)
        self.assertTrue(visit["tracked"], visit)
        # Another reader, from Google on Chrome: what the LinkedIn filter leaves out.
        _, _, other = self.server.request(
            "POST", "/v1/visitors/track", {"referrer": "https://www.google.com/", "url": "https://me.example/cv"},
            headers={"User-Agent": DESKTOP_CHROME})
        self.assertTrue(other["tracked"], other)
        _, _, view = self.server.request("POST", "/v1/analytics/track",
                                         {"contentType": "blog", "contentId": post["id"]}, headers=reader)
        self.assertTrue(view["tracked"], view)
        self.signed_in()
        self.go("#/dashboard")
        # Where the visitor came from, on what: the audience card, with a source's pages.
        self.text_in("#audience-sources", "LinkedIn")
        self.text_in("#audience-browsers", "Firefox")
        self.text_in("#audience-operatingSystems", "Linux")
        self.text_in("#audience-landingPages", "/blog/x")
        self.text_in("#audience-utmCampaigns", "launch")
        self.text_in("#audience-browsers", "Chrome")
        # A source narrows every table to its visits, with the pages that linked.
        self.browser.find_element(By.XPATH, "//table[@id='audience-sources']//button[text()='LinkedIn']").click()
        self.text_in("#audience-filters", "Source: LinkedIn")
        self.text_in("#audience-referrers", "/a-share")
        self.assertNotIn("Chrome", self.visible("#audience-browsers").text)
        self.assertNotIn("/cv", self.visible("#audience-landingPages").text)
        self.assertEqual(self.visible("#audience-visitors").text, "1")
        # What they read narrows too: the LinkedIn reader's view.
        self.text_in("#audience-content", "Most read post")
        self.text_in("#audience-filters", "Time on page is not broken down")
        # A second value narrows further; each comes off on its own.
        self.browser.find_element(By.XPATH, "//table[@id='audience-browsers']//button[text()='Firefox']").click()
        self.text_in("#audience-filters", "Browser: Firefox")
        self.browser.execute_script("document.getElementById('audience-filters').scrollIntoView()")
        backend = "moto" if self.aws else "embedded"
        self.browser.save_screenshot(str(SHOTS / f"{backend}-audience-filtered.png"))
        self.browser.set_window_size(390, 844)
        try:
            self.browser.execute_script("document.getElementById('audience-filters').scrollIntoView()")
            width = self.browser.execute_script("return document.documentElement.scrollWidth")
            self.assertLessEqual(width, self.browser.execute_script("return innerWidth"),
                                 "the filtered audience fits a phone's width")
            self.browser.save_screenshot(str(SHOTS / f"{backend}-phone-audience-filtered.png"))
        finally:
            self.browser.set_window_size(1280, 900)
        self.browser.find_element(By.CSS_SELECTOR, "button[aria-label='Remove the filter Source LinkedIn']").click()
        self.wait(lambda b: "Source: LinkedIn" not in b.find_element(By.ID, "audience-filters").text)
        self.browser.find_element(By.CSS_SELECTOR, "button[aria-label='Remove the filter Browser Firefox']").click()
        self.wait(lambda b: b.find_elements(By.ID, "audience-filters") == [])
        self.text_in("#audience-browsers", "Chrome")
        bars = self.visible("#daily-chart")
        values = [int(b.get_attribute("data-value")) for b in bars.find_elements(By.CSS_SELECTOR, "rect.bar")]
        self.assertEqual(len(values), 30)
        self.assertGreaterEqual(values[-1], 1, "today's visit is the last bar")
        self.visible("#monthly-chart")
        self.text_in("#top-content", "Most read post")
        self.assertGreaterEqual(int(self.browser.find_element(By.ID, "stat-visitors").text.replace(",", "")), 1)
        self.browser.find_element(By.XPATH, "//button[text()='7 days']").click()
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#daily-chart rect.bar")) == 7)
        # The list shows views per item, by title.
        self.go("#/blog")
        self.text_in("#items", "Most read post")
        row = self.browser.find_element(By.CSS_SELECTOR, f"#items tr[data-id='{post['id']}'] td.num")
        self.assertEqual(row.text, "1")

    def test_the_tracking_script_on_another_origin_shows_its_source_campaign_and_read(self):
        """A page of the owner's site (another origin) with the one <script> tag,
        opened from a link on a third site with UTM parameters, then scrolled to
        its end and left: the dashboard shows the source, the campaign and the read."""
        token = self.server.owner_token()
        status, _, post = self.server.request("POST", "/v1/blog/posts", {
            "title": "Read to the end", "excerpt": "e", "content": "c", "category": "Notes", "tags": ["t"]},
            token=token)
        self.assertEqual(status, 201)
        self.server.request("POST", f"/v1/blog/posts/{post['id']}/publish", token=token)
        site = SitePages(self.server.base, post["id"])
        # A reader's browser: headless Chromium says "HeadlessChrome", which is
        # filtered as a bot (and an override by DevTools does not reach the beacon
        # sent as the page goes away, so the flag sets it).
        reader = chromium([f"--user-agent={SAFARI_MAC}"])
        try:
            reader.get(f"{site.referrer_base}/ref.html")
            reader.find_element(By.ID, "to-site").click()
            WebDriverWait(reader, WAIT).until(
                lambda b: "/landing.html" in b.current_url
                and b.execute_script("return document.readyState") == "complete")
            time.sleep(0.5)  # the script's visit and view requests
            # 4.js sends the view with the token its visit answered.
            def views():
                return [json.loads(body) for url, body in reader.execute_script("return window.sent")
                        if url.endswith("/v1/analytics/track")]
            WebDriverWait(reader, WAIT).until(lambda _: views())
            views = views()
            self.assertEqual(len(views), 1, views)
            self.assertRegex(views[0].get("visit", ""), r"^([A-Za-z0-9_-]{5})?\.[A-Za-z0-9_-]{16}$", views)
            reader.execute_script("window.scrollTo(0, document.documentElement.scrollHeight)")
            time.sleep(0.3)
            # Leaving the page hides it: the script sends its one beacon.
            reader.get(self.server.base + "/v1/health")
            self.assertEqual([e for e in reader.get_log("browser") if e["level"] == "SEVERE"], [],
                             "the site's page logged errors")

            def audience():
                _, _, body = self.server.request("GET", "/v1/visitors/audience?days=1", token=token)
                return body
            wait_for(lambda: any(c["contentId"] == post["id"] and c["reads"] == 1
                                 for c in audience()["content"]), "the read to be counted", timeout=WAIT)
            body = audience()
            self.assertIn({"value": "kubecon-talk", "visitors": 1}, body["utmCampaigns"], body)
            # 4.js sends the view once the visit is answered, so the view and its
            # read count under the visit's campaign.
            q = urllib.parse.quote(json.dumps({"utmCampaigns": "kubecon-talk"}))
            _, _, narrowed = self.server.request("GET", f"/v1/visitors/audience?days=1&q={q}", token=token)
            self.assertEqual([(c["contentId"], c["views"], c["reads"]) for c in narrowed["content"]],
                             [(post["id"], 1, 1)], narrowed)
            self.assertIn({"value": "127.0.0.1", "visitors": 1}, body["sources"], body)
            self.assertIn({"value": "/landing.html", "visitors": 1}, body["landingPages"], body)
        finally:
            reader.quit()
            site.stop()
        self.browser.get(self.server.base + "/admin/")
        self.signed_in()
        self.go("#/dashboard")
        self.text_in("#audience-sources", "127.0.0.1")
        self.text_in("#audience-utmCampaigns", "kubecon-talk")
        self.text_in("#audience-browsers", "Safari")
        self.text_in("#audience-content", "Read to the end")
        row = self.browser.find_element(
            By.XPATH, "//table[@id='audience-content']//tr[td/a[text()='Read to the end']]")
        self.assertEqual([td.text for td in row.find_elements(By.CSS_SELECTOR, "td.num")][:2], ["1", "1"])
        self.assertGreaterEqual(int(self.browser.find_element(By.ID, "audience-reads").text), 1)
        # The reader was here within the last five minutes.
        self.wait(lambda b: b.find_element(By.ID, "audience-live").text.isdigit()
                  and int(b.find_element(By.ID, "audience-live").text) >= 1)
        backend = "moto" if self.aws else "embedded"
        self.browser.execute_script("document.getElementById('audience-title').scrollIntoView()")
        self.browser.save_screenshot(str(SHOTS / f"{backend}-audience.png"))
        self.browser.set_window_size(390, 844)
        try:
            self.browser.execute_script("document.getElementById('audience-title').scrollIntoView()")
            width = self.browser.execute_script("return document.documentElement.scrollWidth")
            self.assertLessEqual(width, self.browser.execute_script("return innerWidth"),
                                 "the audience card fits a phone's width")
            self.browser.save_screenshot(str(SHOTS / f"{backend}-phone-audience.png"))
        finally:
            self.browser.set_window_size(1280, 900)
        # A custom range: yesterday alone has none of today's visits (and no live
        # count, which belongs to a period ending today); yesterday to today has them.
        today = datetime.datetime.now(datetime.timezone.utc).date()
        yesterday = today - datetime.timedelta(days=1)
        self.browser.execute_script("document.getElementById('audience-title').scrollIntoView()")
        self.browser.find_element(By.XPATH, "//div[@aria-label='Period']/button[text()='Custom']").click()

        def show(first, last):
            self.browser.execute_script(
                "const f = document.getElementById('audience-range');"
                "f.elements.from.value = arguments[0]; f.elements.to.value = arguments[1];",
                str(first), str(last))
            self.browser.find_element(By.CSS_SELECTOR, "#audience-range button[type=submit]").click()
            self.text_in("#audience-title", f"Audience, {first} to {last}")
        show(yesterday, yesterday)
        visitors = "const e = document.getElementById('audience-visitors'); return e ? e.textContent : ''"
        self.wait(lambda b: b.execute_script(visitors) == "0")
        self.assertEqual(self.browser.find_elements(By.ID, "audience-live"), [])
        show(yesterday, today)
        self.wait(lambda b: b.execute_script(visitors) not in ("", "0"))
        self.browser.execute_script("document.getElementById('audience-title').scrollIntoView()")
        self.browser.save_screenshot(str(SHOTS / f"{backend}-audience-range.png"))
        self.assertEqual(self.browser.find_element(
            By.XPATH, "//div[@aria-label='Period']/button[text()='Custom']").get_attribute("aria-pressed"), "true")

    def test_a_share_link_opens_the_audience_without_an_account_until_revoked(self):
        # A reader of its own (the other tests' readers are counted once a day).
        reader = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 (shared)"}
        _, _, visit = self.server.request(
            "POST", "/v1/visitors/track", {"referrer": "https://news.ycombinator.com/item?id=1",
                                           "url": "https://me.example/"}, headers=reader)
        self.assertTrue(visit["tracked"], visit)
        self.signed_in()
        self.go("#/account")
        self.visible("#share-create").click()
        address = self.visible("#share-address").get_attribute("value")
        self.assertIn("/admin/#/shared/", address)
        self.text_in("#share-links", "Link ")
        # Someone without an account: a fresh tab state, no session.
        self.browser.get(self.server.base + "/v1/health")
        self.browser.execute_script("sessionStorage.clear()")
        self.browser.get(address)
        self.text_in("#audience-sources", "Hacker News")
        self.assertFalse(self.browser.find_element(By.ID, "sign-in").is_displayed())
        self.assertEqual(self.browser.find_elements(By.ID, "audience-live"), [], "live visitors are the owner's")
        self.assertTrue(self.browser.find_element(By.ID, "nav").get_attribute("hidden") is not None)
        # It narrows like the owner's card.
        self.browser.find_element(By.XPATH, "//table[@id='audience-sources']//button[text()='Hacker News']").click()
        self.text_in("#audience-filters", "Source: Hacker News")
        backend = "moto" if self.aws else "embedded"
        self.browser.save_screenshot(str(SHOTS / f"{backend}-shared-audience.png"))
        # Revoked by the owner, it opens nothing.
        self.browser.get(self.server.base + "/admin/")
        self.signed_in()
        self.go("#/account")
        self.visible("#share-links button").click()
        self.text_in("#share-links", "No links yet.")
        self.browser.get(self.server.base + "/v1/health")
        self.browser.execute_script("sessionStorage.clear()")
        self.browser.get(address)
        self.text_in("#main", "does not open anything")
        # The page's one refused request is the point of this test, not a fault.
        self.browser.get_log("browser")

    def test_every_field_of_every_type_has_a_labelled_control(self):
        self.signed_in()
        _, _, spec = self.server.request("GET", "/v1/openapi.json")
        for kind, schema in [("blog", "BlogPostCreate"), ("project", "ProjectCreate"),
                             ("certification", "CertificationCreate")]:
            self.go(f"#/{kind}/new")
            self.visible("#save")
            for name in spec["components"]["schemas"][schema]["properties"]:
                control = self.browser.find_element(By.ID, f"field-{name}")
                labels = self.browser.find_elements(By.CSS_SELECTOR, f"label[for='field-{name}']")
                self.assertEqual(len(labels), 1, f"{kind}.{name} has no label")
                limit = spec["components"]["schemas"][schema]["properties"][name].get("maxLength")
                if limit:
                    self.assertEqual(control.get_attribute("maxlength"), str(limit), f"{kind}.{name}")

    def test_search_and_filters_narrow_the_list(self):
        token = self.server.owner_token()
        for title, category in [("Alpha search target", "Searchable"), ("Beta other", "Elsewhere")]:
            self.server.request("POST", "/v1/blog/posts", {
                "title": title, "excerpt": "e", "content": "c", "category": category, "tags": ["x"]}, token=token)
        self.signed_in()
        self.go("#/blog")
        self.text_in("#items", "Beta other")
        search = self.browser.find_element(By.ID, "search")
        search.send_keys("alpha")
        self.wait(lambda b: "Beta other" not in b.find_element(By.ID, "items").text)
        self.text_in("#items", "Alpha search target")
        search.send_keys(Keys.CONTROL, "a")
        search.send_keys(Keys.BACKSPACE)
        self.text_in("#items", "Beta other")
        # The category filter offers the categories the posts carry, not free text.
        category = Select(self.browser.find_element(By.ID, "filter-category"))
        options = [o.text for o in category.options]
        self.assertEqual(options[0], "Any")
        self.assertIn("Elsewhere", options)
        self.assertIn("Searchable", options)
        category.select_by_visible_text("Elsewhere")
        self.wait(lambda b: "Alpha search target" not in b.find_element(By.ID, "main").text)
        self.text_in("#items", "Beta other")
        Select(self.browser.find_element(By.ID, "filter-status")).select_by_value("published")
        self.text_in("#main", "Nothing matches these filters")

    def test_search_finds_drafts_and_published_items_a_title_first_and_opens_one(self):
        token = self.server.owner_token()
        word = "Zanzibarite"
        status, _, draft = self.server.request("POST", "/v1/blog/posts", {
            "title": "Notes on a mineral", "excerpt": "e", "content": f"We found some {word} & kept it.",
            "category": "Rocks", "tags": ["x"]}, token=token)
        self.assertEqual(status, 201, draft)
        status, _, project = self.server.request("POST", "/v1/projects", {
            "name": f"{word} catalogue", "description": "d", "longDescription": "l", "tech": ["Rust"],
            "company": "Acme", "featured": False}, token=token)
        self.assertEqual(status, 201, project)
        status, _, body = self.server.request("POST", f"/v1/projects/{project['id']}/publish", token=token)
        self.assertEqual(status, 200, body)
        self.signed_in()
        self.go("#/search")
        # A prefix of the word finds it (words of four letters or more).
        self.visible("#search-everything").send_keys(word[:-2].lower())
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#search-results li")) == 2)
        hits = self.browser.find_elements(By.CSS_SELECTOR, "#search-results li")
        self.assertEqual([h.get_attribute("data-id") for h in hits], [project["id"], draft["id"]],
                         "the title's match ranks above the body's")
        self.assertEqual([h.get_attribute("data-status") for h in hits], ["published", "draft"])
        self.assertEqual(hits[1].find_element(By.TAG_NAME, "mark").text, word)
        self.assertIn("& kept it", hits[1].find_element(By.CSS_SELECTOR, ".snippet").text)
        self.assertIn("#/search/" + word[:-2].lower(), self.browser.current_url)
        # Readers' search never finds the draft.
        _, _, public = self.server.request("GET", f"/v1/search?q={word}")
        self.assertEqual([h["id"] for h in public["results"]], [project["id"]])
        hits[1].find_element(By.TAG_NAME, "a").click()
        self.wait(lambda b: b.find_element(By.ID, "field-title").get_attribute("value") == "Notes on a mineral")
        # Back returns to the same search, asked again.
        self.browser.back()
        self.wait(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#search-results li")) == 2)
        self.assertEqual(self.browser.find_element(By.ID, "search-everything").get_attribute("value"),
                         word[:-2].lower())

    def test_a_long_list_is_paged_and_the_dashboard_counts_each_kind_and_what_is_scheduled(self):
        import datetime
        token = self.server.owner_token()
        for n in range(30):
            self.server.request("POST", "/v1/blog/posts", {
                "title": f"Paged post {n:02}", "excerpt": "e", "content": "c", "category": "Paging",
                "tags": ["p"]}, token=token)
        status, _, later = self.server.request("POST", "/v1/projects", {
            "name": "Launching tomorrow", "description": "d", "longDescription": "l", "tech": ["Rust"],
            "company": "Acme", "featured": False}, token=token)
        self.assertEqual(status, 201, later)
        at = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, _, body = self.server.request("POST", f"/v1/projects/{later['id']}/schedule", {"publishAt": at}, token=token)
        self.assertEqual(status, 200, body)
        _, _, posts = self.server.request("GET", "/v1/blog/posts?status=all&limit=1", token=token)
        _, _, published = self.server.request("GET", "/v1/blog/posts?status=published&limit=1", token=token)
        self.signed_in()
        self.go("#/dashboard")
        self.text_in("#scheduled", "Launching tomorrow")
        self.assertEqual(self.browser.find_element(By.ID, "stat-published-blog").text.replace(",", ""),
                         str(published["total"]), "published posts are counted apart from the other kinds")
        self.visible("#stat-published-project")
        self.assertGreaterEqual(int(self.browser.find_element(By.ID, "stat-scheduled").text), 1)
        self.go("#/blog")
        self.text_in("#page-position", f"1–25 of {posts['total']}")
        self.assertEqual(len(self.browser.find_elements(By.CSS_SELECTOR, "#items tbody tr")), 25)
        self.browser.find_element(By.ID, "page-next").click()
        self.text_in("#page-position", f"26–")
        self.assertFalse(self.browser.find_element(By.ID, "page-previous").get_attribute("disabled"))

    def test_redirects_are_added_refused_when_they_loop_and_deleted(self):
        self.signed_in()
        self.go("#/redirects")
        self.visible("#redirect-form")
        for old, new in [("/blog/2019/moved", "/blog/moved"), ("/blog/moved", "/writing/moved")]:
            self.fill_text("redirect-from", old)
            self.fill_text("redirect-to", new)
            self.browser.find_element(By.ID, "redirect-add").click()
            self.visible(f"#redirects tr[data-from='{old}']")
        # One hop each: the first now leads where the second does.
        self.text_in("#redirects tr[data-from='/blog/2019/moved']", "/writing/moved")
        row = self.browser.find_element(By.CSS_SELECTOR, "#redirects tr[data-from='/blog/2019/moved']")
        self.fill_text("redirect-from", "/writing/moved")
        self.fill_text("redirect-to", "/blog/2019/moved")
        self.browser.find_element(By.ID, "redirect-add").click()
        self.text_in("#redirect-form", "loop")
        _, _, public = self.server.request("GET", "/v1/redirects")
        self.assertEqual({r["from"]: r["to"] for r in public["redirects"]}.get("/blog/2019/moved"), "/writing/moved")
        row.find_element(By.TAG_NAME, "button").click()
        self.wait(lambda b: not b.find_elements(By.CSS_SELECTOR, "#redirects tr[data-from='/blog/2019/moved']"))

    def test_an_earlier_version_is_compared_restored_and_a_deleted_post_comes_back_from_the_trash(self):
        self.signed_in()
        post_id = self.new_post("History kept")
        self.fill("content", "# Heading\n\nThe second words.")
        self.browser.find_element(By.ID, "save").click()
        self.text_in("#toast", "Saved")
        # The save kept version 1: listed beside the editor with what changed.
        self.text_in("#history summary", "History (1 earlier version)")
        self.browser.find_element(By.CSS_SELECTOR, "#history summary").click()
        self.text_in("#history", "Version 1")
        self.text_in("#history", "Content")
        self.browser.find_element(By.CSS_SELECTOR, "#history li[data-version='1'] button").click()
        self.text_in("#revision-detail del", "Some **bold** words.")
        self.text_in("#revision-detail ins", "The second words.")
        self.browser.find_element(By.ID, "restore-revision").click()
        self.text_in("#confirm-ok", "Restore")
        self.browser.find_element(By.ID, "confirm-ok").click()
        self.text_in("#toast", "Restored version 1")
        self.wait(lambda b: "Some **bold** words." in b.find_element(By.ID, "field-content").get_attribute("value"))
        token = self.server.owner_token()
        _, _, stored = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        self.assertEqual(stored["content"], "# Heading\n\nSome **bold** words.")
        # The restore is undoable: what it replaced is version 2 now.
        self.text_in("#history summary", "History (2 earlier versions)")

        self.browser.find_element(By.ID, "delete").click()
        self.text_in("#confirm-text", "restore it from Trash")
        self.visible("#confirm-ok").click()
        self.wait(lambda b: b.current_url.endswith("#/blog"))
        self.go("#/trash")
        row = self.visible(f"#trash tr[data-id='{post_id}']")
        self.assertIn("History kept", row.text)
        row.find_element(By.TAG_NAME, "button").click()
        self.wait(lambda b: b.current_url.endswith(f"#/blog/{post_id}"))
        self.visible("#field-title")
        status, _, _ = self.server.request("GET", f"/v1/blog/posts/{post_id}", token=token)
        self.assertEqual(status, 200)

    def fill_text(self, id_, value):
        field = self.visible(f"#{id_}")
        field.clear()
        field.send_keys(value)

    def test_keyboard_and_phone_layout(self):
        self.signed_in()
        # The dashboard has drawn its numbers (its heading takes focus when it does).
        self.visible("#stat-published-blog")
        # The skip link comes first in the tab order and moves focus to the content.
        first = self.browser.execute_script(
            "return [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')]"
            ".find(e => e.tabIndex >= 0 && e.offsetParent !== null || e.classList.contains('skip'))")
        self.assertEqual(first.get_attribute("class"), "skip")
        self.browser.execute_script("arguments[0].focus()", first)
        self.assertTrue(first.is_displayed(), "the skip link shows when it has focus")
        self.browser.switch_to.active_element.send_keys(Keys.ENTER)
        self.assertEqual(self.browser.switch_to.active_element.get_attribute("id"), "main")
        token = self.server.owner_token()
        _, _, post = self.server.request("POST", "/v1/blog/posts", {
            "title": "Edited on a phone", "excerpt": "e", "content": "c", "category": "Notes", "tags": ["t"]},
            token=token)
        reader = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"}
        self.server.request("POST", "/v1/visitors/track", headers=reader)
        backend = "moto" if self.aws else "embedded"
        self.browser.set_window_size(390, 844)
        try:
            inner = self.browser.execute_script("return window.innerHeight")
            for where, ready in [("#/dashboard", "#daily-chart"), ("#/blog/new", "#field-content"),
                                 (f"#/blog/{post['id']}", "#publish")]:
                self.go(where)
                self.visible(ready)
                overflow = self.browser.execute_script(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
                self.assertLessEqual(overflow, 0, f"{where} scrolls sideways on a phone")
                bar = self.browser.execute_script("return document.querySelector('header.bar').getBoundingClientRect().height")
                self.assertLessEqual(bar, inner * 0.12, f"the navigation takes {bar}px of {inner}px")
            # The chart's labels are drawn at their size, not shrunk with the chart.
            self.go("#/dashboard")
            self.visible("#daily-chart")
            sizes = self.browser.execute_script(
                "return [...document.querySelectorAll('#daily-chart text.axis')]"
                ".map(t => t.getBoundingClientRect()).map(r => [r.height, r.left, r.right])")
            self.assertTrue(sizes and min(h for h, _, _ in sizes) >= 10, f"label heights {sizes}")
            labels = sorted(self.browser.execute_script(
                "return [...document.querySelectorAll('#daily-chart text.axis.x')]"
                ".map(t => t.getBoundingClientRect()).map(r => [r.left, r.right])"))
            self.assertGreaterEqual(len(labels), 2, "the days are labelled")
            self.assertTrue(all(a[1] <= b[0] for a, b in zip(labels, labels[1:])), f"labels overlap: {labels}")
            self.browser.execute_script("window.scrollTo(0, 0)")
            self.browser.save_screenshot(str(SHOTS / f"{backend}-phone-dashboard.png"))
            # An item's actions are on the first screen, before its fields.
            self.go(f"#/blog/{post['id']}")
            publish = self.visible("#publish")
            self.browser.execute_script("window.scrollTo(0, 0)")
            top = self.browser.execute_script("return arguments[0].getBoundingClientRect().bottom", publish)
            self.assertLessEqual(top, inner, "Publish is reachable without scrolling past the fields")
            save = self.browser.find_element(By.ID, "save")
            bottom = self.browser.execute_script("return arguments[0].getBoundingClientRect().bottom", save)
            self.assertLessEqual(bottom, inner, "Save stays in reach while the fields scroll")
            self.browser.save_screenshot(str(SHOTS / f"{backend}-phone-editor.png"))
        finally:
            self.browser.set_window_size(1280, 900)

    def test_the_page_has_its_own_csp_and_is_never_cached_publicly(self):
        status, headers, _ = self.raw("/admin/")
        self.assertEqual(status, 200)
        self.assertIn("script-src 'self'", headers["Content-Security-Policy"])
        self.assertIn("private", headers["Cache-Control"])
        _, api_headers, _ = self.server.request("GET", "/v1/health")
        self.assertEqual(api_headers["Content-Security-Policy"], "default-src 'none'; frame-ancestors 'none'")
        page = self.browser.page_source
        script = [s.get_attribute("src") for s in self.browser.find_elements(By.CSS_SELECTOR, "script[src]")]
        self.assertTrue(all("/admin/assets/" in s for s in script), script)
        _, asset_headers, _ = self.raw(script[-1].replace(self.server.base, ""))
        self.assertIn("immutable", asset_headers["Cache-Control"])
        self.assertNotIn("http://", page.replace(self.server.base, "").replace("http://www.w3.org", ""),
                         "the console must fetch nothing from another origin")

    def raw(self, path):
        with urllib.request.urlopen(self.server.base + path, timeout=10) as r:
            return r.status, r.headers, r.read()


class EmbeddedConsoleTest(ConsoleTests, unittest.TestCase):
    aws = False


class MotoConsoleTest(ConsoleTests, unittest.TestCase):
    aws = True


def load_tests(loader, tests, pattern):
    """`FOLIO_BROWSER_SHARD=i/n` keeps every n-th test from the i-th (0-based), so
    scripts/test can run one class as n processes, each with its own servers and
    Chromium. Unset, every test runs."""
    shard = os.environ.get("FOLIO_BROWSER_SHARD")
    if not shard:
        return tests
    index, count = (int(part) for part in shard.split("/"))
    if not 0 <= index < count:
        raise ValueError(f"FOLIO_BROWSER_SHARD={shard}: want i/n with 0 <= i < n")

    def flat(suite):
        for test in suite:
            yield from flat(test) if isinstance(test, unittest.TestSuite) else [test]

    kept = [test for i, test in enumerate(sorted(flat(tests), key=lambda t: t.id())) if i % count == index]
    return unittest.TestSuite(kept)


if __name__ == "__main__":
    sys.exit(unittest.main())
