import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTool } from "../support/conformance";

/**
 * Another organisation's view: build and pack this library, install the
 * tarball into a fresh cdktf app, compile the README's example stack with tsc
 * against the published declarations, run it and check what it synthesized.
 * The big peer dependencies (cdktf, constructs, the AWS provider) are linked
 * from this repository's node_modules instead of downloaded again.
 */
const root = path.resolve(__dirname, "../..");
const nodeModules = path.join(root, "node_modules");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };

/** The ```ts block after `<!-- consumer-example -->` in README.md. */
function readmeExample(): string {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const match = /<!-- consumer-example -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error("README.md has no ```ts block after <!-- consumer-example -->");
  return match[1]!;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): string {
  const result = runTool(command, args, { cwd, timeoutMs, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

describe("a consumer app that installs the packed library", () => {
  const work = mkdtempSync(path.join(tmpdir(), "consumer-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  test("compiles the README example against the published types, synthesizes it, gets the resources, and runs the lifecycle preview bin", () => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    run(npm, ["pack", "--pack-destination", work], root, 180_000);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toBe(`${pkg.name}-${pkg.version}.tgz`);

    const app = path.join(work, "app");
    mkdirSync(app);
    const link = (name: string) => `file:${path.join(nodeModules, name)}`;
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        dependencies: {
          [pkg.name]: `file:../${tarball}`,
          cdktf: link("cdktf"),
          constructs: link("constructs"),
          "@cdktf/provider-aws": link("@cdktf/provider-aws"),
          "@cdktf/provider-gitlab": link("@cdktf/provider-gitlab"),
        },
      }),
    );
    run(npm, ["install", "--prefer-offline", "--no-package-lock", "--ignore-scripts", "--install-links=false", "--legacy-peer-deps"], app, 180_000);

    writeFileSync(path.join(app, "main.ts"), readmeExample());
    writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: true, types: [], outDir: "out" },
        files: ["main.ts"],
      }),
    );
    run(process.execPath, [path.join(nodeModules, "typescript", "bin", "tsc"), "-p", "."], app);
    run(process.execPath, ["out/main.js"], app);

    const stacks = readdirSync(path.join(app, "cdktf.out", "stacks"));
    expect(stacks).toEqual(["team-registry"]);
    const json = JSON.parse(readFileSync(path.join(app, "cdktf.out", "stacks", "team-registry", "cdk.tf.json"), "utf8")) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const repositories = Object.values(json.resource.aws_ecr_repository ?? {});
    expect(repositories.map((r) => r.name)).toEqual(["team-a/service"]);
    expect(repositories[0]).toEqual(expect.objectContaining({ force_delete: false, image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION" }));
    expect(Object.keys(json.resource.aws_ecr_lifecycle_policy ?? {})).toHaveLength(1);
    const pullThrough = Object.values(json.resource.aws_ecr_pull_through_cache_rule ?? {});
    expect(pullThrough).toEqual([expect.objectContaining({ ecr_repository_prefix: "ecr-public", upstream_registry_url: "public.ecr.aws" })]);
    // The grant landed in the consumer's own role as a least-privilege inline policy.
    const policy = JSON.parse(String(Object.values(json.resource.aws_iam_role_policy ?? {})[0]?.policy)) as {
      Statement: Array<{ Action: string[]; Resource: string[] }>;
    };
    expect(policy.Statement.find((s) => s.Action.includes("ecr:PutImage"))?.Resource).toEqual([
      expect.stringMatching(/^\$\{aws_ecr_repository\.service_repository_[A-F0-9]+\.arn\}$/),
    ]);
    // The token parameter's ARN takes account and region from the stack's AWS provider.
    expect(policy.Statement.find((s) => s.Action.includes("ssm:GetParameter"))?.Resource).toEqual(["arn:aws:ssm:eu-west-1:111111111111:parameter/team-a/runner/token"]);
    // The library never loads a provider package root, neither in its JavaScript nor in the
    // published declarations (a root import in a .d.ts costs every consumer 3-4 s and ~570 MB).
    const installed = path.join(app, "node_modules", pkg.name);
    const rootImports = runTool("grep", ["-rlE", '(require\\(|import\\(|from )"@cdktf/provider-(aws|gitlab)"', installed]);
    expect({ status: rootImports.status, files: rootImports.stdout.trim() }).toEqual({ status: 1, files: "" });
    expect(readdirSync(path.join(installed, "dist", "lib"))).toContain("index.d.ts");

    // The lifecycle preview ships as a bin: run through the installed link and through npx.
    const fixtures = path.join(root, "test", "registry", "lifecycle", "fixtures");
    const preview = (command: string, args: string[]) =>
      runTool(command, [...args, path.join(fixtures, "images.json"), "--now", "2024-06-15T12:00:00Z"], { cwd: app, timeoutMs: 60_000, env: { ...process.env, npm_config_update_notifier: "false" } });
    const bin = path.join(app, "node_modules", ".bin", "ecr-lifecycle-preview");
    const safe = preview(bin, [path.join(fixtures, "policy.json"), "--fail-on-protected"]);
    expect({ status: safe.status, stderr: safe.stderr }).toEqual({ status: 0, stderr: "" });
    expect(safe.stdout).toMatch(/Kept images per rule:\nRULE +KEPT +DESCRIPTION\n1 +1 +Keep latest\n/);
    expect(safe.stdout).toMatch(/3 of 8 images would be expired, 5 kept/);
    // A policy that would expire `latest` fails the gate, through npx as well.
    const unsafe = preview(npm, ["exec", "--no", "--", "ecr-lifecycle-preview", path.join(fixtures, "expires-latest-policy.json"), "--fail-on-protected"]);
    expect(unsafe.status).toBe(1);
    expect(unsafe.stdout).toMatch(/PROTECTED IMAGES WOULD BE EXPIRED .*\n {2}sha256:111111111111 carries latest and would be expired by rule 1/);
    expect(unsafe.stderr).toMatch(/ecr-lifecycle-preview: 1 image\(s\) carrying a protected tag would be expired \(--fail-on-protected\)/);
  }, 240_000);
});
