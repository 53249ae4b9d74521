import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import YAML from "yaml";
import { NexusMirror, type NexusMirrorProps } from "../../lib/mirror/nexus-mirror";
import { type CloudConfig } from "../../lib/mirror/nexus-user-data";
import { describeWithTool, runTool } from "../support/conformance";
import { testStack } from "../support/synth";

// The mirror host's user data, fed to the real tools: cloud-init's own schema
// validation, and shellcheck on every script the cloud-config writes.

const base: NexusMirrorProps = {
  name: "acme-mirror",
  accountId: "222222222222",
  region: "eu-central-1",
  network: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] },
};
const variants: Record<string, Partial<NexusMirrorProps>> = {
  defaults: {},
  "credentials, raw proxies and own connectors": {
    dockerHubCredentialSecretArn: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf",
    dockerProxyPorts: { dockerHub: 8083, gitlab: 8084 },
    rawProxies: [
      { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" },
      { name: "buildpack-registry", remoteUrl: "https://buildpack-registry.s3.amazonaws.com" },
      { name: "lang-jvm", remoteUrl: "https://lang-jvm.s3.amazonaws.com" },
    ],
  },
};
const userData = Object.fromEntries(Object.entries(variants).map(([name, props]) => [name, new NexusMirror(testStack(), "mirror", { ...base, ...props }).userData]));
const dir = mkdtempSync(path.join(tmpdir(), "nexus-user-data-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = path.join(dir, name.replace(/[^a-z0-9.-]+/gi, "-"));
  writeFileSync(file, content);
  return file;
}

describeWithTool(
  "cloud-init",
  "the mirror host's cloud-config",
  () => {
    test.each(Object.keys(variants))("%s: passes `cloud-init schema`", (variant) => {
      const run = runTool("cloud-init", ["schema", "--config-file", write(`${variant}.yaml`, userData[variant]!)]);
      expect({ status: run.status, output: (run.stdout + run.stderr).trim() }).toEqual({ status: 0, output: expect.stringMatching(/^Valid cloud-config: /) });
    });

    test("a broken cloud-config fails `cloud-init schema` (the check can fail)", () => {
      const broken = userData.defaults!.replace(/^packages:\n(?:  - .*\n)+/m, "packages: 5\n");
      expect(broken).not.toBe(userData.defaults);
      const run = runTool("cloud-init", ["schema", "--config-file", write("broken.yaml", broken)]);
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).toMatch(/packages: 5 is not of type 'array'/);
    });
  },
  ["--version"],
);

describeWithTool("shellcheck", "scripts in the mirror host's cloud-config", () => {
  // The scripts do not depend on the props (their input is provision.json), so one variant covers them.
  const scripts = (YAML.parse(userData.defaults!.replace(/^#cloud-config\n/, "")) as CloudConfig).write_files
    .filter((f) => f.content.startsWith("#!"))
    .map((f) => [f.path, f.content] as const);

  test("the cloud-config carries the data-volume and provisioning scripts, the same in every variant", () => {
    expect(scripts.map(([name]) => name)).toEqual(["/usr/local/sbin/nexus-data-volume", "/usr/local/sbin/nexus-provision"]);
    for (const [, content] of scripts) expect(userData["credentials, raw proxies and own connectors"]).toContain(content.split("\n")[1]);
  });

  test.each(scripts)("%s passes shellcheck", (name, content) => {
    const run = runTool("shellcheck", ["--severity=style", "--shell=bash", write(name, content)]);
    expect({ name, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, status: 0, output: "" });
  });
});
