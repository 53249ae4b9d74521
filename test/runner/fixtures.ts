import { type Construct } from "constructs";
import { parse } from "yaml";
import { type RunnerCacheSettings } from "../../lib/cache/runner-cache-settings";
import { type IGrantable } from "../../lib/core/iam";
import { ExistingRunnerTokenParameter } from "../../lib/gitlab/existing-runner-token";
import { type MirrorEndpoint } from "../../lib/mirror/mirror-endpoint";
import { ExistingNetwork } from "../../lib/network/existing-network";
import { RunnerFleet, type RunnerCacheAccess, type RunnerFleetProps } from "../../lib/runner/fleet";
import { ContainerRepository } from "../../lib/registry/repository";
import { resourcesOf, type SynthJson, testStack } from "../support/synth";

export const cacheSettings: RunnerCacheSettings = {
  bucketName: "acme-ci-dev-runner-cache",
  bucketRegion: "eu-central-1",
  serverAddress: "s3.eu-central-1.amazonaws.com",
  path: "gitlab-runner",
  shared: true,
  serverSideEncryption: "S3",
};

/** A stand-in for the cache bucket construct (cache/mirror issue): settings plus a bucket-scoped grant. */
export const fakeCache: RunnerCacheAccess = {
  settings: cacheSettings,
  grantReadWrite(grantee: IGrantable) {
    grantee.addToPrincipalPolicy({ actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::acme-ci-dev-runner-cache"] });
    grantee.addToPrincipalPolicy({
      actions: ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
      resources: ["arn:aws:s3:::acme-ci-dev-runner-cache/gitlab-runner/*"],
    });
  },
};

/** A Nexus-style mirror: plain HTTP docker group on 8082, raw proxy on 8081. */
export const fakeMirror: MirrorEndpoint = {
  registryMirrors: ["http://10.0.1.10:8082"],
  insecureRegistries: ["10.0.1.10:8082"],
  imagePrefixes: { "registry.gitlab.com": "10.0.1.10:8082/" },
  helperImage: "10.0.1.10:8082/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v${CI_RUNNER_VERSION}",
  // As NexusMirror and EcrPullThroughMirror give it: fleets add their architecture's tag.
  helperImageRepository: "10.0.1.10:8082/gitlab-org/gitlab-runner/gitlab-runner-helper",
  rawProxyUrls: { buildpacks: "http://10.0.1.10:8081/repository/buildpacks" },
  securityGroupId: "sg-0123456789abcdef0",
};

export const network = new ExistingNetwork("fixture/network", {
  vpcId: "vpc-0123456789abcdef0",
  privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
  vpcCidr: "10.0.0.0/16",
});

export const token = (name: string) =>
  new ExistingRunnerTokenParameter(`fixture/${name}`, {
    parameterName: `/acme-ci/dev/runner/${name}/token`,
    accountId: "111111111111",
    region: "eu-central-1",
  });

/** The props of a typical fleet: a socket-binding build runner and a plain test runner. */
export function fleetProps(scope: Construct, patch: Partial<RunnerFleetProps> = {}): RunnerFleetProps {
  const app = new ContainerRepository(scope, "app-repository", { repositoryName: "acme/dev/app" });
  return {
    fleetName: "acme-ci-dev",
    network,
    gitlabUrl: "https://gitlab.example.com",
    runners: [
      { name: "build", tokenSource: token("build"), limit: 4, docker: { image: "docker:27", dockerAccess: "socket-binding" } },
      { name: "test", tokenSource: token("test"), limit: 2, docker: { image: "alpine:3.20", dockerAccess: "none" } },
    ],
    repositories: [app],
    ...patch,
  };
}

/** A fleet whose inputs are all literal, so its user data is exactly what a host receives. */
export function literalFleet(): RunnerFleet {
  const stack = testStack();
  const repositories = [{ registryHost: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", grantPull: () => [] }];
  const base = fleetProps(stack, { cache: fakeCache, mirror: fakeMirror, repositories });
  const runners = base.runners.map((r, i) => (i === 0 ? { ...r, writeStaticDockerAuthForJobs: true } : r));
  return new RunnerFleet(stack, "fleet", { ...base, runners });
}


/** The content of the file that a fleet's cloud-config writes to `hostPath`. */
export function hostFile(fleet: RunnerFleet, hostPath: string): string {
  const document = parse(fleet.userData) as { write_files: Array<{ path: string; content: string }> };
  const file = document.write_files.find((f) => f.path === hostPath);
  if (!file) throw new Error(`user data writes no ${hostPath}`);
  return file.content;
}

/**
 * The host script as a host installs it: the values of the synthesized `aws_ssm_parameter`s
 * of the script, joined in part order and base64-decoded (what install-runner-fleet does).
 */
export function deliveredScript(json: SynthJson): string {
  const parts = Object.values(resourcesOf(json, "aws_ssm_parameter"))
    .filter((p) => /\/script-[0-9a-f]{12}\/\d+$/.test(String(p.name)))
    .sort((a, b) => Number(String(a.name).split("/").pop()) - Number(String(b.name).split("/").pop()));
  return Buffer.from(parts.map((p) => String(p.insecure_value)).join(""), "base64").toString("utf8");
}
