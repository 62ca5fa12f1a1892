// Writing an item: a form built from the API document, a live preview of its
// Markdown, uploads, save with conflict detection, publish, schedule, preview
// links and delete.
"use strict";

(function (folio) {
  const { h, $, main, page, notice, toast, statusBadge, confirmDialog } = folio.dom;
  const { api, state, Stale, ApiFailure } = folio.api;
  const { KINDS, IMAGE_FIELDS } = folio.kinds;
  const { label, formatDate, toPublishAt } = folio.format;
  const { formFields, controlKind, hintFor, readValue } = folio.schema;

  /// The image types uploads accept, as the API document lists them.
  const imageTypes = () => state.spec.components.schemas.UploadRequest.properties.contentType.enum;

  /// The size an image shows at (EXIF orientation applied), read by the browser
  /// itself; null when it cannot decode the file (the upload goes without one).
  async function shownSize(file) {
    if (typeof createImageBitmap !== "function") return null;
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const size = { width: bitmap.width, height: bitmap.height };
      bitmap.close();
      return size;
    } catch (_) {
      return null;
    }
  }

  /// What asking for an upload sends: the type and size, and the image's width
  /// and height when known and within the document's limit, so the API names it
  /// with them and readers' pages get its smaller copies.
  function uploadRequest(file, size) {
    const body = { contentType: file.type, size: file.size };
    const limit = state.spec.components.schemas.UploadRequest.properties.width.maximum;
    if (size && size.width >= 1 && size.height >= 1 && size.width <= limit && size.height <= limit) {
      body.width = size.width;
      body.height = size.height;
    }
    return body;
  }

  function fieldControl(kind, field, value) {
    const { name, schema } = field;
    const id = `field-${name}`;
    const common = { id, name, "aria-describedby": `${id}-hint ${id}-error` };
    if (field.required) common.required = true;
    if (schema.maxLength) common.maxlength = schema.maxLength;
    switch (controlKind(kind, field)) {
      case "checkbox":
        return h("input", { ...common, type: "checkbox", checked: Boolean(value) });
      case "select":
        return h("select", common, field.required ? null : h("option", { value: "" }, "—"),
          schema.enum.map((c) => h("option", { value: c, selected: value === c }, label(c))));
      case "list":
        return h("input", { ...common, type: "text", value: (value || []).join(", ") });
      case "date":
        return h("input", { ...common, type: "date", value: value || "" });
      case "url":
        return h("input", { ...common, type: "url", value: value || "", placeholder: "https://" });
      case "markdown":
        return h("textarea", { ...common, class: "markdown", spellcheck: "true" }, value || "");
      case "textarea":
        return h("textarea", common, value || "");
      default:
        return h("input", { ...common, type: "text", value: value || "" });
    }
  }

  function readField(form, field) {
    const el = form.elements[field.name];
    return readValue(field, field.schema.type === "boolean" ? el.checked : el.value);
  }

  async function render(kind, id) {
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
    const fields = formFields(state.spec, kind);
    const messages = h("div", { id: "editor-messages", "aria-live": "polite" });
    const previews = [];
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
        previews.push([control, preview]);
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
        const r = await api("POST", "/v1/media/uploads", { body: uploadRequest(chosen, await shownSize(chosen)) });
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
      h("div", { class: "fields" }, messages, fieldEls, h("div", { class: "save-row" }, save)), meta);
    page(item ? `Edit ${k.one}: ${item[k.titleField]}` : `New ${k.one}`,
      h("p", {}, h("a", { href: `#/${kind}` }, `← All ${k.plural.toLowerCase()}`)), form);
    for (const [control, preview] of previews) folio.preview.attach(control, preview);

    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    state.leaveGuard = () => dirty;

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
      const linksBox = h("div", { id: "preview-links" });
      const historyBox = h("div", { id: "history", class: "history" });
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
        // A published item has no schedule box (null would show as the text "null").
        ...[scheduleBox, previewBox, linksBox, historyBox].filter(Boolean));
      listPreviews(linksBox);
      folio.history.attach(historyBox, kind, item, () => { dirty = false; folio.app.route(); });
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
          state.leaveGuard = null;
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
        folio.app.route();
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
      const publishAt = toPublishAt(local);
      if (!publishAt) { messages.replaceChildren(notice("error", "Choose when to publish.")); return; }
      try {
        if (dirty) adopt(await put(etag));
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
        // The page a person opens (the API's JSON stays at r.data.path).
        const url = `${location.origin}${r.data.pagePath || r.data.path}`;
        const field = h("input", { id: "preview-url", type: "url", readonly: true, value: url, "aria-label": "Preview link" });
        const revoke = h("button", { type: "button", class: "secondary", id: "revoke-preview", onclick: async () => {
          try {
            await api("DELETE", r.data.path);
            box.replaceChildren(h("p", { class: "hint" }, "Preview link revoked: it opens nothing now."));
            listPreviews(document.getElementById("preview-links"));
          } catch (failure) { showFailure(failure); }
        } }, "Revoke");
        const copy = h("button", { type: "button", class: "secondary", id: "copy-preview", onclick: async () => {
          field.select();
          try { await navigator.clipboard.writeText(url); toast("Preview link copied."); } catch { /* selected for copying by hand */ }
        } }, "Copy");
        box.replaceChildren(h("p", { class: "hint" },
          `Anyone with this link can read this ${k.one} until ${formatDate(r.data.expiresAt)}. It is shown only now.`),
          field, h("div", { class: "actions" }, copy, revoke));
        field.focus();
        field.select();
        listPreviews(document.getElementById("preview-links"));
      } catch (failure) { showFailure(failure); }
    }

    /// The item's live preview links (made and expiry times; their tokens are
    /// never shown again), each with a Revoke button.
    async function listPreviews(box) {
      if (!box) return;
      try {
        const r = await api("GET", `${k.path}/${encodeURIComponent(item.id)}/previews`);
        const links = r.data.links || [];
        if (!links.length) { box.replaceChildren(); return; }
        box.replaceChildren(h("h3", {}, "Live preview links"), h("ul", { class: "links" }, links.map((link) =>
          h("li", {}, `Made ${formatDate(link.createdAt)}, works until ${formatDate(link.expiresAt)} `,
            h("button", { type: "button", class: "secondary", "data-link": link.id, onclick: async () => {
              try {
                await api("DELETE", `${k.path}/${encodeURIComponent(item.id)}/previews/${encodeURIComponent(link.id)}`);
                toast("Preview link revoked: it opens nothing now.");
                listPreviews(box);
              } catch (failure) { showFailure(failure); }
            } }, "Revoke")))));
      } catch { box.replaceChildren(); }
    }

    async function remove() {
      const ok = await confirmDialog(`Delete “${item[k.titleField]}”?`,
        `It disappears for readers at once. You can restore it from Trash for 30 days; its view count is kept.`);
      if (!ok) return;
      try {
        await api("DELETE", `${k.path}/${encodeURIComponent(item.id)}`);
        dirty = false;
        state.leaveGuard = null;
        toast(`Deleted “${item[k.titleField]}”.`);
        location.hash = `#/${kind}`;
      } catch (failure) { showFailure(failure); }
    }

    form.addEventListener("submit", submit);
    drawMeta();
  }

  folio.editor = { render, uploadRequest };
})(globalThis.folio = globalThis.folio || {});
