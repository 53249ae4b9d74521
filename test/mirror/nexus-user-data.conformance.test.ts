import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import YAML from "yaml";
import { NexusMirror, type NexusMirrorProps } from "../../lib/mirror/nexus-mirror";
import { type CloudConfigDocument as CloudConfig } from "../../lib/core/cloud-config";
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
// Every optional part of the cloud-config at once (credentials, raw proxies, own connectors):
// the defaults render a subset of the same structure.
const full: NexusMirrorProps = {
  ...base,
  dockerHubCredentialSecretArn: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf",
  credentialedAnonymousPull: { reason: "the test token's access is Public Repo Read-only" },
  dockerProxyPorts: { dockerHub: 8083, gitlab: 8084 },
  rawProxies: [
    { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" },
    { name: "buildpack-registry", remoteUrl: "https://buildpack-registry.s3.amazonaws.com" },
    { name: "lang-jvm", remoteUrl: "https://lang-jvm.s3.amazonaws.com" },
  ],
};
const userData = new NexusMirror(testStack(), "mirror", full).userData;
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
    test("passes `cloud-init schema`", () => {
      const run = runTool("cloud-init", ["schema", "--config-file", write("user-data.yaml", userData)]);
      expect({ status: run.status, output: (run.stdout + run.stderr).trim() }).toEqual({ status: 0, output: expect.stringMatching(/^Valid cloud-config: /) });
    });

    test("a broken cloud-config fails `cloud-init schema` (the check can fail)", () => {
      const broken = userData.replace(/^packages:\n(?:  - .*\n)+/m, "packages: 5\n");
      expect(broken).not.toBe(userData);
      const run = runTool("cloud-init", ["schema", "--config-file", write("broken.yaml", broken)]);
      expect(run.status).not.toBe(0);
      expect(run.stdout + run.stderr).toMatch(/packages: 5 is not of type 'array'/);
    });
  },
  ["--version"],
);

describeWithTool("shellcheck", "scripts in the mirror host's cloud-config", () => {
  const scripts = (YAML.parse(userData.replace(/^#cloud-config\n/, "")) as CloudConfig).write_files
    .filter((f) => f.content.startsWith("#!"))
    .map((f) => [f.path, f.content] as const);

  test("the cloud-config carries the data-volume, provisioning and disk metric scripts", () => {
    expect(scripts.map(([name]) => name)).toEqual(["/usr/local/sbin/nexus-data-volume", "/usr/local/sbin/nexus-provision", "/usr/local/sbin/nexus-disk-metric"]);
  });

  test.each(scripts)("%s passes shellcheck", (name, content) => {
    const run = runTool("shellcheck", ["--severity=style", "--shell=bash", write(name, content)]);
    expect({ name, status: run.status, output: run.stdout + run.stderr }).toEqual({ name, status: 0, output: "" });
  });
});
