import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The docs give the project's own commands: `npm run synth` (the app, with its caches and checks)
 * and `npm run cdktf -- <command>` (the cdktf CLI with CHECKPOINT_DISABLE=1, so it reports no
 * usage to HashiCorp's checkpoint service). `npx cdktf ...` skips that setting.
 */
const root = path.resolve(__dirname, "../..");

function markdownUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return markdownUnder(rel);
    return entry.name.endsWith(".md") ? [rel] : [];
  });
}

test("no document tells the reader to run npx cdktf", () => {
  const files = ["README.md", "CHANGELOG.md", "bench/README.md", ...markdownUnder("docs")];
  expect(files.length).toBeGreaterThan(20);
  const found = files.flatMap((file) =>
    readFileSync(path.join(root, file), "utf8")
      .split("\n")
      .flatMap((line, i) => (/\bnpx\s+cdktf\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(found).toEqual([]);
});
