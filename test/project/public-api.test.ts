import { readdirSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTool } from "../support/conformance";

const root = path.resolve(__dirname, "../..");

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

describe("the published declarations", () => {
  const out = mkdtempSync(path.join(tmpdir(), "decl-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test("never reference a provider package root (consumers would pay 3-4 s and ~570 MB)", () => {
    const tsc = runTool(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json", "--emitDeclarationOnly", "--outDir", out], {
      cwd: root,
      timeoutMs: 120_000,
    });
    expect(tsc.stdout + tsc.stderr).toBe("");
    const files = walk(out).filter((f) => f.endsWith(".d.ts"));
    expect(files.map((f) => path.relative(out, f))).toContain(path.join("lib", "index.d.ts"));
    const rootImports = files.flatMap((f) =>
      [...readFileSync(f, "utf8").matchAll(/(?:from\s+|import\()\s*["'](@cdktf\/provider-(?:aws|gitlab))["']/g)].map(
        (m) => `${path.relative(out, f)}: ${m[1]}`,
      ),
    );
    expect(rootImports).toEqual([]);
  });
});
