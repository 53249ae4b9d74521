import { type PlatformConfig, type RepositoryConfig } from "./config";

/**
 * The example configuration: fake but well-formed values (documentation
 * account ids, example.com hosts). Copy it and change the values to deploy.
 */

/** The repositories of the seed pipelines. */
const seedRepositories: readonly RepositoryConfig[] = [
  { id: "app", description: "The application image built by the project's pipeline" },
  { id: "app-ci", description: "The CI image derived from the application image (test tools on top)" },
  { id: "toolbox", description: "The terraform/deploy toolbox image (terraform, aws cli)" },
];

const gitlab = {
  url: "https://gitlab.example.com",
  group: "acme",
  projects: ["acme/app", "acme/toolbox"],
} as const;

// ---- GitLab side (issue 6) ----
// dev owns the unscoped (`*`) group variables that build jobs use, publishes the CI
// templates and creates the toolbox project; staging and production scope their
// variables to their deployment environments. Production also pulls from an
// external registry (Alibaba ACR, seed 000) whose password is the sensitive stack
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
};

export const exampleConfig: PlatformConfig = {
  project: "acme-ci",
  accounts: [
    {
      name: "nonprod",
      accountId: "111111111111",
      region: "eu-central-1",
      registry: {
        pullThroughCache: [{ upstream: "ecr-public" }, { upstream: "quay" }, { upstream: "k8s" }],
      },
    },
    {
      name: "prod",
      accountId: "222222222222",
      region: "eu-central-1",
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
      registry: { repositories: seedRepositories },
    },
    {
      name: "staging",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab: gitlabStaging,
      registry: { repositories: seedRepositories },
    },
    {
      name: "production",
      accountId: "222222222222",
      region: "eu-central-1",
      production: true,
      gitlab: gitlabProduction,
      registry: {
        tagScheme: { kinds: { commit: { retention: { maxCount: 300 } }, mergeRequest: { retention: { maxAgeDays: 14 } } } },
        repositories: seedRepositories,
      },
    },
  ],
};
