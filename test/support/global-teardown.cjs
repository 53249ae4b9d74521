// Jest global tear-down: removes the findings cache directory test/support/global-setup.cjs made.
"use strict";
const { rmSync } = require("node:fs");

module.exports = async function globalTeardown() {
  const dir = process.env.PLATFORM_JEST_RULE_CACHE;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
