import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runTool } from "../support/conformance";

// Runs the real ESLint CLI (as `npm run lint` does) once over fixture files
// written inside the repository, so the project's eslint.config.mjs applies.
const root = path.resolve(__dirname, "../..");
const dir = path.join(root, "test", "project", `.lint-fixtures-${process.pid}`);

const bad = {
  "root-import.ts": 'import { EcrRepository } from "@cdktf/provider-aws";\nexport { EcrRepository };\n',
  "root-namespace.ts": 'import * as gitlab from "@cdktf/provider-gitlab";\nexport { gitlab };\n',
  "root-reexport.ts": 'export { AwsProvider } from "@cdktf/provider-aws";\n',
  "root-require.ts": 'const aws = require("@cdktf/provider-aws");\nexport { aws };\n',
  "root-dynamic.ts": 'export async function f() {\n  return import("@cdktf/provider-gitlab");\n}\n',
};
const good = {
  "deep-import.ts": 'import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";\nexport { EcrRepository };\n',
};

let results: Record<string, string[]> = {};

beforeAll(() => {
  mkdirSync(dir, { recursive: true });
  for (const [name, code] of Object.entries({ ...bad, ...good })) writeFileSync(path.join(dir, name), code);
  const run = runTool(process.execPath, [path.join(root, "node_modules", "eslint", "bin", "eslint.js"), "--format", "json", "--no-warn-ignored", dir], {
    cwd: root,
    timeoutMs: 60_000,
  });
  const report = JSON.parse(run.stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string | null; message: string }> }>;
  results = Object.fromEntries(report.map((r) => [path.basename(r.filePath), r.messages.map((m) => `${m.ruleId}: ${m.message}`)]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("import lint (part of npm test)", () => {
  test.each(Object.keys(bad))("rejects a provider package root: %s", (file) => {
    expect(results[file]?.join("\n")).toMatch(/no-restricted-(imports|syntax): .*(deep path|loads every resource class)/);
  });

  test("accepts deep imports", () => {
    expect(results["deep-import.ts"]).toEqual([]);
  });
});
