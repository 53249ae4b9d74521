import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput, TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { ContainerRepository } from "../lib/registry/repository";
import { TagScheme } from "../lib/registry/tag-scheme";
import { type EnvironmentConfig, type PlatformConfig, protectsData, repositoryPrefixOf } from "./config";
import { EnvironmentIdentity } from "./environment-identity";
import { addGitLabSide, type GitLabSide } from "./gitlab-side";

/** Everything one environment owns: its registries (and, later, identities, runners, cache, mirror, GitLab side). */
export class EnvironmentStack extends TerraformStack {
  /** The environment's tag scheme, shared by lifecycle rules, CI templates and variables. */
  public readonly tagScheme: TagScheme;
  /** Repositories by config id. */
  public readonly repositories: ReadonlyMap<string, ContainerRepository>;
  // --- Identity (issue 3) ---
  /** CI identities: OIDC build/merge-request/pull roles, deployment role, runner host role, static credentials. */
  public readonly identity: EnvironmentIdentity;

  // ---- GitLab side (issue 6) ----
  /** Runner registrations, group CI/CD variables, published templates and toolbox project. */
  public readonly gitlab: GitLabSide;

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
        preventDestroy: protectsData(env, env.registry.preventDestroy),
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

    // --- Identity (issue 3) ---
    this.identity = new EnvironmentIdentity(this, "identity", { platform, env, repositories });

    // ---- GitLab side (issue 6) ----
    this.gitlab = addGitLabSide(this, platform, env, { tagScheme: this.tagScheme, repositories }, this.identity);
  }
}
