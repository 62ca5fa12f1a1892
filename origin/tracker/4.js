/* folio tracker 4: docs/TRACKING.md. No cookies, no storage. */
(function (d, n) {
  var s = d.currentScript;
  if (!s || (s.hasAttribute("data-gpc") && n.globalPrivacyControl)) return;
  var api = s.src.replace(/\/v1\/tracker\/[^/]*$/, "/v1/"),
    kind = s.getAttribute("data-content-type"),
    id = s.getAttribute("data-content-id");
  function post(path, body, q) {
    return fetch(api + path + (q || ""), { method: "POST", body: body, keepalive: true, credentials: "omit" }).then(
      function (r) {
        if (r.status > 499) throw r;
        return r.ok && r.json().catch(Boolean);
      }
    );
  }
  // A failed beacon goes once more to the other Region.
  function send(path, body, beacon) {
    body = JSON.stringify(body);
    if (!(beacon && n.sendBeacon && n.sendBeacon(api + path, body)))
      return post(path, body).catch(function () {
        return new Promise(function (done) {
          setTimeout(function () {
            post(path, body, "?failover=1").catch(Boolean).then(done);
          }, 2e3);
        });
      });
  }
  // The view waits for the visit, to send its token.
  var visit = send("visitors/track", { referrer: d.referrer, url: location.href });
  if (!kind || !id) return;
  var item = { contentType: kind, contentId: id },
    shown = 0,
    since = d.hidden ? 0 : Date.now(),
    depth = 0,
    sent;
  visit.then(function (a) {
    if (a && a.visit) item.visit = a.visit;
    send("analytics/track", item);
  });
  function scroll() {
    var h = d.documentElement.scrollHeight;
    depth = Math.max(depth, h ? Math.min(100, Math.round((100 * (scrollY + innerHeight)) / h)) : 0);
  }
  function hide() {
    if (since) shown += Date.now() - since;
    since = 0;
    if (sent) return;
    sent = 1;
    item.seconds = Math.round(shown / 1e3);
    item.scrolled = depth;
    send("analytics/engagement", item, 1);
  }
  scroll();
  addEventListener("scroll", scroll, { passive: true });
  addEventListener("pagehide", hide);
  d.addEventListener("visibilitychange", function () {
    if (d.hidden) hide();
    else since = since || Date.now();
  });
})(document, navigator);
