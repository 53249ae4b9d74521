/*
 * `npm run security-matrix`: regenerates the actor x resource matrix of
 * docs/security-model.md from the attack-path model of the example app.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exampleConfig } from "../../stacks/example-config";
import { buildScenario } from "./scenario";
import { securityMatrix, withMatrix } from "./security-matrix";

const doc = join(__dirname, "..", "..", "docs", "security-model.md");
writeFileSync(doc, withMatrix(readFileSync(doc, "utf8"), securityMatrix(buildScenario(exampleConfig))));
process.stdout.write(`updated ${doc}\n`);
