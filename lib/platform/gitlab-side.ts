import { DataGitlabGroup } from "@cdktf/provider-gitlab/lib/data-gitlab-group";
import { DataGitlabProject } from "@cdktf/provider-gitlab/lib/data-gitlab-project";
import { Annotations, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { CiTemplatesProject } from "../gitlab/ci-templates-project";
import { type CiVariableOptions, CiVariables } from "../gitlab/ci-variable";
import { DockerAuthConfig } from "../gitlab/docker-auth-config";
import { ExistingRunnerTokenParameter } from "../gitlab/existing-runner-token";
import { RegistryDeployToken } from "../gitlab/gitlab-registry";
import { platformCiTemplates } from "../gitlab/platform-templates";
import { platformVariables } from "../gitlab/platform-variables";
import { ProtectedRefs, type ProtectedRefsProps } from "../gitlab/protected-refs";
import { RunnerRegistration } from "../gitlab/runner-registration";
import { type RunnerTokenSource } from "../gitlab/runner-token-source";
import { ToolboxImageProject } from "../gitlab/toolbox-project";
import { type CiAwsAccess } from "../identity/ci-access";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type ContainerRepository } from "../registry/repository";
import { type TagScheme } from "../registry/tag-scheme";
import { check } from "../core/errors";
import { type EnvironmentConfig, type PlatformInfo, runnersOf } from "./config";
import { type PoolRunner, runnerPoolsOf } from "./runner-pools";
import { unprotectedRunnerTagVariables } from "./job-routing";
import { registryHostOf, tenantsOf } from "./tenancy";
import { tenantVariables } from "./tenant-variables";
import { variablesAreProtected } from "./input-checks";
import { type ISecretsKey } from "../secrets/secrets-key-ref";

/** What the GitLab side of an environment exposes. */
export interface GitLabSide {
  /** Runner token sources by runner name (consumed by the runner fleets). */
  readonly runnerTokens: ReadonlyMap<string, RunnerTokenSource>;
  /** The group CI/CD variables. */
  readonly variables: CiVariables;
  /** The keys of the group CI/CD variables, in creation order (no values: some are secrets). */
  readonly variableNames: readonly string[];
  /** Each tenant's project CI/CD variables (image URLs, role ARNs, audience), by tenant name. */
  readonly projectVariables: ReadonlyMap<string, CiVariables>;
  /** OIDC access the variables point jobs at. */
  readonly ciAwsAccess: CiAwsAccess;
  /**
   * The published templates.
   * @default none, unless the environment configures `gitlab.ciTemplates`
   */
  readonly templates?: CiTemplatesProject;
  /**
   * The toolbox project.
   * @default none, unless the environment configures `gitlab.toolboxProject`
   */
  readonly toolbox?: ToolboxImageProject;
}

/** Props of {@link EnvironmentGitLabSide}. */
export interface EnvironmentGitLabSideProps {
  /** The project (its name prefixes runner descriptions, token parameters and deploy token names). */
  readonly platform: PlatformInfo;
  /** The environment: its `gitlab` section, name, account and region. */
  readonly environment: EnvironmentConfig;
  /** The tag scheme the CI templates and the toolbox project push with. */
  readonly tagScheme: TagScheme;
  /** The environment's repositories by config id (image roles and the registry host come from them). */
  readonly repositories: ReadonlyMap<string, ContainerRepository>;
  /**
   * The OIDC roles the variables point jobs at: `build` (protected refs) and `buildMergeRequest`
   * (any branch; none in an environment without an unprotected runner pool).
   */
  readonly identity: { readonly build: { readonly ciAccess: CiAwsAccess }; readonly buildMergeRequest?: { readonly ciAccess: CiAwsAccess } };
  /**
   * The registry mirror the variables publish (image prefixes, Docker Hub mirror, raw proxy URLs).
   * @default none
   */
  readonly mirror?: MirrorEndpoint;
  /**
   * ARN of the customer-managed KMS key the runner token parameters are encrypted with;
   * readers get an IAM `kms:Decrypt` on it, and the key policy must name them.
   * @deprecated pass `secretsKey`: the tokens' `grantRead` then also names each reader in its key policy.
   * @default the AWS-managed `aws/ssm` key
   */
  readonly secretsKeyArn?: string;
  /**
   * The customer-managed key the runner token parameters are encrypted with (the platform's
   * `SecretsKey`): each token's `grantRead` names the reader in the key policy.
   * @default the AWS-managed `aws/ssm` key (or `secretsKeyArn`)
   */
  readonly secretsKey?: ISecretsKey;
  /**
   * The refs the CI roles trust, to protect in GitLab (or check at plan time): see {@link ProtectedRefs}.
   * @default none
   */
  readonly protectedRefs?: ProtectedRefsProps;
  /**
   * Path of the GitLab project that builds the toolbox image (see `GitLabCiPlatformProps.toolboxProject`).
   * @default the environment's `gitlab.toolboxProject.path`, if any
   */
  readonly toolboxProject?: string;
  /**
   * The environment this one's images are promoted from: each tenant's project variables then
   * name its repositories (`PLATFORM_<ROLE>_PROMOTE_FROM`, see `tenantVariables`).
   * @default none
   */
  readonly promotionSource?: EnvironmentConfig;
  /**
   * The environment's runner pools as the platform computed them (`runnerPoolsOf` of the
   * environment and its registrations), so the registrations and the fleets read one model.
   * @default computed here from `environment` (`runnerPoolsOf(environment, runnersOf(platform, environment))`)
   */
  readonly runnerPools?: readonly PoolRunner[];
  /**
   * The group variables with environment scope `*` (every job of every pipeline reads them,
   * whichever environment it deploys to) are created by a stack that outlives every
   * environment (the app's `gitlab-shared` stack, with `prevent_destroy`), not here:
   * destroying the environment then leaves them alone. They are exposed as
   * {@link EnvironmentGitLabSide.groupWideVariables}.
   * @default false: created here, with the environment's other group variables
   * @throws ValidationError when such a variable's value refers to a resource or variable of this environment's stack
   */
  readonly groupWideVariablesElsewhere?: boolean;
}

/** The last segment of a project path. */
const lastSegment = (projectPath: string): string => projectPath.slice(projectPath.lastIndexOf("/") + 1);

/**
 * The GitLab side of one environment: runner registrations (or existing
 * token parameters), the group CI/CD variables (platform variables and
 * DOCKER_AUTH_CONFIG) and, where configured, the published CI templates and
 * the toolbox project.
 *
 * It creates no provider: the stack that holds it needs a GitLab provider
 * (`new GitlabProvider(stack, "gitlab", { baseUrl: "<instance>/api/v4/" })`,
 * the token from `GITLAB_TOKEN`), and an AWS provider for the token parameters.
 *
 * Construct ids: `gitlab-group` (data source), `project-<tenant>` (data source of the project
 * owning project runners), `runner-<name>`, `docker-auth-config`
 * (no resource of its own), `registry-pull-token`, `group-variables`, `project-variables-<tenant>`,
 * `ci-templates`, `toolbox-project`, `protected-refs`. The sensitive password variables of external registries keep
 * their configured names (`passwordVariable`) as Terraform variable names, so that
 * `TF_VAR_<name>` sets them wherever this construct sits.
 */
export class EnvironmentGitLabSide extends Construct implements GitLabSide {
  /** Runner token sources by runner name (consumed by the runner fleets). */
  public readonly runnerTokens: ReadonlyMap<string, RunnerTokenSource>;
  /** The group CI/CD variables. */
  public readonly variables: CiVariables;
  /** The keys of the group CI/CD variables this stack creates, in creation order (not {@link groupWideVariables}). */
  public readonly variableNames: readonly string[];
  /**
   * The group variables with environment scope `*`, when `groupWideVariablesElsewhere`
   * leaves them to a stack that outlives the environment (literal values only).
   * @default none: created here
   */
  public readonly groupWideVariables: readonly CiVariableOptions[];
  /** Each tenant's project CI/CD variables (image URLs, role ARNs, audience), by tenant name. */
  public readonly projectVariables: ReadonlyMap<string, CiVariables>;
  /**
   * The environment's DOCKER_AUTH_CONFIG (its ECR hosts and static credentials): the app's
   * gitlab-shared stack reads its `ecrRegistries` to add the group's pull-only credentials.
   */
  public readonly dockerAuth: DockerAuthConfig;
  /** OIDC access the variables point jobs at (the build role's). */
  public readonly ciAwsAccess: CiAwsAccess;
  /**
   * The published templates.
   * @default none, unless the environment configures `gitlab.ciTemplates`
   */
  public readonly templates?: CiTemplatesProject;
  /**
   * The toolbox project.
   * @default none, unless the environment configures `gitlab.toolboxProject`
   */
  public readonly toolbox?: ToolboxImageProject;
  /**
   * The protections (or plan-time checks) of the refs the CI roles trust.
   * @default none, unless `protectedRefs` is given
   */
  public readonly protectedRefs?: ProtectedRefs;

  /**
   * @param scope parent construct (`GitLabCiPlatform` uses id `gitlab`)
   * @param id construct id
   * @param props the environment, its registry, identities and mirror
   */
  public constructor(scope: Construct, id: string, props: EnvironmentGitLabSideProps) {
    super(scope, id);
    const { platform, environment: env, tagScheme, repositories, identity, mirror } = props;
    const gitlab = env.gitlab;
    const group = new DataGitlabGroup(this, "gitlab-group", { fullPath: gitlab.group });
    if (props.protectedRefs) this.protectedRefs = new ProtectedRefs(this, "protected-refs", props.protectedRefs);

    const runnerTokens = new Map<string, RunnerTokenSource>();
    const registrations = runnersOf(platform, env);
    const pools = props.runnerPools ?? runnerPoolsOf(env, registrations, this.node.path);
    const tenants = tenantsOf(env);
    const kms = props.secretsKey ? { secretsKey: props.secretsKey } : props.secretsKeyArn ? { kmsKeyArn: props.secretsKeyArn } : {};
    const projects = new Map<string, DataGitlabProject>();
    for (const runner of registrations) {
      const parameterName = runner.existingTokenParameter ?? `/${platform.project}/${env.name}/runner/${runner.name}/token`;
      // Every runner is a project runner of the tenants it serves (its entry's projects), unless a reasoned group runner.
      const pool = pools.find((p) => p.name === runner.name);
      const projectRunner = pool?.scope === "project";
      const served = pool?.tenants ?? tenants;
      if (projectRunner && !runner.existingTokenParameter) {
        check(served.length > 0, {
          path: `${this.node.path}/runner-${runner.name}`,
          subject: "runner scope",
          value: runner.name,
          rule: "a runner is a project runner of the projects it serves, and it serves none (gitlab.projects lists none)",
          fix: 'list the projects in gitlab.projects, or give the registration groupRunner: { reason: "..." }',
        });
      }
      const owner = served[0];
      const ownerProject = () => {
        const existing = projects.get(owner!.path);
        if (existing) return existing;
        const project = new DataGitlabProject(this, `project-${owner!.name}`, { pathWithNamespace: owner!.path });
        projects.set(owner!.path, project);
        return project;
      };
      // Opt-ins are allowed, but never silent: the synth output says what they expose.
      if (runner.allowUnprotectedJobs) {
        Annotations.of(this).addWarning(
          `runner ${runner.name}: allowUnprotectedJobs (${runner.allowUnprotectedJobs.reason}): jobs of unprotected refs run on hosts that bind the docker socket, run privileged or serve protected jobs`,
        );
      }
      if (pool?.sharedBetweenProjects) {
        Annotations.of(this).addWarning(
          `runner ${runner.name}: sharedBetweenProjects (${pool.sharedBetweenProjects.reason}): protected jobs of ${served.map((t) => t.path).join(", ")} are root on one docker daemon`,
        );
      }
      if (runner.groupRunner) {
        Annotations.of(this).addWarning(`runner ${runner.name}: groupRunner (${runner.groupRunner.reason}): every project of ${gitlab.group} can use it`);
      }
      runnerTokens.set(
        runner.name,
        runner.existingTokenParameter
          ? new ExistingRunnerTokenParameter(this, `runner-${runner.name}`, { parameterName, accountId: env.accountId, region: env.region, ...kms })
          : new RunnerRegistration(this, `runner-${runner.name}`, {
              scope: projectRunner ? { type: "project", projectId: Token.asNumber(ownerProject().id) } : { type: "group", groupId: group.groupId },
              ...(projectRunner && served.length > 1 ? { enableForProjects: served.slice(1).map((t) => t.path) } : {}),
              // A project runner of a single tenant is locked to it: no other project can enable it.
              ...(projectRunner && served.length === 1 ? { locked: true } : {}),
              ...kms,
              description: `${platform.project} ${env.name} ${runner.name}`,
              tags: runner.tags ?? [],
              untagged: runner.untagged ?? false,
              protectedRefsOnly: runner.protectedRefsOnly ?? false,
              maximumTimeoutSeconds: runner.maximumTimeoutSeconds ?? 3600,
              parameterName,
            }),
      );
    }
    this.runnerTokens = runnerTokens;

    this.ciAwsAccess = identity.build.ciAccess;
    // The registry host as a literal (not a reference to one tenant's repository): the group
    // variables then depend on no tenant.
    const registryHost = repositories.size > 0 ? registryHostOf(env) : undefined;
    const environmentScope = gitlab.variables?.environmentScope ?? "*";
    const isProtected = variablesAreProtected(env);

    // Pull-only credentials go into the group's * DOCKER_AUTH_CONFIG, which a stack outliving
    // every environment builds from all environments of the group (stacks/gitlab-shared-stack.ts).
    (gitlab.externalRegistries ?? []).forEach((ext, i) =>
      check(ext.unprotectedPull === undefined || props.groupWideVariablesElsewhere === true, {
        path: `${this.node.path}/docker-auth-config`,
        subject: `externalRegistries[${i}].unprotectedPull`,
        value: ext.registry,
        rule: "the pull-only credential goes into the group's DOCKER_AUTH_CONFIG with environment scope *, built from every environment of the group by the app's gitlab-shared stack (buildPlatform); this construct alone does not build it",
        fix: "deploy with buildPlatform (stacks/app.ts), or add the registry to a DockerAuthConfig of your own with environment scope * and protected false",
      }),
    );
    const dockerAuth = new DockerAuthConfig(this, "docker-auth-config", {
      ecrRegistries: registryHost ? [registryHost] : [],
      staticCredentials: (gitlab.externalRegistries ?? []).map((ext) => {
        const password = new TerraformVariable(this, ext.passwordVariable, {
          type: "string",
          sensitive: true,
          description: `Password of ${ext.username} at ${ext.registry} (DOCKER_AUTH_CONFIG)`,
        });
        // The configured name is the Terraform variable name (TF_VAR_<name>), not a path-derived id.
        password.overrideLogicalId(ext.passwordVariable);
        return { registry: ext.registry, username: ext.username, password: password.stringValue };
      }),
      deployTokens: gitlab.containerRegistryHost
        ? [new RegistryDeployToken(this, "registry-pull-token", { target: { group: gitlab.group }, name: `${platform.project}-${env.name}-ci-pull`, registryHost: gitlab.containerRegistryHost })]
        : [],
    });
    this.dockerAuth = dockerAuth;
    const variables = [
      ...(registryHost
        ? platformVariables(`${this.node.path}/group-variables`, {
            aws: this.ciAwsAccess,
            ...(identity.buildMergeRequest ? { branchAws: identity.buildMergeRequest.ciAccess } : {}),
            registryHost,
            images: {},
            tenantScoped: true,
            environmentScope,
            protected: isProtected,
            ...(mirror ? { mirror } : {}),
            ...(gitlab.rawProxyVariables ? { rawProxyVariables: gitlab.rawProxyVariables } : {}),
            ...(gitlab.buildpackVariables ? { buildpackVariables: gitlab.buildpackVariables } : {}),
            ...(gitlab.autoDevOps ? { autoDevOps: true } : {}),
          })
        : []),
      dockerAuth.toVariable({ protected: isProtected, environmentScope }),
      ...unprotectedRunnerTagVariables(platform, env, environmentScope, isProtected),
    ];
    // Group-wide (`*`) variables outlive the environment when the app gives them to its shared stack.
    const groupWide = (v: CiVariableOptions) => props.groupWideVariablesElsewhere === true && (v.environmentScope ?? "*") === "*";
    this.groupWideVariables = variables.filter(groupWide);
    this.groupWideVariables.forEach((v) =>
      check(!Token.isUnresolved(v.value), {
        path: `${this.node.path}/group-variables`,
        subject: v.key,
        value: "(a reference to a resource or variable of this stack)",
        rule: "group variables with environment scope * live in the stack that outlives every environment, which cannot refer to this environment's resources (its deploy tokens, its sensitive Terraform variables)",
        fix: "give the environment's variables a scope (gitlab.variables.environmentScope), or use an environment without containerRegistryHost and externalRegistries for the group-wide variables",
      }),
    );
    this.variables = new CiVariables(this, "group-variables", { target: { group: gitlab.group }, variables: variables.filter((v) => !groupWide(v)) });
    this.variableNames = variables.filter((v) => !groupWide(v)).map((v) => v.key);
    // Per tenant: its own image URLs, role ARNs and audience as project variables (every tier has
    // environment scopes on project variables), so no project pushes to another's repositories.
    this.projectVariables = new Map(
      tenantsOf(env).map((tenant) => [
        tenant.name,
        new CiVariables(this, `project-variables-${tenant.name}`, { target: { project: tenant.path }, variables: tenantVariables(platform, env, tenant, environmentScope, { ...(props.toolboxProject ? { toolboxProject: props.toolboxProject } : {}), ...(props.promotionSource ? { promotionSource: props.promotionSource } : {}) }) }),
      ]),
    );

    const templatesConfig = gitlab.ciTemplates;
    if (templatesConfig) {
      this.templates = new CiTemplatesProject(this, "ci-templates", {
        project: templatesConfig.create === false ? { existingPath: templatesConfig.project } : { namespaceId: group.groupId, path: lastSegment(templatesConfig.project) },
        // Git tag pipelines run for the Git tags this environment's protected roles trust (registry/release-tags.ts).
        templates: platformCiTemplates(`${this.node.path}/ci-templates`, tagScheme, undefined, env.identity?.releaseTags),
      });
    }
    if (gitlab.toolboxProject) {
      this.toolbox = new ToolboxImageProject(this, "toolbox-project", {
        namespaceId: group.groupId,
        path: lastSegment(gitlab.toolboxProject.path),
        tagScheme,
        ...(gitlab.toolboxProject.dockerfile ? { dockerfile: gitlab.toolboxProject.dockerfile } : {}),
      });
    }
  }
}
