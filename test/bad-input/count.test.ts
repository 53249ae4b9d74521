import { readFileSync } from "node:fs";
import path from "node:path";
import { configRows } from "./config-rows";
import { constructRows } from "./construct-rows";

describe("bad-input matrix: size and documentation", () => {
  const all = [...configRows, ...constructRows];

  test("at least 150 inputs, each with a name of its own", () => {
    expect(all.length).toBeGreaterThanOrEqual(150);
    expect(new Set(all.map((r) => r.name)).size).toBe(all.length);
  });

  test("docs/bad-input.md states the counts as they are", () => {
    const doc = readFileSync(path.join(__dirname, "..", "..", "docs", "bad-input.md"), "utf8");
    expect(doc).toContain(`${all.length} bad inputs`);
    expect(doc).toContain(`${configRows.length} configuration inputs`);
    expect(doc).toContain(`${constructRows.length} construct inputs`);
  });
});
