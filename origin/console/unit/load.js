// Loads the console's scripts into this Node process in the page's order (each
// registers itself on globalThis.folio). None touches the DOM until called.
"use strict";

const path = require("node:path");

const ORDER = ["kinds", "format", "schema", "dom", "charts", "api", "preview",
  "audience", "dashboard", "list", "editor", "shares", "account", "redirects", "history", "search", "app"];

for (const name of ORDER) require(path.join(__dirname, "..", `${name}.js`));

module.exports = globalThis.folio;
module.exports.ORDER = ORDER;
