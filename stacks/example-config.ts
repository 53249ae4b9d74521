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

// --- Runner cache and registry mirror (issue 5) ---
/** Seed 002's buildpack download hosts, proxied by the production Nexus (BUILDPACK_STDLIB_URL etc.). */
const buildpackProxies = [
  { name: "lang-common", remoteUrl: "https://lang-common.s3.amazonaws.com" },
  { name: "buildpack-registry", remoteUrl: "https://buildpack-registry.s3.amazonaws.com" },
  { name: "lang-jvm", remoteUrl: "https://lang-jvm.s3.amazonaws.com" },
] as const;

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
      // --- Runner cache and registry mirror (issue 5) ---
      cache: { expirationDays: 7 },
      mirror: { kind: "ecr-pull-through" },
    },
    {
      name: "staging",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab,
      registry: { repositories: seedRepositories },
      // --- Runner cache and registry mirror (issue 5) ---
      mirror: { kind: "ecr-pull-through", prefixes: ["ecr-public", "quay"] },
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
      // --- Runner cache and registry mirror (issue 5) ---
      cache: { expirationDays: 30 },
      mirror: {
        kind: "nexus",
        // Fake but valid ids until the network construct provides them.
        network: {
          vpcId: "vpc-0a1b2c3d4e5f60718",
          privateSubnetIds: ["subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a40312"],
          vpcCidr: "10.20.0.0/16",
        },
        // The same secret as the account's docker-hub pull-through rule (keys username, accessToken).
        dockerHubCredentialSecretArn: "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ecr-pullthroughcache/docker-hub-AbCdEf",
        rawProxies: buildpackProxies,
      },
    },
  ],
};
