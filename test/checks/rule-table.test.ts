import { readFileSync } from "node:fs";
import path from "node:path";
import { SECURITY_RULES } from "../../lib/checks/rules";
import { iamDataVersion } from "../../lib/core/iam-data";

const doc = readFileSync(path.resolve(__dirname, "../../docs/rule-pack.md"), "utf8");
const section = doc.slice(doc.indexOf("## Rules"));
/** The rule table's rows, split into cells, with markdown escapes (`\*`, `\|`) undone. */
const rows = section
  .split("\n")
  .filter((line) => /^\| [A-Z][A-Z0-9]{3,7} \| (error|warning) \|/.test(line))
  .map((line) =>
    line
      .slice(2, -2)
      .split(/ (?<!\\)\| /)
      .map((cell) => cell.replace(/\\([*|])/g, "$1")),
  );

test("the rule table of docs/rule-pack.md lists every rule with its code's severity, title, rationale and fix, and nothing else", () => {
  expect(rows.map((r) => r[0])).toEqual(SECURITY_RULES.map((r) => r.id));
  for (const rule of SECURITY_RULES) {
    const [, severity, what, why, fix] = rows.find((r) => r[0] === rule.id)!;
    expect({ id: rule.id, severity, title: what!.startsWith(`**${rule.title}**`), why, fix }).toEqual({
      id: rule.id,
      severity: rule.severity,
      title: true,
      why: rule.rationale,
      fix: rule.fix,
    });
  }
});

test("docs/rule-pack.md names the installed IAM dataset version", () => {
  expect(doc).toContain(`\`${iamDataVersion().version}\``);
});
