import { type Construct } from "constructs";
import { type IGrantable } from "../../../lib/core/iam";
import { type RunnerCacheAccess } from "../../../lib/runner/fleet";
import { parse } from "yaml";
import { ExistingNetwork } from "../../../lib/network/existing-network";
import { DockerAutoscalerFleet } from "../../../lib/runner/autoscaler/docker-autoscaler-fleet";
import { type AutoscalerRunnerDefinition, type DockerAutoscalerFleetProps, officeHoursPolicies } from "../../../lib/runner/autoscaler/fleet-props";
import { testStack } from "../../support/synth";
import { cacheSettings, fakeCache, fakeMirror, token } from "../fixtures";

/** The cache bucket's prefix for one trust level (as the tenancy model's cachePathOf gives it). */
export function cacheAt(path: string): RunnerCacheAccess {
  return {
    settings: { ...cacheSettings, path },
    grantReadWrite(grantee: IGrantable) {
      grantee.addToPrincipalPolicy({ actions: ["s3:ListBucket"], resources: [`arn:aws:s3:::${cacheSettings.bucketName}`] });
      grantee.addToPrincipalPolicy({ actions: ["s3:DeleteObject", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"], resources: [`arn:aws:s3:::${cacheSettings.bucketName}/${path}/*`] });
    },
  };
}

/** A private network with a NAT gateway: the EC2 Instance Connect API is reachable. */
export const natNetwork = new ExistingNetwork("fixture/network", {
  vpcId: "vpc-0123456789abcdef0",
  privateSubnetIds: ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
  vpcCidr: "10.0.0.0/16",
  reachesEc2InstanceConnectApi: true,
});

/** A single-use pool for merge requests and a reused pool for protected refs (each in a fleet of its own). */
export const mrRunner: AutoscalerRunnerDefinition = {
  name: "mr",
  trustLevel: "unprotected",
  tokenSource: token("mr"),
  maxInstances: 10,
  cache: cacheAt("gitlab-runner/unprotected"),
  docker: { image: "docker:27", dockerAccess: "socket-binding" },
  policies: officeHoursPolicies({ timeZone: "Europe/Berlin", idleCount: 2 }),
};
export const protectedRunner: AutoscalerRunnerDefinition = {
  name: "protected",
  trustLevel: "protected",
  tokenSource: token("protected"),
  maxInstances: 4,
  capacityPerInstance: 2,
  cache: cacheAt("gitlab-runner/protected"),
  docker: { image: "alpine:3.20", dockerAccess: "none" },
  policies: [{ timeZone: "UTC", idleCount: 2, idleTimeSeconds: 1800 }],
};

/** A second single-use pool of the same trust level (forks), so the default fleet serves one trust level. */
export const forkRunner: AutoscalerRunnerDefinition = {
  name: "fork",
  trustLevel: "unprotected",
  tokenSource: token("fork"),
  maxInstances: 4,
  cache: cacheAt("gitlab-runner/unprotected"),
  docker: { image: "alpine:3.20", dockerAccess: "none" },
  policies: [{ timeZone: "UTC", idleCount: 0, idleTimeSeconds: 600 }],
};

/** Props of a typical fleet (one trust level: a manager's pulls and credHelpers are fleet-wide). */
export function autoscalerProps(patch: Partial<DockerAutoscalerFleetProps> = {}): DockerAutoscalerFleetProps {
  return {
    fleetName: "acme-ci-dev",
    network: natNetwork,
    gitlabUrl: "https://gitlab.example.com",
    runners: [mrRunner, forkRunner],
    repositories: [{ registryHost: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", grantPull: () => [] }],
    cache: fakeCache,
    mirror: fakeMirror,
    ...patch,
  };
}

/** A fleet in a fresh stack. */
export function autoscalerFleet(patch: Partial<DockerAutoscalerFleetProps> = {}, scope?: Construct): DockerAutoscalerFleet {
  return new DockerAutoscalerFleet(scope ?? testStack(), "autoscaler", autoscalerProps(patch));
}

/** The content of the file a cloud-config writes to `hostPath`. */
export function writtenFile(userData: string, hostPath: string): string {
  const document = parse(userData) as { write_files: Array<{ path: string; content: string }> };
  const file = document.write_files.find((f) => f.path === hostPath);
  if (!file) throw new Error(`user data writes no ${hostPath}`);
  return file.content;
}
