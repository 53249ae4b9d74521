/*
 * `npm run security-matrix`: regenerates the actor x resource matrix of
 * docs/security-model.md and README.md from the attack-path model of the example app.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exampleScenario } from "./scenario";
import { securityMatrix, withMatrix } from "./security-matrix";

const table = securityMatrix(exampleScenario());
for (const doc of [join(__dirname, "..", "..", "docs", "security-model.md"), join(__dirname, "..", "..", "README.md")]) {
  writeFileSync(doc, withMatrix(readFileSync(doc, "utf8"), table));
  process.stdout.write(`updated ${doc}\n`);
}
