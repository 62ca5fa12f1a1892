// What the console knows about each content type beyond the API document (which
// gives every form its fields, limits and filters).
"use strict";

(function (folio) {
  const KINDS = {
    blog: {
      plural: "Posts", one: "post", path: "/v1/blog/posts", listKey: "posts", viewType: "blog",
      schema: "BlogPostCreate", titleField: "title", markdown: ["content"],
      order: ["title", "excerpt", "content", "category", "tags", "publishedAt"], column: "category",
    },
    project: {
      plural: "Projects", one: "project", path: "/v1/projects", listKey: "projects", viewType: "project",
      schema: "ProjectCreate", titleField: "name", markdown: ["longDescription"],
      order: ["name", "description", "longDescription", "tech", "company", "featured", "githubUrl", "liveUrl", "imageUrl"],
      column: "company",
    },
    certification: {
      plural: "Certifications", one: "certification", path: "/v1/certifications", listKey: "certifications",
      viewType: "certification", schema: "CertificationCreate", titleField: "name", markdown: [],
      order: ["name", "issuer", "icon", "type", "featured", "description", "credentialUrl", "dateEarned"],
      column: "issuer",
    },
  };
  const HINTS = {
    tags: "Separate tags with commas.", tech: "Separate technologies with commas.",
    icon: "An emoji or a few letters.", content: "Markdown; the preview shows it as readers will get it.",
    publishedAt: "Leave empty to use the day you publish; set it to keep an older post's date.",
    longDescription: "Markdown; the preview shows it as readers will get it.",
  };

  folio.kinds = {
    KINDS,
    HINTS,
    /// Fields holding an image's URL: they get an upload button.
    IMAGE_FIELDS: ["coverImage", "imageUrl"],
    /// Items fetched per request when a list is read whole.
    PAGE_SIZE: 100,
  };
})(globalThis.folio = globalThis.folio || {});
