/**
 * Jest transpiles with SWC (no per-file type-checking): `npm test` runs
 * `tsc --noEmit` once for the whole project before jest starts.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  globalSetup: "<rootDir>/test/support/global-setup.cjs",
  globalTeardown: "<rootDir>/test/support/global-teardown.cjs",
  setupFilesAfterEnv: ["<rootDir>/test/support/setup.ts"],
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  testTimeout: 60000,
  // Two workers on the 2-core machines: many tests wait on child processes
  // (tsc, gitlab-ci-local, shellcheck, cloud-init), so they overlap well.
  maxWorkers: 2,
};
