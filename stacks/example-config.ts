import { type PlatformConfig, type RepositoryConfig, type RunnerConfigEntry } from "./config";

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

// ---- Runner fleet (issue 4) ----
/** A socket-binding build runner (docker layer cache on the host) and a plain test runner. */
const seedRunners: readonly RunnerConfigEntry[] = [
  { name: "build", limit: 4, dockerAccess: "socket-binding", image: "docker:27" },
  { name: "test", limit: 4, dockerAccess: "none", image: "alpine:3.20" },
];
/** Weekdays 07:00-20:00 Berlin time; zero hosts at night and on weekends. */
const officeHours = { timeZone: "Europe/Berlin", minSize: 1, maxSize: 4 } as const;
// ---- end runner fleet ----

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
      // Runner fleet (issue 4): all spot, off outside office hours.
      runners: { network: { cidr: "10.10.0.0/16" }, runners: seedRunners, capacity: { minSize: 1, maxSize: 4 }, officeHours },
    },
    {
      name: "staging",
      accountId: "111111111111",
      region: "eu-central-1",
      gitlab,
      registry: { repositories: seedRepositories },
      // Runner fleet (issue 4): like dev, smaller.
      runners: { network: { cidr: "10.20.0.0/16" }, runners: seedRunners, capacity: { minSize: 1, maxSize: 2 }, officeHours: { ...officeHours, maxSize: 2 } },
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
      // Runner fleet (issue 4): always on, one on-demand host, spot above it, a NAT gateway per zone.
      runners: {
        network: { cidr: "10.30.0.0/16", natGateways: "per-az" },
        runners: seedRunners,
        capacity: { minSize: 1, maxSize: 6 },
        purchase: { onDemandBaseCapacity: 1 },
        maxJobTimeoutSeconds: 7200,
      },
    },
  ],
};
