import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exampleScenario } from "./scenario";
import { MATRIX_END, MATRIX_START, RULED_OUT, securityMatrix, withMatrix } from "./security-matrix";

describe("the security model's actor matrix", () => {
  const scenario = exampleScenario();
  const table = securityMatrix(scenario);

  test("docs/security-model.md holds the matrix generated from the example app (run `npm run security-matrix` when this fails)", () => {
    const doc = readFileSync(join(__dirname, "..", "..", "docs", "security-model.md"), "utf8");
    expect(doc).toContain(MATRIX_START);
    expect(withMatrix(doc, table)).toBe(doc);
  });

  test("README.md's security model section holds the same generated matrix (run `npm run security-matrix` when this fails)", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    expect(readme).toContain(MATRIX_START);
    expect(withMatrix(readme, table)).toBe(readme);
  });

  test("the matrix says what the model says: unprotected rows reach nothing protected, protected rows push and deploy", () => {
    const rows = table.split("\n").slice(2).map((line) => line.slice(2, -2).split(" | "));
    const row = (label: RegExp) => rows.find((cells) => label.test(cells[0]!))!.join(" | ");
    for (const label of [/fork/, /from a branch/, /unprotected branch/, /unprotected tag/]) {
      expect(row(label)).not.toMatch(/push protected|deploy|\bprotected of|docker daemon|CI roles/);
      if (!/fork/.test(label.source)) expect(row(label)).toMatch(/push unprotected images/);
    }
    const cells = (label: RegExp) => rows.find((c) => label.test(c[0]!))!;
    expect(cells(/fork/).slice(1, 4)).toEqual(["nothing", "nothing", "nothing"]);
    // Only dev has an unprotected pool: unprotected rows reach nothing in staging and production.
    for (const label of [/fork/, /from a branch/, /unprotected branch/, /unprotected tag/]) expect(cells(label).slice(2, 4)).toEqual(["nothing", "nothing"]);
    for (const label of [/fork/, /from a branch/, /unprotected branch/, /unprotected tag/]) {
      expect(cells(label).at(-2)).not.toMatch(/staging|production/);
      expect(cells(label).at(-1)).toBe("no");
    }
    expect(row(/Protected default branch/)).toMatch(/push protected images.*deploy/);
    // Every environment checks merged-results pipelines at plan time: that actor does not exist on the example.
    expect(new Set(cells(/^Merged-results pipeline/).slice(1))).toEqual(new Set([RULED_OUT]));
  });

  test("fault: the matrix said 'nothing' of other tenants' images on shared runners; it now says what the runners' host roles and daemons give", () => {
    const rows = table.split("\n").slice(2).map((line) => line.slice(2, -2).split(" | "));
    const others = (label: RegExp) => rows.find((c) => label.test(c[0]!))![4]!;
    // The example's runners serve every tenant: a merge request's job may run web's and toolbox's
    // unprotected images and their toolbox images (pulled with the unprotected pool's host role) ...
    expect(others(/from a branch/)).toBe("run as job image (host role): unprotected of acme/toolbox, acme/web; toolbox of acme/toolbox, acme/web");
    // ... and a protected job shares the socket-binding build hosts' daemon with the other projects.
    expect(others(/Protected default branch/)).toMatch(/protected of acme\/web; .* · root on a docker daemon shared with acme\/toolbox, acme\/web$/);
  });

  test("the block is replaced, not appended to", () => {
    const doc = `intro\n${MATRIX_START}\nold\n${MATRIX_END}\nrest\n`;
    expect(withMatrix(doc, "| a |")).toBe(`intro\n${MATRIX_START}\n| a |\n${MATRIX_END}\nrest\n`);
    expect(() => withMatrix("no markers", "| a |")).toThrow(/security-matrix:start/);
  });
});
