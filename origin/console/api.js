// The API and the owner's session. The console speaks only the public API (/v1,
// described by /v1/openapi.json), so it works the same on `folio serve` and behind
// CloudFront. The ID token lives in memory only; the refresh token in this tab's
// sessionStorage (same origin only), so a reload keeps the owner signed in and
// closing the tab forgets it.
"use strict";

(function (folio) {
  const { $, main, notice } = folio.dom;
  const REFRESH_KEY = "folio.console.refreshToken";

  const session = { token: null, refreshToken: null, user: null, timer: null };
  /// What every view shares: the API document (loaded at boot), and the question
  /// the current view asks before the owner leaves it (unsaved changes).
  const state = { spec: null, leaveGuard: null };
  let signInWaiters = null;

  // Each view (and each sign-out) starts a new generation; an answer that arrives
  // for an older one is dropped, so a slow request never paints over the page the
  // owner has moved on to.
  let generation = 0;
  const newGeneration = () => { generation += 1; };
  class Stale extends Error {}

  // CloudFront's own error pages carry no message of folio's: say what they mean.
  // A change refused with 502 never reached the origin; after a 504 it may have.
  const CLOUDFRONT_ERRORS = {
    502: "The API's home Region could not be reached (CloudFront answered 502). Nothing reached it: try again in a few minutes.",
    503: "The API is over capacity (CloudFront answered 503). Try again in a few minutes.",
    504: "The API's home Region did not answer in time (CloudFront answered 504). Reload before you try a change again: it may have been made.",
  };

  class ApiFailure extends Error {
    constructor(status, body, headers) {
      super((body && body.message) || CLOUDFRONT_ERRORS[status] || `The server answered ${status}`);
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
    // Reading the body is one more wait in which the owner may have moved on.
    if (auth && started !== generation) throw new Stale();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) throw new ApiFailure(response.status, data, response.headers);
    return { status: response.status, data, etag: response.headers.get("ETag") };
  }

  /// Every item of `kind` the filters select, page by page.
  async function listAll(kind, filters = {}) {
    const { KINDS, PAGE_SIZE } = folio.kinds;
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
    newGeneration();
    try { await api("POST", "/v1/auth/logout", { retried: true }); } catch { /* signed out anyway */ }
    clearSession();
    session.user = null;
    showChrome(false);
    main().replaceChildren(notice("info", "Signed out on every device."));
    await reauthenticate(null);
    folio.app.route();
  }

  function showChrome(signedIn) {
    $("nav").hidden = !signedIn;
    $("who").hidden = !signedIn;
  }

  folio.api = {
    session, state, Stale, ApiFailure, api, listAll, newGeneration,
    clearSession, refreshSession, reauthenticate, submitSignIn, signOut, showChrome,
  };
})(globalThis.folio = globalThis.folio || {});
