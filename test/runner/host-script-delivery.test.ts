import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { INSTALL_SCRIPT, RUNNER_FLEET_SCRIPT } from "../../lib/runner/host-files";
import { SCRIPT_PARAMETER_MAX_CHARS, encodeHostScript, scriptParameterName } from "../../lib/runner/host-script-delivery";
import { RunnerFleet } from "../../lib/runner/fleet";
import { HOST_PATHS, USER_DATA_LIMIT_BYTES, compressedUserDataSize } from "../../lib/runner/user-data";
import { FAIL, FakeHost } from "../support/fake-host";
import { resourcesOf, synth, testStack } from "../support/synth";
import { deliveredScript, fleetProps, hostFile } from "./fixtures";

// The host script reaches hosts through SSM String parameters and a digest in user data,
// so it no longer fills more than half of EC2's 16 KB of user data.

function built() {
  const stack = testStack();
  const fleet = new RunnerFleet(stack, "fleet", fleetProps(stack));
  return { fleet, json: synth(stack).json };
}

describe("the script's parameters", () => {
  const { fleet, json } = built();
  const parameters = Object.values(resourcesOf(json, "aws_ssm_parameter"));
  const sha256 = createHash("sha256").update(RUNNER_FLEET_SCRIPT).digest("hex");

  test("are Standard-tier String parameters of at most 4096 characters, named by the script's digest, replaced before removal", () => {
    expect(parameters.length).toBe(Math.ceil(Buffer.from(RUNNER_FLEET_SCRIPT).toString("base64").length / SCRIPT_PARAMETER_MAX_CHARS));
    parameters.forEach((p, i) => {
      expect(p).toMatchObject({ type: "String", tier: "Standard", name: scriptParameterName("acme-ci-dev", sha256, i), lifecycle: { create_before_destroy: true } });
      expect(String(p.insecure_value).length).toBeLessThanOrEqual(SCRIPT_PARAMETER_MAX_CHARS);
      expect(p.key_id).toBeUndefined();
    });
  });

  test("hold exactly the script, and user data names them in order with its SHA-256", () => {
    expect(deliveredScript(json)).toBe(RUNNER_FLEET_SCRIPT);
    const env = hostFile(fleet, HOST_PATHS.environment);
    expect(env).toContain(`SCRIPT_SHA256=${sha256}\n`);
    expect(env).toContain(`SCRIPT_PARAMETER_COUNT=${parameters.length}\n`);
    parameters.forEach((p, i) => expect(env).toContain(`SCRIPT_PARAMETER_${i}=${String(p.name)}\n`));
  });

  test("the hosts' role reads exactly these parameters (and writes none)", () => {
    const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).map((p) => JSON.parse(String(p.policy)) as { Statement: Array<{ Action: string[]; Resource: string[] }> });
    const statements = policy.flatMap((p) => p.Statement);
    const scriptArns = statements.flatMap((s) => s.Resource.filter((r) => r.includes(":parameter/runner-fleet/")).map((r) => ({ actions: s.Action, r })));
    expect(scriptArns.map((a) => a.r.replace(/^.*:parameter/, ""))).toEqual(parameters.map((p) => String(p.name)));
    expect(new Set(scriptArns.flatMap((a) => a.actions))).toEqual(new Set(["ssm:GetParameter"]));
    expect(statements.some((s) => s.Action.some((a) => /^ssm:(Put|Delete|Label)/.test(a)))).toBe(false);
  });

  test("a changed script gets new parameter names (hosts booting during an apply read the old ones)", () => {
    const a = encodeHostScript(RUNNER_FLEET_SCRIPT);
    const b = encodeHostScript(`${RUNNER_FLEET_SCRIPT}# changed\n`);
    expect(scriptParameterName("f", a.sha256, 0)).not.toBe(scriptParameterName("f", b.sha256, 0));
  });
});

describe("user data", () => {
  const { fleet } = built();
  const document = parse(fleet.userData) as { write_files: Array<{ path: string }>; runcmd: string[][] };

  test("carries the installer, not the script", () => {
    expect(document.write_files.map((f) => f.path)).toContain(HOST_PATHS.installScript);
    expect(document.write_files.map((f) => f.path)).not.toContain(HOST_PATHS.script);
    expect(fleet.userData).not.toContain("stop_forcefully");
    expect(hostFile(fleet, HOST_PATHS.installScript)).toBe(INSTALL_SCRIPT);
  });

  test("installs the script before any unit that runs it is enabled or the runner package starts it", () => {
    const at = (match: (c: string[]) => boolean) => document.runcmd.findIndex(match);
    const install = at((c) => c[0] === HOST_PATHS.installScript);
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(at((c) => c.includes("enable") && c.includes("runner-fleet-watcher.service")));
    expect(install).toBeLessThan(at((c) => c[0] === "dnf"));
  });

  test(`the typical fleet's user data now uses less than a quarter of EC2's ${USER_DATA_LIMIT_BYTES} bytes (the script alone took more than a third)`, () => {
    expect(compressedUserDataSize(fleet.userData)).toBeLessThan(USER_DATA_LIMIT_BYTES / 4);
    expect(compressedUserDataSize(RUNNER_FLEET_SCRIPT)).toBeGreaterThan(USER_DATA_LIMIT_BYTES / 3);
  });
});

describe("install-runner-fleet on a host", () => {
  const script = "#!/usr/bin/env bash\necho installed\n";
  const { sha256, parts } = encodeHostScript(script, 16);

  function run(host: FakeHost, digest = sha256, attempts = "3") {
    // The installer exactly as user data carries it (comments stripped).
    const installer = host.file("install-runner-fleet", INSTALL_SCRIPT);
    const target = path.join(host.dir, "runner-fleet");
    const env = host.file(
      "fleet.env",
      [`SCRIPT_SHA256=${digest}`, `SCRIPT_PARAMETER_COUNT=${parts.length}`, ...parts.map((_, i) => `SCRIPT_PARAMETER_${i}=/runner-fleet/f/script-x/${i}`), ""].join("\n"),
    );
    host.respond("latest/meta-data/placement/region", "eu-central-1");
    const result = host.run(installer, [], { RUNNER_FLEET_ENV: env, SCRIPT_TARGET: target, SCRIPT_FETCH_ATTEMPTS: attempts, SCRIPT_FETCH_DELAY: "0" });
    return { result, target };
  }

  test("reads every part in order, checks the digest and installs the script executable", () => {
    const host = new FakeHost();
    try {
      host.respond("aws ssm get-parameter", ...parts);
      const { result, target } = run(host);
      expect(result.status).toBe(0);
      expect(readFileSync(target, "utf8")).toBe(script);
      expect(statSync(target).mode & 0o777).toBe(0o755);
      expect(host.calls().filter((c) => c.startsWith("aws"))).toEqual(
        parts.map((_, i) => `aws ssm get-parameter --region eu-central-1 --name /runner-fleet/f/script-x/${i} --query Parameter.Value --output text`),
      );
    } finally {
      host.dispose();
    }
  });

  test("refuses parameters whose script has another digest (nothing is written, no retry)", () => {
    const host = new FakeHost();
    try {
      host.respond("aws ssm get-parameter", ...parts);
      const { result, target } = run(host, "0".repeat(64));
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/not installed/);
      expect(existsSync(target)).toBe(false);
      expect(host.calls().filter((c) => c.startsWith("aws"))).toHaveLength(parts.length);
    } finally {
      host.dispose();
    }
  });

  test("retries while the role's policy propagates, then installs", () => {
    const host = new FakeHost();
    try {
      host.respond("aws ssm get-parameter", FAIL, ...parts);
      const { result, target } = run(host);
      expect(result.status).toBe(0);
      expect(readFileSync(target, "utf8")).toBe(script);
    } finally {
      host.dispose();
    }
  });

  test("gives up after its attempts without writing anything", () => {
    const host = new FakeHost();
    try {
      host.respond("aws ssm get-parameter", FAIL);
      const { result, target } = run(host, sha256, "2");
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/attempt 2 of 2/);
      expect(existsSync(target)).toBe(false);
    } finally {
      host.dispose();
    }
  });
});
