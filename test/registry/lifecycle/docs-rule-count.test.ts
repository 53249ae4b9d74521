import { readFileSync } from "node:fs";
import path from "node:path";
import { lifecyclePolicyFromTagScheme } from "../../../lib/registry/lifecycle/scheme-policy";
import { TagScheme } from "../../../lib/registry/tag-scheme";

/* docs/image-flow.md states how many lifecycle rules the default tag scheme gives; this keeps the number true. */
describe("docs/image-flow.md: the default scheme's rule count", () => {
  test("the page states the number of rules the default tag scheme's policy has (without the optional catch-all)", () => {
    const rules = lifecyclePolicyFromTagScheme(new TagScheme("docs")).rules.length;
    const withCatchAll = lifecyclePolicyFromTagScheme(new TagScheme("docs"), { catchAll: { maxCount: 5000 } }).rules.length;
    const doc = readFileSync(path.join(__dirname, "..", "..", "..", "docs", "image-flow.md"), "utf8");
    expect(doc).toContain(`The default scheme gives ${rules} rules`);
    expect(doc).toContain(`${withCatchAll} with the catch-all`);
  });
});
