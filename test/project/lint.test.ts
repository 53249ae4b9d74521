import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runTool } from "../support/conformance";

// Runs the real ESLint CLI (as `npm run lint` does) once over fixture files
// written inside the repository, so the project's eslint.config.mjs applies.
const root = path.resolve(__dirname, "../..");
const dir = path.join(root, "test", "project", `.lint-fixtures-${process.pid}`);

// The fixtures are data (lint-fixtures/*.txt, so no source file of the project
// imports a provider root); each is linted as a .ts file.
const fixtures = path.join(__dirname, "lint-fixtures");
const names = readdirSync(fixtures).filter((f) => f.endsWith(".txt")).map((f) => f.replace(/\.txt$/, ""));
const bad = names.filter((n) => n.startsWith("root-"));
const good = names.filter((n) => !n.startsWith("root-"));

let results: Record<string, string[]> = {};

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  for (const name of names) writeFileSync(path.join(dir, `${name}.ts`), readFileSync(path.join(fixtures, `${name}.txt`), "utf8"));
  const run = runTool(process.execPath, [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), "--format", "json", "--no-warn-ignored", dir], {
    cwd: root,
    timeoutMs: 60_000,
  });
  const report = JSON.parse(run.stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string | null; message: string }> }>;
  results = Object.fromEntries(report.map((r) => [path.basename(r.filePath), r.messages.map((m) => `${m.ruleId}: ${m.message}`)]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("import lint (part of npm test)", () => {
  test("has fixtures for every form of root import, and a good one", () => {
    expect(bad).toEqual(["root-dynamic", "root-import", "root-namespace", "root-reexport", "root-require"]);
    expect(good).toEqual(["deep-import"]);
  });

  test.each(bad)("rejects a provider package root: %s", (name) => {
    expect(results[`${name}.ts`]?.join("\n")).toMatch(/no-restricted-(imports|syntax): .*(deep path|loads every resource class)/);
  });

  test.each(good)("accepts deep imports: %s", (name) => {
    expect(results[`${name}.ts`]).toEqual([]);
  });
});
