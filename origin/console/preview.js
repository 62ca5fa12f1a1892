// The live preview of a Markdown field: rendered by the server's own renderer
// (POST /v1/render), so what the owner previews is byte for byte the HTML readers
// get. The HTML is sanitised there; here it only replaces the preview's content.
"use strict";

(function (folio) {
  /// Typing pauses this long before the preview asks again.
  const PAUSE_MS = 250;

  /// Keeps `preview` showing the HTML of `control`'s Markdown. An answer to an
  /// older text never paints over a newer one.
  function attach(control, preview) {
    const { api, Stale } = folio.api;
    let asked = 0;
    let timer = null;
    const refresh = async () => {
      const ticket = ++asked;
      try {
        const { data } = await api("POST", "/v1/render", { body: { markdown: control.value } });
        if (ticket === asked) preview.innerHTML = data.html;
      } catch (failure) {
        if (failure instanceof Stale || ticket !== asked) return;
        preview.textContent = `No preview: ${failure.message}`;
      }
    };
    control.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, PAUSE_MS);
    });
    return refresh();
  }

  folio.preview = { attach, PAUSE_MS };
})(globalThis.folio = globalThis.folio || {});
