/*
 * The registry mirror of one environment's platform: an ECR pull-through mirror over the
 * account's pull-through cache rules, or a Nexus host, with the platform's mirror outputs.
 * GitLabCiPlatform calls it with itself as the scope, so construct ids (`mirror`), output ids
 * and error paths are the platform's.
 */
import { TerraformOutput } from "cdktf";
import { type Construct } from "constructs";
import { check } from "../core/errors";
import { EcrPullThroughMirror, type PullThroughCacheRuleSource } from "../mirror/ecr-pull-through-mirror";
import { NexusMirror } from "../mirror/nexus-mirror";
import { type NetworkRef } from "../network/network-ref";
import { architectureOfInstanceType } from "../runner/architecture";
import { type RunnerHostArchitecture } from "../runner/user-data";
import { type SecretsKey } from "../secrets/secrets-key";
import { type EnvironmentConfig, type NexusMirrorConfig, type PlatformInfo } from "./config";

/** What {@link buildPlatformMirror} reads. */
export interface PlatformMirrorProps {
  /** The project (names the Nexus host). */
  readonly platform: PlatformInfo;
  /** The environment; its `mirror` section chooses the mirror. */
  readonly env: EnvironmentConfig;
  /**
   * The account's pull-through cache rules (an ECR pull-through mirror reuses them).
   * @default none: an ECR pull-through mirror is refused
   */
  readonly registrySettings?: PullThroughCacheRuleSource;
  /**
   * The runners' network, where a Nexus host without `mirror.network` joins.
   * @default none: a Nexus mirror without `mirror.network` is refused
   */
  readonly network?: NetworkRef;
  /**
   * The environment's SSM SecureString key (encrypts the Nexus admin password parameter).
   * @default none
   */
  readonly secretsKey?: SecretsKey;
}

/**
 * Builds the environment's registry mirror under `scope` (construct id `mirror`) and its outputs
 * (`mirror-image-prefixes`, `mirror-registry-mirrors`; for Nexus also `mirror-url` and
 * `mirror-admin-password-parameter`).
 * @returns undefined when the environment configures no `mirror`
 * @throws ValidationError naming `<scope>/mirror` when an ECR pull-through mirror has no
 *   `registrySettings` or a Nexus mirror has no network
 */
export function buildPlatformMirror(scope: Construct, props: PlatformMirrorProps): NexusMirror | EcrPullThroughMirror | undefined {
  const mirror = mirrorOf(scope, props);
  if (mirror) {
    new TerraformOutput(scope, "mirror-image-prefixes", {
      staticId: true,
      value: mirror.endpoint.imagePrefixes,
      description: "Image-name prefixes that pull through the mirror, by upstream registry",
    });
    new TerraformOutput(scope, "mirror-registry-mirrors", {
      staticId: true,
      value: mirror.endpoint.registryMirrors,
      description: "Docker Hub registry mirrors for daemon.json (none for an ECR pull-through mirror: use the image prefixes)",
    });
  }
  if (mirror instanceof NexusMirror) {
    new TerraformOutput(scope, "mirror-url", { staticId: true, value: mirror.url, description: "Nexus UI and REST API" });
    new TerraformOutput(scope, "mirror-admin-password-parameter", {
      staticId: true,
      value: mirror.adminPasswordParameterName,
      description: "SSM parameter the mirror host writes its admin password to (never in Terraform state)",
    });
  }
  return mirror;
}

/** The registry mirror: an ECR pull-through mirror over the account's rules, or a Nexus host. */
function mirrorOf(scope: Construct, props: PlatformMirrorProps): NexusMirror | EcrPullThroughMirror | undefined {
  const { platform, env, registrySettings } = props;
  const mirror = env.mirror;
  if (mirror === undefined) return undefined;
  if (mirror.kind === "ecr-pull-through") {
    check(registrySettings !== undefined, {
      path: `${scope.node.path}/mirror`,
      subject: "registry settings",
      value: undefined,
      rule: "an ECR pull-through mirror reuses the pull-through cache rules of the environment's account and region",
      fix: "pass registrySettings (the account's RegistrySettings; with EnvironmentStack, pass the AccountStack, as buildPlatform does)",
    });
    return new EcrPullThroughMirror(scope, "mirror", {
      registry: registrySettings,
      accountId: env.accountId,
      region: env.region,
      ...(mirror.prefixes ? { prefixes: mirror.prefixes } : {}),
      runnerArchitecture: runnerArchitectureOf(env),
    });
  }
  return new NexusMirror(scope, "mirror", {
    name: `${platform.project}-${env.name}-mirror`,
    accountId: env.accountId,
    region: env.region,
    network: mirrorNetworkOf(scope, mirror, props.network),
    ...(mirror.instanceType ? { instanceType: mirror.instanceType } : {}),
    dataVolume: {
      ...(mirror.dataVolumeSizeGiB !== undefined ? { sizeGiB: mirror.dataVolumeSizeGiB } : {}),
      ...(mirror.snapshotRetentionCount !== undefined ? { snapshotRetentionCount: mirror.snapshotRetentionCount } : {}),
    },
    ...(mirror.adminCidr ? { adminCidr: mirror.adminCidr } : {}),
    ...(mirror.dockerHubCredentialSecretArn ? { dockerHubCredentialSecretArn: mirror.dockerHubCredentialSecretArn } : {}),
    ...(mirror.credentialedAnonymousPull ? { credentialedAnonymousPull: mirror.credentialedAnonymousPull } : {}),
    ...(mirror.rawProxies ? { rawProxies: mirror.rawProxies } : {}),
    ...(mirror.dnsZoneName ? { dns: { zoneName: mirror.dnsZoneName } } : {}),
    ...(props.secretsKey ? { adminPasswordSecretsKey: props.secretsKey } : {}),
    runnerArchitecture: runnerArchitectureOf(env),
  });
}

/** The Nexus host's network: its own, or the runners' (so the fleet reaches it without peering). */
function mirrorNetworkOf(scope: Construct, mirror: NexusMirrorConfig, runnerNetwork: NetworkRef | undefined): NetworkRef {
  const network = mirror.network ?? runnerNetwork;
  check(network !== undefined, {
    path: `${scope.node.path}/mirror`,
    subject: "network",
    value: undefined,
    rule: "a Nexus mirror host needs a network: its own, or the environment's runner network",
    fix: "give mirror.network, or add a runners section",
  });
  return network;
}

/** The CPU architecture of an environment's runner hosts (the fleet refuses mixed types itself). */
function runnerArchitectureOf(env: EnvironmentConfig): RunnerHostArchitecture {
  const first = env.runners?.instanceTypes?.[0];
  return first === undefined ? "x86_64" : architectureOfInstanceType(first);
}
