import { partitionOf } from "../lib/core/aws";
import { type PolicyStatement } from "../lib/core/iam";
import { type PlatformConfig, type RepositoryConfig, type RunnerConfigEntry } from "./config";

/**
 * The example configuration: fake but well-formed values (documentation
 * account ids, example.com hosts). Copy it and change the values to deploy.
 */

/** The repositories every example environment creates. */
const exampleRepositories: readonly RepositoryConfig[] = [
  { id: "app", description: "The application image built by the project's pipeline" },
  { id: "app-ci", description: "The CI image derived from the application image (test tools on top)" },
  { id: "toolbox", description: "The terraform/deploy toolbox image (terraform, aws cli)" },
];

/** Buildpack download hosts (buildpacks fetch from them), proxied by the production Nexus (JVM_COMMON_BUILDPACK etc.). */
const buildpackProxies = [
  { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" },
  { name: "buildpack-registry", remoteUrl: "https://buildpack-registry.s3.amazonaws.com" },
  { name: "lang-jvm", remoteUrl: "https://lang-jvm.s3.amazonaws.com" },
] as const;
/**
 * The protected pool (jobs of protected branches and tags only): a socket-binding build runner
 * (docker layer cache on the host) and a plain test runner, each a project runner of every tenant.
 * With the socket, a protected job of one project is root on the daemon the others' jobs use; the
 * three projects share it on purpose (one runner per project would need a fleet per project).
 */
const exampleRunners: readonly RunnerConfigEntry[] = [
  {
    name: "build",
    limit: 4,
    dockerAccess: "socket-binding",
    image: "docker:27",
    sharedBetweenProjects: {
      reason:
        "acme/app, acme/web and acme/toolbox have the same Maintainers (the platform team), the only people who can push their protected branches and release tags, and they want one warm layer cache",
    },
  },
  { name: "test", limit: 4, dockerAccess: "none", image: "alpine:3.20" },
];
/**
 * The unprotected pool of dev (merge requests, forks, other branches and tags): a docker-autoscaler
 * manager that starts a fresh VM per job (single-use workers, no IAM role), from zero: one worker
 * waits ready during office hours, none at night and on weekends, and a job queued then starts
 * its own. No docker socket, no privileged mode; images are built with rootless BuildKit.
 * Staging and production have none: unprotected jobs never reach their hosts or roles.
 */
const unprotectedPool = {
  mode: "docker-autoscaler",
  runners: [{ name: "mr", limit: 4, dockerAccess: "none", builder: "buildkit-rootless", image: "alpine:3.20" }],
  capacity: { minSize: 1, maxSize: 3 },
} as const;
/** Weekdays 07:00-20:00 Berlin time; zero hosts at night and on weekends. */
const officeHours = { timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 } as const;

// Projects are tenants: onboarding a project is one entry here. Each gets its own repositories
// (<prefix>/<tenant>/<id> and <prefix>/<tenant>/unprotected/<id>), CI roles and project variables.
// The toolbox project has its toolbox repository only. The group is on GitLab Premium: staging and
// production scope their group variables.
const gitlab = {
  url: "https://gitlab.example.com",
  group: "acme",
  tier: "premium",
  projects: ["acme/app", "acme/web", { path: "acme/toolbox", repositories: exampleRepositories.filter((r) => r.id === "toolbox") }],
} as const;

/**
 * Example permissions of a deployment role: read and write its own tenant's Terraform state
 * (`<env>/<tenant>/` of a state bucket; `{{tenant}}` is each tenant's name in its own role), so
 * one project's deploy job cannot overwrite another project's state (your deployments add what
 * they manage, scoped the same way).
 */
function stateBucketStatements(accountId: string, env: string, region = "eu-central-1"): PolicyStatement[] {
  const bucket = `arn:${partitionOf(region)}:s3:::acme-ci-terraform-state-${accountId}`;
  return [
    // Listing narrowed to the tenant's prefix, like the object grant below.
    { actions: ["s3:ListBucket"], resources: [bucket], conditions: { StringLike: { "s3:prefix": [`${env}/{{tenant}}/`, `${env}/{{tenant}}/*`] } } },
    { actions: ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], resources: [`${bucket}/${env}/{{tenant}}/*`] },
  ];
}

// dev defines the unscoped (`*`) group variables that build jobs use and declares the CI
// templates and the toolbox project (all three live in the gitlab-shared stack, which outlives
// dev); staging and production scope their
// variables to their deployment environments. Production also pulls from an
// external registry (Alibaba Cloud ACR) whose password is the sensitive stack
// variable acr_password (TF_VAR_acr_password).
const gitlabDev = {
  ...gitlab,
  ciTemplates: { project: "acme/ci-templates" },
  toolboxProject: { path: "acme/toolbox" },
};
const gitlabStaging = { ...gitlab, variables: { environmentScope: "staging" } };
const gitlabProduction = {
  ...gitlab,
  variables: { environmentScope: "production" },
  externalRegistries: [{ registry: "registry.cn-hangzhou.aliyuncs.com", username: "acme-ci@acme", passwordVariable: "acr_password" }],
  // Buildpack downloads go through the mirror's raw proxies, under the names the buildpacks read;
  // Auto DevOps forwards them into the build (they are unprotected and scoped *, so its build job gets them).
  // JVM_BUILDPACK_ASSETS_BASE_URL is left out: the JVM common buildpack this tarball holds (v159 and
  // later) no longer reads it.
  buildpackVariables: {
    JVM_COMMON_BUILDPACK: { proxy: "buildpack-registry", path: "buildpacks/heroku/jvm.tgz" },
  },
  autoDevOps: true,
};

export const exampleConfig: PlatformConfig = {
  project: "acme-ci",
  accounts: [
    {
      name: "nonprod",
      accountId: "111111111111",
      region: "eu-central-1",
      // The role every nonprod stack's AWS provider assumes (see docs/deploy.md, "Credentials").
      deployRole: { roleArn: "arn:aws:iam::111111111111:role/acme-ci-deploy" },
      registry: {
        pullThroughCache: [
          // alpine is the base image of the example's applications: its cache repository exists before
          // any pull, so a merge request may pull a new alpine tag before a protected pipeline did.
          { upstream: "ecr-public", cachedRepositories: ["docker/library/alpine"] },
          { upstream: "quay" },
          { upstream: "k8s" },
        ],
      },
    },
    {
      name: "prod",
      accountId: "222222222222",
      region: "eu-central-1",
      deployRole: { roleArn: "arn:aws:iam::222222222222:role/acme-ci-deploy" },
      registry: {
        pullThroughCache: [
          { upstream: "ecr-public" },
          {
            upstream: "docker-hub",
            credentialSecretArn: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
          },
        ],
      },
    },
  ],
  environments: [
    {
      name: "dev",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab: gitlabDev,
      registry: { repositories: exampleRepositories },
      identity: {
        // The deployment role is assumed from the tenants' protected CI roles only.
        deployment: { statements: stateBucketStatements("111111111111", "dev") },
        // A tool that cannot use OIDC pulls with a static key (secret in SSM, and in state).
        staticCredentials: [{ id: "legacy-pull", access: "pull", tenants: ["app"], repositories: ["app"] }],
      },
      cache: { expirationDays: 7 },
      mirror: { kind: "ecr-pull-through" },
      // Runner fleet: all spot, off outside office hours.
      runners: { network: { cidr: "10.10.0.0/16" }, runners: exampleRunners, unprotected: unprotectedPool, capacity: { minSize: 1, maxSize: 4 }, officeHours },
    },
    {
      name: "staging",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab: gitlabStaging,
      registry: { repositories: exampleRepositories },
      identity: { deployment: { statements: stateBucketStatements("111111111111", "staging") } },
      // Images reach staging by digest from dev (the environment before it); deploy jobs, smoke test, rollback.
      promotion: {},
      deploy: {},
      mirror: { kind: "ecr-pull-through", prefixes: ["ecr-public", "quay"] },
      // Runner fleet: like dev, smaller. Deploy jobs run on hosts of their own, as in production: the
      // protected pool's hosts also run the socket-binding build runner of three projects, whose jobs are
      // root there and would read another project's deploy credentials. One on-demand host is the
      // smallest deploy pool (job-slot scaling cannot start a host from zero).
      runners: {
        network: { cidr: "10.20.0.0/16" },
        runners: exampleRunners,
        capacity: { minSize: 1, maxSize: 2 },
        officeHours: { ...officeHours, maxSize: 2 },
        deploy: { capacity: { minSize: 1, maxSize: 1 } },
      },
    },
    {
      name: "production",
      accountId: "222222222222",
      region: "eu-central-1",
      production: true,
      gitlab: gitlabProduction,
      registry: {
        tagScheme: { kinds: { commit: { retention: { maxCount: 300 } }, mergeRequest: { retention: { maxAgeDays: 14 } } } },
        repositories: exampleRepositories,
      },
      identity: {
        // No unprotected pool here, so no unprotected roles (and no mergeRequestPushRepositories to limit them).
        deployment: {
          statements: stateBucketStatements("222222222222", "production"),
          permissionsBoundaryArn: "arn:aws:iam::222222222222:policy/acme-ci-deployment-boundary",
        },
      },
      // Images reach production by digest from staging (after staging's smoke test); deploys are started by hand.
      promotion: {},
      deploy: { manual: true },
      cache: { expirationDays: 30 },
      mirror: {
        kind: "nexus",
        // No network given: the host joins the runners' VPC (runners.network), so the fleet reaches it directly.
        // The same secret as the account's docker-hub pull-through rule (keys username, accessToken).
        dockerHubCredentialSecretArn: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        // The docker group serves anonymous pulls, so every job pulls as this account: its token must reach no private image.
        credentialedAnonymousPull: { reason: "the Docker Hub token's access is Public Repo Read-only: it raises the pull rate limit and reaches no private image" },
        rawProxies: buildpackProxies,
      },
      // Runner fleet: always on, one on-demand host, spot above it, a NAT gateway per zone.
      runners: {
        network: { cidr: "10.30.0.0/16", natGateways: "per-az" },
        runners: exampleRunners,
        capacity: { minSize: 1, maxSize: 6 },
        purchase: { onDemandBaseCapacity: 1 },
        maxJobTimeoutSeconds: 7200,
        // Protected-refs-only deploy runners on their own on-demand hosts.
        deploy: { capacity: { minSize: 1, maxSize: 2 } },
      },
    },
  ],
};
