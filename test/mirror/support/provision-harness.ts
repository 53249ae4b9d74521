import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import YAML from "yaml";
import { NexusMirror } from "../../../lib/mirror/nexus-mirror";
import { type NexusProvisioningConfig } from "../../../lib/mirror/nexus-provisioning";
import { type CloudConfigDocument as CloudConfig } from "../../../lib/core/cloud-config";
import { NEXUS_HOST_PATHS } from "../../../lib/mirror/nexus-user-data";
import { testStack } from "../../support/synth";
import { EULA_DISCLAIMER, firstBootState, type NexusStub, type NexusStubState, startNexusStub } from "./nexus-stub";

/**
 * Runs the real provisioning script, exactly as the construct writes it into
 * the cloud-config, with bash against the Nexus stub (127.0.0.1, random port)
 * and a fake `aws` (test/mirror/support/fake-aws.sh) first on PATH.
 */

export const REGION = "eu-central-1";
export const SECRET_ARN = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf";
export const DOCKER_HUB_TOKEN = "dckr_pat_FAKE0123456789abcdef";
export const INITIAL_PASSWORD = "6f1e1d7a-initial-admin-password";
export const PARAMETER = "/acme-ci-prod-mirror/admin-password";

let rendered: { script: string; config: string } | undefined;

/** The script and provision.json from the cloud-config of an example mirror. */
export function renderedFiles(): { script: string; config: string } {
  if (!rendered) {
    const mirror = new NexusMirror(testStack(), "mirror", {
      name: "acme-ci-prod-mirror",
      accountId: "222222222222",
      region: REGION,
      network: { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] },
      dockerHubCredentialSecretArn: SECRET_ARN,
      credentialedAnonymousPull: { reason: "the test token is public-repo read-only" },
      rawProxies: [
        { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" },
        { name: "buildpack-registry", remoteUrl: "https://buildpack-registry.s3.amazonaws.com" },
      ],
    });
    const cloudConfig = YAML.parse(mirror.userData.replace(/^#cloud-config\n/, "")) as CloudConfig;
    const fileAt = (p: string) => cloudConfig.write_files.find((f) => f.path === p)!.content;
    rendered = { script: fileAt(NEXUS_HOST_PATHS.provisionScript), config: fileAt(NEXUS_HOST_PATHS.provisionConfig) };
  }
  return rendered;
}

/** The outcome of one run. */
export interface Run {
  readonly code: number;
  readonly log: string;
}

/** A scratch directory with the script, its config, a data dir, the fake aws and its state. */
export class ProvisionHarness {
  public readonly dir = mkdtempSync(path.join(tmpdir(), "nexus-provision-"));
  public stub?: NexusStub;
  private readonly awsDir = path.join(this.dir, "aws");
  public readonly dataDir = path.join(this.dir, "nexus-data");

  public constructor() {
    const { script, config } = renderedFiles();
    for (const d of ["bin", "nexus-data", "aws/parameters", "aws/secrets"]) mkdirSync(path.join(this.dir, d), { recursive: true });
    writeFileSync(path.join(this.dir, "nexus-provision"), script);
    writeFileSync(path.join(this.dir, "provision.json"), config);
    writeFileSync(path.join(this.dataDir, "admin.password"), INITIAL_PASSWORD);
    copyFileSync(path.join(__dirname, "fake-aws.sh"), path.join(this.dir, "bin", "aws"));
    chmodSync(path.join(this.dir, "bin", "aws"), 0o755);
    writeFileSync(path.join(this.awsDir, "region"), REGION);
    this.setSecret({ username: "ci-bot", accessToken: DOCKER_HUB_TOKEN });
  }

  /** Sets the Docker Hub credential secret of the fake. */
  public setSecret(value: Record<string, string>): void {
    writeFileSync(path.join(this.awsDir, "secrets", SECRET_ARN.replace(/[/:]/g, "%")), JSON.stringify(value));
  }

  /** The desired state the script reads. */
  public get config(): NexusProvisioningConfig {
    return JSON.parse(readFileSync(path.join(this.dir, "provision.json"), "utf8")) as NexusProvisioningConfig;
  }

  public get adminPasswordFile(): string {
    return path.join(this.dataDir, "admin.password");
  }

  /** An SSM parameter of the fake, or undefined. */
  public parameter(name: string): string | undefined {
    const file = path.join(this.awsDir, "parameters", name.replace(/\//g, "%"));
    return existsSync(file) ? readFileSync(file, "utf8") : undefined;
  }

  public setParameter(name: string, value: string): void {
    writeFileSync(path.join(this.awsDir, "parameters", name.replace(/\//g, "%")), value);
  }

  /** The argument lists of every fake aws call so far. */
  public awsCalls(): string[] {
    const file = path.join(this.awsDir, "calls.log");
    return existsSync(file) ? readFileSync(file, "utf8").trim().split("\n") : [];
  }

  public async start(state: NexusStubState): Promise<NexusStubState> {
    this.stub = await startNexusStub(state);
    return state;
  }

  /** A Nexus on first boot: admin.password present, EULA unaccepted, nothing configured. */
  public firstBoot(): Promise<NexusStubState> {
    return this.start(firstBootState(this.adminPasswordFile, INITIAL_PASSWORD));
  }

  /** A Nexus the script has converged before (password in SSM, admin.password gone). */
  public converged(): Promise<NexusStubState> {
    const password = "Converged0Password0From0Ssm0123456789abc";
    this.setParameter(PARAMETER, password);
    rmSync(this.adminPasswordFile);
    const state = firstBootState(this.adminPasswordFile, password);
    state.notReadyCount = 0;
    state.eula = { disclaimer: EULA_DISCLAIMER, accepted: true };
    state.realms = [...this.config.realms];
    state.anonymous = { ...this.config.anonymous };
    for (const policy of this.config.cleanupPolicies) state.cleanupPolicies!.set(policy.name, { ...policy, inUseCount: 1 });
    for (const repo of this.config.repositories) {
      const body = JSON.parse(JSON.stringify(repo.body)) as Record<string, Record<string, unknown>>;
      if (repo.credentialSecretArn) body.httpClient!.authentication = { type: "username", username: "ci-bot", password: DOCKER_HUB_TOKEN };
      state.repositories.set(repo.name, { format: repo.format, type: repo.type, body });
    }
    this.config.tasks.forEach((t, i) => state.tasks.push({ id: `task-${i}`, name: t.name, type: t.type, body: { ...t } }));
    return this.start(state);
  }

  /** Runs the script once (bounded: 20 s timeout, Nexus wait 10 s, polling every 0.05 s). */
  public provision(env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        "bash",
        [path.join(this.dir, "nexus-provision")],
        {
          timeout: 20_000,
          env: {
            ...process.env,
            PATH: `${path.join(this.dir, "bin")}:${process.env.PATH}`,
            NEXUS_URL: this.stub!.url,
            NEXUS_DATA: this.dataDir,
            NEXUS_PROVISION_CONFIG: path.join(this.dir, "provision.json"),
            NEXUS_WAIT_SECONDS: "10",
            NEXUS_POLL_SECONDS: "0.05",
            FAKE_AWS_DIR: this.awsDir,
            ...env,
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, log: stdout + stderr }),
      );
    });
  }

  public async close(): Promise<void> {
    await this.stub?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The requests of a run that change something (anything but GET). */
export function changingRequests(state: NexusStubState): string[] {
  return state.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
}
