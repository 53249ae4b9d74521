// Jest global set-up (jest.config.js): runs once in the parent process, before the workers start,
// so what it puts in process.env reaches every test file.
//
// The rule pack's findings cache (lib/checks/findings-cache.ts) is turned on for the run in a new,
// empty directory: about twenty test files synthesize the same example stacks, and from the second
// on the pack's findings come from the cache. The cache is keyed by each stack's JSON, the pack's
// options and the library's code, so a test that changes any of them evaluates every rule, and no
// finding differs (test/checks/findings-cache.test.ts). A fresh directory per run means nothing
// carries over between runs. PLATFORM_RULE_CACHE set by the caller is read as the app command
// reads it (stacks/cache-directory.cjs): `0` keeps it off, a directory is used, and unset, empty or
// `1` is the default, here that fresh directory.
"use strict";
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");
const { cacheDirectory } = require("../../stacks/cache-directory.cjs");

module.exports = async function globalSetup() {
  let fresh;
  const dir = cacheDirectory("PLATFORM_RULE_CACHE", () => (fresh = mkdtempSync(path.join(tmpdir(), "jest-rule-cache-"))));
  process.env.PLATFORM_RULE_CACHE = dir ?? "0";
  if (fresh !== undefined) process.env.PLATFORM_JEST_RULE_CACHE = fresh;
};
