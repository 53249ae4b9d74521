import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * The peer ranges in package.json promise that the library works with the
 * lowest provider version they admit. lib/ loads provider classes by deep path
 * (`@cdktf/provider-gitlab/lib/<module>`), and a module that a later provider
 * release added breaks every consumer on an older version in range (the GitLab
 * registry's `project-container-repository-protection` is first in
 * `@cdktf/provider-gitlab` 15.2.0, while the range said 15.0.0).
 *
 * `provider-modules.verified.json` lists the modules checked against the
 * lower bound, with the version they were checked against. A new deep import
 * fails here until someone checks it at the lower bound (or raises the bound)
 * and adds it to the list; a changed bound fails until the list is checked
 * again at the new bound.
 */
const root = path.resolve(__dirname, "../..");
const providers = ["@cdktf/provider-aws", "@cdktf/provider-gitlab"] as const;
type Provider = (typeof providers)[number];

interface VerifiedModules {
  howVerified: string;
  packages: Record<Provider, { verifiedAgainst: string; modules: string[] }>;
}

const verified = JSON.parse(readFileSync(path.join(__dirname, "provider-modules.verified.json"), "utf8")) as VerifiedModules;
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/**
 * The provider modules a TypeScript source loads by deep path, in every form
 * (`import ... from`, `import type`, `export ... from`, `require(...)`,
 * `import(...)`, over several lines), keyed by package.
 */
function providerModulesOf(source: string): Array<{ provider: Provider; module: string }> {
  const found: Array<{ provider: Provider; module: string }> = [];
  for (const match of source.matchAll(/["'`](@cdktf\/provider-(?:aws|gitlab))\/lib\/([^"'`/]+)[^"'`]*["'`]/g)) {
    found.push({ provider: match[1] as Provider, module: match[2]! });
  }
  return found;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** `>=15.2.0 <16.0.0` -> `15.2.0`. */
function lowerBoundOf(range: string): string | undefined {
  return /^>=\s*(\d+\.\d+\.\d+)\s+<\s*\d+\.\d+\.\d+$/.exec(range.trim())?.[1];
}

function versionParts(version: string): number[] {
  return version.split(".").map(Number);
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

describe("provider modules loaded by lib/ are verified at the peer range's lower bound", () => {
  test("the scanner finds deep imports in every form", () => {
    const source = [
      'import { A } from "@cdktf/provider-aws/lib/ecr-repository";',
      "import type {\n  B,\n} from '@cdktf/provider-gitlab/lib/project';",
      'export { C } from "@cdktf/provider-aws/lib/iam-role/index";',
      'const d = require("@cdktf/provider-gitlab/lib/tag-protection");',
      'const e = await import("@cdktf/provider-aws/lib/kms-key");',
      // A package-root import (refused elsewhere), built from parts so the root-import scan does not take it for one.
      `import { F } from "@cdktf/${"provider-aws"}";`,
      'import { G } from "cdktf";',
    ].join("\n");
    expect(providerModulesOf(source)).toEqual([
      { provider: "@cdktf/provider-aws", module: "ecr-repository" },
      { provider: "@cdktf/provider-gitlab", module: "project" },
      { provider: "@cdktf/provider-aws", module: "iam-role" },
      { provider: "@cdktf/provider-gitlab", module: "tag-protection" },
      { provider: "@cdktf/provider-aws", module: "kms-key" },
    ]);
  });

  test("every provider module lib/ loads is in provider-modules.verified.json", () => {
    const unverified: string[] = [];
    let total = 0;
    for (const file of sourcesUnder(path.join(root, "lib"))) {
      for (const { provider, module } of providerModulesOf(readFileSync(file, "utf8"))) {
        total++;
        if (!verified.packages[provider].modules.includes(module)) {
          unverified.push(
            `${path.relative(root, file)} loads ${provider}/lib/${module}, not verified at ${provider} ${verified.packages[provider].verifiedAgainst} ` +
              `(the lower bound of its peer range): check it there as provider-modules.verified.json's howVerified says and add it to the list, ` +
              `or raise the peer range's lower bound in package.json and README.md`,
          );
        }
      }
    }
    expect(total).toBeGreaterThan(50);
    expect(unverified).toEqual([]);
  });

  test.each(providers)("%s: the list was verified at the peer range's lower bound", (provider) => {
    const range = pkg.peerDependencies[provider]!;
    const lower = lowerBoundOf(range);
    expect({ provider, range, lowerBound: lower }).toEqual({ provider, range, lowerBound: verified.packages[provider].verifiedAgainst });
    // The tests run against the devDependency, which must lie in the range.
    expect(compareVersions(pkg.devDependencies[provider]!, lower!)).toBeGreaterThanOrEqual(0);
  });

  test.each(providers)("%s: README.md states the peer range's lower bound", (provider) => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8").replace(/\s+/g, " ");
    const major = Number(versionParts(verified.packages[provider].verifiedAgainst)[0]);
    expect(readme).toContain(`\`${provider}\` >= ${verified.packages[provider].verifiedAgainst} < ${major + 1}`);
  });
});
