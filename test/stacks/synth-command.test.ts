import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * The app's synth command (`npm run synth`: `node -r ./stacks/register.cjs main.ts`) run as a
 * user runs it, on a configuration file named by PLATFORM_CONFIG: bad input ends it with every
 * problem listed, each with its config path, and no stack trace.
 */
const root = path.resolve(__dirname, "../..");

function synth(configSource: string | undefined, file = "platform.config.ts"): { status: number | null; stdout: string; stderr: string; synthesized: boolean } {
  const dir = mkdtempSync(path.join(tmpdir(), "synth-command-"));
  try {
    if (configSource !== undefined) writeFileSync(path.join(dir, file), configSource);
    // cdktf runs `terraform version` during synth (a version check for terraform_data): a stand-in
    // binary keeps this test independent of the machine's terraform.
    mkdirSync(path.join(dir, "bin"));
    writeFileSync(path.join(dir, "bin", "terraform"), "#!/bin/sh\necho 'Terraform v1.11.4'\n", { mode: 0o755 });
    const r = spawnSync(process.execPath, ["-r", path.join(root, "stacks/register.cjs"), path.join(root, "main.ts")], {
      cwd: dir,
      env: { ...process.env, PLATFORM_CONFIG: file, PATH: `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH ?? ""}` },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, synthesized: existsSync(path.join(dir, "cdktf.out", "manifest.json")) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const example = JSON.stringify(path.join(root, "stacks/example-config"));

describe("the synth command", () => {
  test("reports five independent mistakes in one run, each with its config path, without a stack trace", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [nonprod, prod] = exampleConfig.accounts;
      const [dev, staging, production] = exampleConfig.environments;
      export const config = {
        ...exampleConfig,
        project: "Acme CI",                                             // 1. not a valid name
        accounts: [{ ...nonprod, name: "Non_Prod" }, prod],            // 2. not a valid stack name
        environments: [
          { ...dev, gitlab: { ...dev.gitlab, url: "http://gitlab.example.com" } }, // 3. not https
          { ...staging, name: "Staging" },                              // 4. not a valid stack name
          production,
        ],
        backend: { kind: "s3", bucket: "Bad_Bucket", region: "eu-central-1" }, // 5. not a bucket name
      };
    `);
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("5 problems found; nothing was synthesized:");
    const problems = lines.slice(1);
    expect(problems.map((line) => /^ {2}- (\S+): invalid /.exec(line)?.[1])).toEqual([
      "config/project",
      "config/accounts[0]",
      "config/environments[0]/gitlab",
      "config/environments[1]",
      "config/backend",
    ]);
    for (const line of problems) expect(line).toMatch(/: invalid .+\. Rule: .+\. Fix: .+/);
    expect(problems.join("\n")).toContain('"Acme CI"');
    expect(problems.join("\n")).toContain('"Bad_Bucket"');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Error:|\.ts:\d+/);
  });

  test("reports five mistakes in one run when one is a misspelt key and one a value of the wrong type (the rules run beside shape problems)", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [nonprod, prod] = exampleConfig.accounts;
      const [dev, staging, production] = exampleConfig.environments;
      export const config = {
        ...exampleConfig,
        project: "Acme CI",                                             // 1. not a valid name
        accounts: [{ ...nonprod, name: "Non_Prod" }, prod],            // 2. not a valid stack name
        environments: [
          { ...dev, cache: { ...dev.cache, expirationDay: 7 } },        // 3. a misspelt key (expirationDays)
          { ...staging, runners: { ...staging.runners, instanceTypes: "m7i.large" } }, // 4. a list given as a string
          production,
        ],
        backend: { kind: "s3", bucket: "Bad_Bucket", region: "eu-central-1" }, // 5. not a bucket name
      };
    `);
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("5 problems found; nothing was synthesized:");
    expect(problemsOf(r.stderr).map((line) => /^(\S+): invalid (\S+)/.exec(line)?.slice(1, 3).join(" "))).toEqual([
      "config/environments[0]/cache key",
      "config/environments[1]/runners instanceTypes",
      "config/project project",
      "config/accounts[0] account",
      "config/backend bucket",
    ]);
    expect(problemsOf(r.stderr)[0]).toMatch(/did you mean "expirationDays"\?/);
    for (const line of problemsOf(r.stderr)) expect(line).toMatch(/: invalid .+\. Rule: .+\. Fix: .+/);
    expectNoTrace(r);
  });

  test("a name derived from several fields (the access-log bucket) is reported for every environment at config paths in one run, exit 1, nothing synthesized, no stack trace", () => {
    // The cache's access-log bucket <project>-<environment>-cache-<account>-logs is 64 characters in
    // both environments here (S3 allows 63), while every field, and each cache bucket's own name, is valid.
    const r = synth(`
      import { exampleConfig } from ${example};
      const [dev, staging, production] = exampleConfig.environments;
      export const config = { ...exampleConfig, project: "acme-ci-platform-xyz", environments: [dev, { ...staging, name: "staging-eu-central1" }, { ...production, name: "production-eu-cent1" }] };
    `);
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe("2 problems found; nothing was synthesized:");
    expect(problemsOf(r.stderr)).toEqual([
      expect.stringMatching(/^config\/environments\[1\]\/cache: invalid accessLogs\.bucketName "acme-ci-platform-xyz-staging-eu-central1-cache-111111111111-logs"\. Rule: .+ 63 characters\. Fix: .+$/),
      expect.stringMatching(/^config\/environments\[2\]\/cache: invalid accessLogs\.bucketName "acme-ci-platform-xyz-production-eu-cent1-cache-222222222222-logs"\. Rule: .+ 63 characters\. Fix: .+$/),
    ]);
    expectNoTrace(r);
  });

  test("the same mistake in two environments prints a line for each; an account id given as a number prints one line", () => {
    const twice = synth(`
      import { exampleConfig } from ${example};
      const [dev, staging, production] = exampleConfig.environments;
      export const config = { ...exampleConfig, environments: [{ ...dev, cache: { expirationDays: 0 } }, { ...staging, cache: { expirationDays: 0 } }, production] };
    `);
    expect(twice.status).toBe(1);
    expect(problemsOf(twice.stderr).map((line) => /^(\S+): invalid (\S+)/.exec(line)?.slice(1, 3).join(" "))).toEqual([
      "config/environments[0]/cache expirationDays",
      "config/environments[1]/cache expirationDays",
    ]);
    const numeric = synth(`
      import { exampleConfig } from ${example};
      const [nonprod, prod] = exampleConfig.accounts;
      export const config = { ...exampleConfig, accounts: [{ ...nonprod, accountId: 111111111111 }, prod] };
    `);
    expect(numeric.status).toBe(1);
    expect(problemsOf(numeric.stderr)).toEqual([expect.stringMatching(/^config\/accounts\[0\]: invalid accountId 111111111111\. Rule: an AWS account id is exactly 12 digits, given as a string/)]);
    expectNoTrace(twice);
    expectNoTrace(numeric);
  });

  test("a valid configuration synthesizes and exits 0", () => {
    const r = synth(`export { exampleConfig as config } from ${example};`);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.synthesized).toBe(true);
  });

  /** Every problem line of the output: `<path>: invalid <subject> <value>. Rule: ... Fix: ...`. */
  function problemsOf(stderr: string): string[] {
    return stderr.trim().split("\n").slice(1).map((line) => line.replace(/^ {2}- /, ""));
  }
  function expectNoTrace(r: { stderr: string }): void {
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/TypeError|\.ts:\d+|\.js:\d+/);
  }

  test("a configuration with only a project lists the missing accounts and environments, without a stack trace", () => {
    const r = synth(`module.exports = { config: { project: "x" } };`, "platform.config.js");
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    expect(r.stderr.split("\n")[0]).toBe("2 problems found; nothing was synthesized:");
    const problems = problemsOf(r.stderr);
    expect(problems[0]).toMatch(/^config: invalid accounts undefined\. Rule: accounts is required \(a list \[\.\.\.\]\)\. Fix: add accounts/);
    expect(problems[1]).toMatch(/^config: invalid environments undefined\. Rule: environments is required/);
    expectNoTrace(r);
  });

  test("a misspelt required section key (gitLab) is one line: the key it is likely meant to be, which is missing", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [dev, ...rest] = exampleConfig.environments;
      const { gitlab, ...others } = dev;
      export const config = { ...exampleConfig, environments: [{ ...others, gitLab: gitlab }, ...rest] };
    `);
    expect(r.status).toBe(1);
    const problems = problemsOf(r.stderr);
    expect(problems).toEqual([
      expect.stringMatching(/^config\/environments\[0\]: invalid key "gitLab"\. Rule: gitlab is required \(an object \{ \.\.\. \}\) and missing, and "gitLab" is not a known setting of config\/environments\[0\] \(.*gitlab.*\)\. Fix: did you mean "gitlab"\? Rename the key$/),
    ]);
    expectNoTrace(r);
  });

  test("runners.runners given as an object is refused at its config path", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [dev, ...rest] = exampleConfig.environments;
      export const config = { ...exampleConfig, environments: [{ ...dev, runners: { ...dev.runners, runners: dev.runners.runners[0] } }, ...rest] };
    `);
    expect(r.status).toBe(1);
    expect(problemsOf(r.stderr)).toEqual([expect.stringMatching(/^config\/environments\[0\]\/runners: invalid runners \{"name":"build".*\. Rule: runners is a list \[\.\.\.\], not an object\. Fix: give runners as a list/)]);
    expectNoTrace(r);
  });

  test("a JSON configuration gets the same shape checks (a list where an object belongs, an unknown top-level key)", () => {
    const r = synth(JSON.stringify({ project: "acme-ci", accounts: {}, environments: [], backnd: { kind: "local" } }), "platform.json");
    expect(r.status).toBe(1);
    const problems = problemsOf(r.stderr);
    expect(problems).toEqual([
      expect.stringMatching(/^config: invalid key "backnd"\. .*Fix: did you mean "backend"\?/),
      expect.stringMatching(/^config: invalid accounts \{\}\. Rule: accounts is a list/),
    ]);
    expectNoTrace(r);
  });

  test("a JSON configuration that is not an object (null, a list, a number) is one problem at config, not at a truncated path", () => {
    for (const [json, kind] of [["null", "null"], ["[]", "a list"], ["5", "a number"]] as const) {
      const r = synth(json, "platform.json");
      expect({ json, status: r.status, synthesized: r.synthesized }).toEqual({ json, status: 1, synthesized: false });
      expect({ json, problems: problemsOf(r.stderr) }).toEqual({ json, problems: [expect.stringMatching(new RegExp(`^config: invalid configuration ${json.replace(/[[\]]/g, "\\$&")}\\. Rule: configuration is an object .*, not ${kind}\\.`))] });
      expectNoTrace(r);
    }
  });

  test("a missing configuration file is one clear line, exit 1", () => {
    const r = synth(undefined, "no-such.config.ts");
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    expect(r.stderr).toMatch(/^PLATFORM_CONFIG=no-such\.config\.ts: no such file \(.*no-such\.config\.ts\); name a \.ts, \.js or \.json configuration .*\n$/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expectNoTrace(r);
  });

  test("mistakes only constructs used to find (network cidr, cache expiry, runner limit, job timeout, docker access) come out together, at config paths", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [dev, staging, ...rest] = exampleConfig.environments;
      const [build, ...others] = staging.runners.runners;
      export const config = {
        ...exampleConfig,
        environments: [
          { ...dev, cache: { ...dev.cache, expirationDays: -3 } },
          {
            ...staging,
            runners: {
              ...staging.runners,
              network: { cidr: "10.0.0.0/33" },
              maxJobTimeoutSeconds: 30,
              runners: [{ ...build, limit: 0, dockerAccess: "docker-socket" }, ...others],
            },
          },
          ...rest,
        ],
      };
    `);
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    expect(r.stderr.split("\n")[0]).toBe("5 problems found; nothing was synthesized:");
    const problems = problemsOf(r.stderr);
    const at = (line: string) => /^(\S+): invalid (\S+)/.exec(line)?.slice(1, 3).join(" ");
    expect(problems.map(at).sort()).toEqual(
      [
        "config/environments[0]/cache expirationDays",
        "config/environments[1]/runners/network cidr",
        "config/environments[1]/runners maxJobTimeoutSeconds",
        "config/environments[1]/runners/runners[0] limit",
        "config/environments[1]/runners/runners[0] dockerAccess",
      ].sort(),
    );
    for (const line of problems) expect(line).toMatch(/: invalid .+\. Rule: .+\. Fix: .+/);
    expectNoTrace(r);
  });
  test("mistakes only constructs used to find (deployment statement, fleet capacity, spot mix, pull-through upstream, tag-kind retention) come out together, at config paths, each once", () => {
    const r = synth(`
      import { exampleConfig } from ${example};
      const [nonprod, prod] = exampleConfig.accounts;
      const [dev, staging, production] = exampleConfig.environments;
      export const config = {
        ...exampleConfig,
        accounts: [
          // 1. an upstream ECR pull-through cache does not support
          { ...nonprod, registry: { ...nonprod.registry, pullThroughCache: [...nonprod.registry.pullThroughCache.slice(0, 2), { upstream: "kubernetes" }] } },
          prod,
        ],
        environments: [
          // 2. a deployment statement without actions
          { ...dev, identity: { ...dev.identity, deployment: { statements: [{ actions: [], resources: ["arn:aws:s3:::acme-ci-terraform-state-111111111111/dev/{{tenant}}/*"] }] } } },
          staging,
          {
            ...production,
            // 3. a retention of no images
            registry: { ...production.registry, tagScheme: { kinds: { commit: { retention: { maxCount: 0 } } } } },
            runners: {
              ...production.runners,
              // 4. no host with job-slot scaling and no office hours: the fleet never starts
              capacity: { minSize: 0, maxSize: 6 },
              // 5. a percentage above 100
              purchase: { onDemandPercentageAboveBaseCapacity: 150 },
            },
          },
        ],
      };
    `);
    expect(r.status).toBe(1);
    expect(r.synthesized).toBe(false);
    const problems = problemsOf(r.stderr);
    const at = (line: string) => /^(\S+): invalid (\S+)/.exec(line)?.slice(1, 3).join(" ");
    expect(problems.map(at)).toEqual(
      expect.arrayContaining([
        "config/accounts[0]/registry/pullThroughCache[2] upstream",
        "config/environments[0]/identity/deployment/statements[0] statement",
        "config/environments[2]/registry/tagScheme/kinds/commit retention",
        "config/environments[2]/runners capacity.minSize",
        "config/environments[2]/runners purchase.onDemandPercentageAboveBaseCapacity",
      ]),
    );
    // Nothing else: the five, and the fleet's "never starts" consequence of the fourth at the same path.
    expect(problems.map(at).filter((p) => !/^config\/environments\[2\]\/runners capacity/.test(p!))).toHaveLength(4);
    expect(problems.every((line) => line.startsWith("config/"))).toBe(true);
    // Each mistake once: the constructs never ran.
    expect(new Set(problems).size).toBe(problems.length);
    for (const line of problems) expect(line).toMatch(/: invalid .+\. Rule: .+\. Fix: .+/);
    expectNoTrace(r);
  });
});
