import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { renderEnvironmentFile } from "../../../lib/runner/host-files";
import { AUTOSCALER_MANAGER_SCRIPT, assertHostDocumentShape, managerCloudConfig, type ManagerHostInput } from "../../../lib/runner/autoscaler/manager-user-data";
import { DEFAULT_RUNNER_HOST_VERSIONS, HOST_PATHS } from "../../../lib/runner/user-data";
import { FAIL, FakeHost, HANG } from "../../support/fake-host";

const script = path.resolve(__dirname, "../../../lib/runner/assets/autoscaler-manager.sh");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";

const input: ManagerHostInput = {
  runnerConfigTemplate: "concurrent = 1\n",
  daemonJson: "{}",
  tokenParameterNames: ["/acme-ci/dev/runner/mr/token"],
  autoScalingGroupName: "acme-ci-dev-manager",
  lifecycleHookName: "acme-ci-dev-manager-drain",
  concurrent: 10,
  drainTimeoutSeconds: 3900,
  heartbeatIntervalSeconds: 1950,
  logGroupName: "/gitlab-runner/acme-ci-dev",
  region: "eu-central-1",
  versions: DEFAULT_RUNNER_HOST_VERSIONS,
  architecture: "x86_64",
  sshKeyParameterName: "/acme-ci/dev/worker-ssh-key",
};

test("the environment file provides every setting the key script requires", () => {
  const required = [...AUTOSCALER_MANAGER_SCRIPT.matchAll(/\$\{([A-Z_]+):\?\}/g)].map((m) => m[1]!);
  expect(required).toEqual(["SSH_KEY_PARAMETER", "SSH_KEY_PATH"]);
  const env = managerCloudConfig(input).write_files.find((f) => f.path === HOST_PATHS.environment)!.content;
  expect(required.filter((name) => !env.includes(`${name}=`))).toEqual([]);
});

test("the manager's document drops docker but keeps the runner host's pieces; a changed host document fails loudly", () => {
  const doc = managerCloudConfig(input);
  expect(doc.packages.map((p) => (typeof p === "string" ? p : p[0]))).toEqual(["amazon-ecr-credential-helper", "amazon-cloudwatch-agent", "logrotate"]);
  expect(doc.write_files.map((f) => f.path)).not.toContain(HOST_PATHS.daemonJson);
  expect(doc.runcmd.some((c) => c.includes("docker.service"))).toBe(false);
  expect(() => assertHostDocumentShape({ ...doc, write_files: [] })).toThrow(/no longer writes/);
});

describe("autoscaler-manager fetch-ssh-key", () => {
  let host: FakeHost;
  beforeEach(() => {
    host = new FakeHost().respond("latest/meta-data/placement/region", "eu-central-1");
  });
  afterEach(() => host.dispose());

  const run = () => {
    const keyPath = path.join(host.dir, "fleeting", "worker-ssh-key");
    const env = host.file("fleet.env", renderEnvironmentFile("test", { SSH_KEY_PARAMETER: "/acme-ci/dev/worker-ssh-key", SSH_KEY_PATH: keyPath }));
    return { keyPath, result: host.run(script, ["fetch-ssh-key"], { RUNNER_FLEET_ENV: env, KEY_FETCH_DELAY: "0", KEY_FETCH_ATTEMPTS: "3" }) };
  };

  test("writes the key from SSM, decrypted, with mode 0600, retrying while IAM propagates", () => {
    host.respond("aws ssm get-parameter", FAIL, KEY);
    const { keyPath, result } = run();
    expect(result.status).toBe(0);
    expect(readFileSync(keyPath, "utf8")).toBe(`${KEY}\n`);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(host.calls().filter((c) => c.startsWith("aws"))).toEqual([
      "aws ssm get-parameter --region eu-central-1 --name /acme-ci/dev/worker-ssh-key --with-decryption --query Parameter.Value --output text",
      "aws ssm get-parameter --region eu-central-1 --name /acme-ci/dev/worker-ssh-key --with-decryption --query Parameter.Value --output text",
    ]);
  });

  test("refuses a parameter that holds no private key, and writes nothing", () => {
    host.respond("aws ssm get-parameter", "ssh-ed25519 AAAA public-only");
    const { keyPath, result } = run();
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/does not hold a PEM or OpenSSH private key/);
    expect(existsSync(keyPath)).toBe(false);
  });

  test("fails after the last attempt when SSM keeps refusing", () => {
    host.respond("aws ssm get-parameter", FAIL);
    const { result } = run();
    expect(result.status).not.toBe(0);
    expect(result.stderr.match(/reading \/acme-ci\/dev\/worker-ssh-key failed/g)).toHaveLength(3);
  });
});

test("a hanging SSM read (the AWS CLI retrying) is cut at AWS_CALL_TIMEOUT and retried, so the attempts fit the unit's start timeout", () => {
  const host = new FakeHost().respond("latest/meta-data/placement/region", "eu-central-1").respond("aws ssm get-parameter", HANG(30), KEY);
  try {
    const keyPath = path.join(host.dir, "fleeting", "worker-ssh-key");
    const env = host.file("fleet.env", renderEnvironmentFile("test", { SSH_KEY_PARAMETER: "/acme-ci/dev/worker-ssh-key", SSH_KEY_PATH: keyPath }));
    const started = Date.now();
    const result = host.run(script, ["fetch-ssh-key"], { RUNNER_FLEET_ENV: env, KEY_FETCH_DELAY: "0", KEY_FETCH_ATTEMPTS: "3", AWS_CALL_TIMEOUT: "1" });
    expect(result.status).toBe(0);
    expect((Date.now() - started) / 1000).toBeLessThan(6);
    expect(result.stderr).toMatch(/attempt 1 of 3/);
    expect(readFileSync(keyPath, "utf8")).toBe(`${KEY}\n`);
  } finally {
    host.dispose();
  }
});
