// Words and dates as the console shows them: pure functions, tested by node --test.
"use strict";

(function (folio) {
  const LABELS = {
    githubUrl: "GitHub URL", liveUrl: "Live URL", imageUrl: "Image URL", credentialUrl: "Credential URL",
    longDescription: "Long description", dateEarned: "Date earned", tech: "Technologies", icon: "Icon",
    publishedAt: "Publication date",
  };

  /// A field name as a person reads it: `coverImage` → "Cover image".
  function label(name) {
    return LABELS[name] || name.replace(/([A-Z])/g, " $1").replace(/^./, (c) => c.toUpperCase()).toLowerCase()
      .replace(/^./, (c) => c.toUpperCase());
  }

  /// A date (`2026-01-02`) or date-time in the reader's locale; "—" for nothing,
  /// the text itself when it is not a date.
  function formatDate(value, locale) {
    if (!value) return "—";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return value;
    return date.toLocaleString(locale, { dateStyle: "medium", timeStyle: value.length > 10 ? "short" : undefined });
  }

  /// A `datetime-local` value (the owner's local time) as the API's RFC 3339 UTC
  /// time without milliseconds; null when it is not a time.
  function toPublishAt(local) {
    const date = new Date(local);
    if (!local || Number.isNaN(date.getTime())) return null;
    return date.toISOString().replace(/\.\d{3}Z$/, "Z");
  }

  folio.format = { label, formatDate, toPublishAt };
})(globalThis.folio = globalThis.folio || {});
