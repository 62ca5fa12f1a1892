// Forms from the API document: which fields a kind has, in what order, with what
// limits, hints and controls, and how a control's value reads back. Pure functions
// of the document, tested by node --test.
"use strict";

(function (folio) {
  const { KINDS, HINTS } = folio.kinds;

  /// `#/components/schemas/X` in `spec`.
  function resolveRef(spec, ref) {
    return ref.replace(/^#\//, "").split("/").reduce((node, key) => node[key], spec);
  }

  /// The fields of `kind`'s create schema: the console's order first, then any
  /// the document has that the console does not know yet.
  function formFields(spec, kind) {
    const schema = spec.components.schemas[KINDS[kind].schema];
    const order = KINDS[kind].order;
    const names = [...order.filter((n) => n in schema.properties),
      ...Object.keys(schema.properties).filter((n) => !order.includes(n))];
    return names.map((name) => ({ name, schema: schema.properties[name], required: (schema.required || []).includes(name) }));
  }

  /// The list route's query parameters a person may filter by (not paging).
  function listFilters(spec, kind) {
    const op = spec.paths[KINDS[kind].path.replace(/^\/v1/, "")].get;
    return (op.parameters || []).map((p) => (p.$ref ? resolveRef(spec, p.$ref) : p))
      .filter((p) => p.in === "query" && !["limit", "offset"].includes(p.name));
  }

  /// A URL field: http(s) URL or nothing (the document says so with anyOf).
  const isUrl = (schema) => schema.format === "uri" || (schema.anyOf || []).some((b) => b.format === "uri");
  /// A date field (`publishedAt` may also be empty: the document says so with anyOf).
  const isDate = (schema) => schema.format === "date" || (schema.anyOf || []).some((b) => b.format === "date");

  /// Which control a field gets.
  function controlKind(kind, field) {
    const { name, schema } = field;
    if (schema.type === "boolean") return "checkbox";
    if (schema.enum) return "select";
    if (schema.type === "array") return "list";
    if (isDate(schema)) return "date";
    if (isUrl(schema)) return "url";
    if (KINDS[kind].markdown.includes(name)) return "markdown";
    if ((schema.maxLength || 0) > 300) return "textarea";
    return "text";
  }

  /// The hint under a field: what it is for, and its limits from the document
  /// (numbers in `locale`, the browser's when undefined).
  function hintFor(field, locale) {
    const parts = [];
    if (HINTS[field.name]) parts.push(HINTS[field.name]);
    if (field.schema.maxLength) parts.push(`Up to ${field.schema.maxLength.toLocaleString(locale)} characters.`);
    if (field.schema.maxItems) {
      parts.push(`Up to ${field.schema.maxItems} items of ${field.schema.items.maxLength} characters each.`);
    }
    if (field.schema.nullable) parts.push("Optional.");
    return parts.join(" ");
  }

  /// A control's value as the API takes it: `raw` is the control's text (or, for
  /// a checkbox, whether it is checked).
  function readValue(field, raw) {
    const schema = field.schema;
    if (schema.type === "boolean") return Boolean(raw);
    if (schema.type === "array") return String(raw).split(",").map((s) => s.trim()).filter(Boolean);
    if (isUrl(schema)) return String(raw).trim() === "" ? null : String(raw).trim();
    if (schema.enum && raw === "") return null;
    return raw;
  }

  folio.schema = { resolveRef, formFields, listFilters, isUrl, isDate, controlKind, hintFor, readValue };
})(globalThis.folio = globalThis.folio || {});
