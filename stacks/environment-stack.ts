import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { ContainerRepository } from "../lib/registry/repository";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, type PlatformConfig, repositoryPrefixOf } from "./config";
// Runner fleet (issue 4) imports.
import { ExistingRunnerTokenParameter } from "../lib/gitlab/existing-runner-token";
import { ExistingNetwork } from "../lib/network/existing-network";
import { Network } from "../lib/network/network";
import { type NetworkRef } from "../lib/network/network-ref";
import { RunnerFleet } from "../lib/runner/fleet";
import { officeHours } from "../lib/runner/schedule";
import { runnerFleetName, runnerTokenParameterName } from "./config";

/** Everything one environment owns: its registries (and, later, identities, runners, cache, mirror, GitLab side). */
export class EnvironmentStack extends TerraformStack {
  /** The environment's tag scheme, shared by lifecycle rules, CI templates and variables. */
  public readonly tagScheme: TagScheme;
  /** Repositories by config id. */
  public readonly repositories: ReadonlyMap<string, ContainerRepository>;
  // ---- Runner fleet (issue 4) ----
  /** The runner hosts' network, when the environment has runners. */
  public readonly network?: NetworkRef;
  /** The runner fleet, when the environment has runners. */
  public readonly runnerFleet?: RunnerFleet;

  public constructor(scope: Construct, id: string, platform: PlatformConfig, env: EnvironmentConfig) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: env.region,
      allowedAccountIds: [env.accountId],
      defaultTags: [{ tags: { platform: platform.project, environment: env.name, "managed-by": "cdktf" } }],
    });

    this.tagScheme = new TagScheme(`${this.node.path}/tagScheme`, env.registry.tagScheme);
    const prefix = repositoryPrefixOf(env);
    const repositories = new Map<string, ContainerRepository>();
    for (const repo of env.registry.repositories) {
      const repository = new ContainerRepository(this, `repository-${repo.id}`, {
        repositoryName: `${prefix}/${repo.id}`,
        tagScheme: this.tagScheme,
        preventDestroy: env.production ?? false,
        ...(repo.catchAllRetention ? { catchAllRetention: repo.catchAllRetention } : {}),
        tags: { description: repo.description.slice(0, 256) },
      });
      repositories.set(repo.id, repository);
      new TerraformOutput(this, `repository-url-${repo.id}`, {
        staticId: true,
        value: repository.repositoryUrl,
        description: repo.description,
      });
    }
    this.repositories = repositories;

    // ---- Runner fleet (issue 4) ----
    const runners = env.runners;
    if (runners) {
      const configPath = `config/environments/${env.name}/runners`;
      const network = runners.network;
      this.network =
        network && "existing" in network
          ? new ExistingNetwork(`${configPath}/network`, network.existing)
          : new Network(this, "network", { name: runnerFleetName(platform, env), ...network });
      this.runnerFleet = new RunnerFleet(this, "runner-fleet", {
        fleetName: runnerFleetName(platform, env),
        network: this.network,
        gitlabUrl: env.gitlab.url,
        runners: runners.runners.map((runner) => ({
          name: runner.name,
          limit: runner.limit,
          // The GitLab issue's registration construct replaces this importer at merge.
          tokenSource: new ExistingRunnerTokenParameter(`${configPath}/${runner.name}`, {
            parameterName: runnerTokenParameterName(platform, env, runner),
            accountId: env.accountId,
            region: env.region,
          }),
          docker: { image: runner.image, dockerAccess: runner.dockerAccess, privileged: runner.privileged ?? false },
        })),
        repositories: [...repositories.values()],
        ...(runners.instanceTypes ? { instanceTypes: runners.instanceTypes } : {}),
        ...(runners.capacity ? { capacity: runners.capacity } : {}),
        ...(runners.purchase ? { purchase: runners.purchase } : {}),
        ...(runners.officeHours ? { schedules: officeHours(runners.officeHours) } : {}),
        ...(runners.maxJobTimeoutSeconds ? { maxJobTimeoutSeconds: runners.maxJobTimeoutSeconds } : {}),
        ...(runners.imageStorageGiB ? { imageStorageGiB: runners.imageStorageGiB } : {}),
      });
    }
  }
}
