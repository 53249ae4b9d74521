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
      gitlab,
      registry: { repositories: seedRepositories },
    },
    {
      name: "staging",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab,
      registry: { repositories: seedRepositories },
    },
    {
      name: "production",
      accountId: "222222222222",
      region: "eu-central-1",
      production: true,
      gitlab,
      registry: {
        tagScheme: { kinds: { commit: { retention: { maxCount: 300 } }, mergeRequest: { retention: { maxAgeDays: 14 } } } },
        repositories: seedRepositories,
      },
    },
  ],
};
