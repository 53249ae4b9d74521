import { type EnvironmentConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { withConfig, withEnv } from "../support/example-variants";
import { type BadInput } from "./matrix";

/*
 * Bad inputs of promotion and deployment (lib/platform/promotion.ts), checked by `validateConfig`:
 * promotion to an environment whose account grants are missing, a deploy routed to a pool that
 * takes unprotected jobs, a rollback without a place to record the last good digest, and the
 * neighbouring mistakes. The example promotes dev -> staging -> production.
 */
const [E0, E1, E2] = ["config/environments[0]", "config/environments[1]", "config/environments[2]"];
const [dev, staging, production] = exampleConfig.environments as [EnvironmentConfig, EnvironmentConfig, EnvironmentConfig];

export const deployRows: readonly BadInput[] = [
  // Promotion to an environment whose account grants are missing.
  {
    name: "promotion into an account without an account stack",
    run: withConfig({ accounts: [exampleConfig.accounts[0]!] }),
    // Reported once, at the environment's own fields (the promotion's grants need the same entry).
    path: E2,
    subject: "account and region",
    value: "222222222222/eu-central-1",
    rule: /every environment deploys into an \(account, region\) that has an account stack/,
    fix: /add \{ name: "\.\.\.", accountId: "222222222222", region: "eu-central-1" \} to config\.accounts/,
  },
  {
    name: "promotion from an account without an account stack",
    run: withConfig({ accounts: [exampleConfig.accounts[1]!] }),
    path: E1,
    subject: "account and region",
    value: "111111111111/eu-central-1",
    rule: /every environment deploys into an \(account, region\) that has an account stack/,
    fix: /accountId: "111111111111"/,
  },
  {
    name: "promotion of a project the source environment does not list (no repository, no role to pull with)",
    run: withEnv({ gitlab: { ...production.gitlab, projects: [...production.gitlab.projects, "acme/api"] } }, 2),
    path: `${E2}/gitlab/projects[3]`,
    subject: "promoted project",
    value: "acme/api",
    rule: /production promotes acme\/api's images from staging, which does not list the project: there is no source repository, and no role of staging grants production's protected role pull/,
    fix: /add acme\/api to staging's gitlab\.projects/,
  },
  {
    name: "promotion of a repository the source environment does not have",
    run: withEnv({ registry: { ...production.registry, repositories: [...production.registry.repositories, { id: "worker", description: "A worker image" }] }, gitlab: { ...production.gitlab, imageRoles: { app: "app", ci: "app-ci", toolbox: "toolbox", worker: "worker" } } }, 2),
    path: `${E2}/gitlab/projects[0]`,
    subject: "promoted repository",
    value: "acme/app worker (worker)",
    rule: /promotes the worker image of acme\/app from staging, which has no repository worker/,
    fix: /give acme\/app the repository worker in staging/,
  },
  { name: "promotion from an unknown environment", run: withEnv({ promotion: { from: "qa" } }, 2), path: `${E2}/promotion/from`, subject: "promotion source", value: "qa", rule: /listed before this one \(dev, staging\)/, fix: /name an earlier environment/ },
  { name: "promotion from a later environment (a cycle)", run: withEnv({ promotion: { from: "production" } }, 1), path: `${E1}/promotion/from`, subject: "promotion source", value: "production", rule: /never forms a cycle/, fix: /build environment first/ },
  { name: "promotion into the first environment", run: withEnv({ promotion: {} }), path: `${E0}/promotion`, subject: "promotion source", value: {}, rule: /the first environment has no environment before it/, fix: /promotion: \{ from: "<environment>" \}/ },
  // A deploy job routed to a pool that takes unprotected jobs.
  {
    name: "deploy jobs routed to the unprotected pool",
    run: withEnv({ deploy: { runner: "mr" } }),
    path: `${E0}/deploy/runner`,
    subject: "deploy runner",
    value: { runner: "mr", pool: "unprotected", protectedRefsOnly: false },
    rule: /its runner must take jobs of protected refs only \(ref_protected\)/,
    fix: /route deploy jobs to the deploy pool or a protected-pool runner/,
  },
  {
    name: "deploy jobs routed to a protected runner opened to unprotected jobs",
    run: withEnv({
      deploy: { runner: "test" },
      gitlab: {
        ...staging.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-staging-protected-build"], protectedRefsOnly: true },
          { name: "test", tags: ["acme-ci-staging-protected-test"], allowUnprotectedJobs: { reason: "a plain test runner without docker access for every branch" } },
          { name: "deploy", tags: ["acme-ci-staging-deploy"], protectedRefsOnly: true },
        ],
      },
    }, 1),
    path: `${E1}/deploy/runner`,
    subject: "deploy runner",
    value: { runner: "test", pool: "protected", protectedRefsOnly: false },
    rule: /lets any branch's job share the host with a deploy/,
    fix: /remove allowUnprotectedJobs/,
  },
  // ... and its hosts: every runner sharing the deploy route's hosts is judged, not only the one it names.
  {
    name: "deploy jobs on the protected pool, whose hosts also run the socket-binding build runner of three projects",
    run: withEnv({ runners: { ...staging.runners!, deploy: undefined } }, 1),
    path: `${E1}/deploy`,
    subject: "deploy hosts",
    value: { deployRunner: "test", pool: "protected", sharesHostsWith: "build", dockerAccess: "socket-binding", privileged: false, protectedRefsOnly: true, projects: ["acme/app", "acme/web", "acme/toolbox"] },
    rule: /runner build \(protected pool\), which shares the hosts of deploy runner test, runs jobs that are root on the host \(docker access socket-binding\).*several projects \(acme\/app, acme\/web, acme\/toolbox\), so a protected job of one project takes over another project's deploy/,
    fix: /give deploy jobs hosts of their own \(runners\.deploy.*or let the hosts serve one project \(projects: \["acme\/app"\] on every runner of the protected pool, no group runner\)/,
  },
  {
    name: "deploy jobs on a protected runner whose hosts also run a runner opened to unprotected jobs",
    run: withEnv({
      deploy: { runner: "test" },
      gitlab: {
        ...staging.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-staging-protected-build"], allowUnprotectedJobs: { reason: "every branch of these projects builds with the warm layer cache" } },
          { name: "test", tags: ["acme-ci-staging-protected-test"], protectedRefsOnly: true },
          { name: "deploy", tags: ["acme-ci-staging-deploy"], protectedRefsOnly: true },
        ],
      },
    }, 1),
    path: `${E1}/deploy/runner`,
    subject: "deploy hosts",
    value: { deployRunner: "test", pool: "protected", sharesHostsWith: "build", dockerAccess: "socket-binding", privileged: false, protectedRefsOnly: null, projects: ["acme/app", "acme/web", "acme/toolbox"] },
    rule: /runner build \(protected pool\), which shares the hosts of deploy runner test, takes jobs of unprotected refs: a deploy job routed to a pool that takes unprotected jobs/,
    fix: /give deploy jobs hosts of their own \(runners\.deploy\), or register runner build .* protectedRefsOnly: true/,
  },
  {
    name: "a deploy pool without a registration in an explicit gitlab.runners list (its deploy jobs fell back to the protected pool)",
    run: withEnv({
      gitlab: {
        ...staging.gitlab,
        runners: [
          { name: "build", tags: ["acme-ci-staging-protected-build"], protectedRefsOnly: true },
          { name: "test", tags: ["acme-ci-staging-protected-test"], protectedRefsOnly: true },
        ],
      },
    }, 1),
    path: `${E1}/runners/deploy`,
    subject: "runner",
    value: "deploy",
    rule: /the deploy pool's runner needs a GitLab registration named "deploy", and gitlab\.runners \(an explicit list\) has none/,
    fix: /add \{ name: "deploy", tags: \["acme-ci-staging-deploy"\], protectedRefsOnly: true \} to gitlab\.runners, or drop runners\.deploy/,
  },
  { name: "deploy jobs in an environment without runners", run: withEnv({ runners: undefined }, 1), path: `${E1}/deploy`, subject: "deploy runner", value: undefined, rule: /deploy jobs need a registered runner of the environment that takes protected refs only/, fix: /add runners\.deploy/ },
  // A rollback configured without a place to record the last good digest.
  {
    name: "rollback without a place to record the last good digest",
    run: withEnv({ deploy: { rollback: true, lastGoodDigest: false } }, 1),
    path: `${E1}/deploy/rollback`,
    subject: "rollback",
    value: { rollback: true, lastGoodDigest: false },
    rule: /a rollback redeploys the last good digest, so it needs a place to record it, and lastGoodDigest is false/,
    fix: /remove lastGoodDigest: false .* or set rollback: false/,
  },
  { name: "deploy without a deployment role", run: withEnv({ deploy: {}, identity: { ...dev.identity, deployment: undefined } }), path: `${E0}/deploy`, subject: "deployment role", value: undefined, rule: /deploy jobs run as the tenant's deployment role of the environment/, fix: /add identity\.deployment/ },
  { name: "deploy of an image role the environment lacks", run: withEnv({ deploy: { image: "worker" } }, 1), path: `${E1}/deploy/image`, subject: "image role", value: "worker", rule: /one of the environment's image roles \(app, ci, toolbox\)/, fix: /gitlab\.imageRoles/ },
  { name: "an environment branch with a wildcard", run: withEnv({ deploy: { branch: "release/*" } }, 1), path: `${E1}/deploy/branch`, subject: "branch", value: "release/*", rule: /one exact branch name/, fix: /"staging"/ },
  { name: "an environment branch that is the default branch", run: withEnv({ deploy: { branch: "main" } }, 1), path: `${E1}/deploy/branch`, subject: "branch", value: "main", rule: /not a tenant's default branch/, fix: /leave branch unset/ },
  { name: "a last-good-digest prefix with a trailing slash", run: withEnv({ deploy: { lastGoodDigest: { parameterPrefix: "/acme-ci/staging/" } } }, 1), path: `${E1}/deploy/lastGoodDigest`, subject: "parameterPrefix", value: "/acme-ci/staging/", rule: /no trailing '\/'/, fix: /"\/acme-ci\/staging"/ },
  // Who may deploy: protected environments (GitLab Premium, Ultimate).
  {
    name: "deploy access on GitLab Free, which has no protected environments",
    run: withEnv({ gitlab: { ...staging.gitlab, tier: "free" }, deploy: { deployAccess: "developer" } }, 1),
    path: `${E1}/deploy/deployAccess`,
    subject: "deploy access level",
    value: "developer",
    rule: /protected environments are a GitLab Premium feature .* and gitlab\.tier is free: the setting would protect nothing/,
    fix: /remove deployAccess .* or set gitlab\.tier: "premium"/,
  },
  { name: "an unknown deploy access level", run: withEnv({ deploy: { deployAccess: "owner" } }, 2), path: `${E2}/deploy/deployAccess`, subject: "deploy access level", value: "owner", rule: /one of maintainer, developer/, fix: /use "maintainer" \(the default\) or "developer"/ },
  { name: "environments deploying different images", run: withEnv({ deploy: { image: "ci" } }, 2), path: `${E2}/deploy/image`, subject: "image role", value: "ci", rule: /one image role per GitLab instance, and environments\[1\] deploys app/, fix: /the same image role/ },
  // A deployment statement letting one tenant's deploy jobs write another tenant's scope.
  {
    name: "a deployment statement writing the environment's state prefix next to per-tenant prefixes",
    run: withEnv({
      identity: {
        ...production.identity,
        deployment: {
          ...production.identity!.deployment,
          statements: [...production.identity!.deployment!.statements!, { actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-ci-terraform-state-222222222222/production/*"] }],
        },
      },
    }, 2),
    path: `${E2}/identity/deployment/statements[2]/resources[0]`,
    subject: "deployment resource",
    value: "arn:aws:s3:::acme-ci-terraform-state-222222222222/production/*",
    rule: /a write action \(s3:PutObject\) on arn:aws:s3:::acme-ci-terraform-state-222222222222\/production\/\* in app's role reaches ARNs of web's scope arn:aws:s3:::acme-ci-terraform-state-222222222222\/production\/web\//,
    fix: /name the tenant in the ARN .* scope the statement by a condition whose value is \{\{tenant\}\}/,
  },
  {
    name: "a deployment statement writing every tenant's state file (a pattern overlapping the per-tenant prefixes)",
    run: withEnv({
      identity: {
        ...production.identity,
        deployment: {
          ...production.identity!.deployment,
          statements: [...production.identity!.deployment!.statements!, { actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-ci-terraform-state-222222222222/production/*/terraform.tfstate"] }],
        },
      },
    }, 2),
    path: `${E2}/identity/deployment/statements[2]/resources[0]`,
    subject: "deployment resource",
    value: "arn:aws:s3:::acme-ci-terraform-state-222222222222/production/*/terraform.tfstate",
    rule: /in app's role reaches ARNs of web's scope arn:aws:s3:::acme-ci-terraform-state-222222222222\/production\/web\//,
    fix: /name the tenant in the ARN/,
  },
  {
    name: "a misspelt tenant placeholder in a deployment statement",
    run: withEnv({
      identity: {
        ...production.identity,
        deployment: {
          ...production.identity!.deployment,
          statements: [{ actions: ["s3:PutObject"], resources: ["arn:aws:s3:::acme-ci-terraform-state-222222222222/production/{{ tenant }}/*"] }],
        },
      },
    }, 2),
    path: `${E2}/identity/deployment/statements[0]/resources[0]`,
    subject: "deployment statement placeholder",
    value: "arn:aws:s3:::acme-ci-terraform-state-222222222222/production/{{ tenant }}/*",
    rule: /\{\{ tenant \}\} is not the tenant placeholder: only \{\{tenant\}\} .* is replaced by the tenant's name/,
    fix: /write \{\{tenant\}\}/,
  },
  // A deploy job image that nothing fills.
  {
    name: "deploy jobs running the toolbox image in an environment that does not list the toolbox project",
    run: withEnv({ gitlab: { ...production.gitlab, projects: production.gitlab.projects.filter((p) => typeof p === "string") } }, 2),
    path: `${E2}/deploy/jobImage`,
    subject: "deploy job image",
    value: { jobImage: "$PLATFORM_TOOLBOX_URL:latest", toolboxProject: "acme/toolbox", toolboxRepository: "toolbox" },
    rule: /acme\/toolbox is not one of production's gitlab\.projects: nothing fills it there, so every deploy would fail at image pull/,
    fix: /list acme\/toolbox with its toolbox repository in production's gitlab\.projects .* or set deploy\.jobImage/,
  },
  {
    name: "deploy jobs running the toolbox image in an environment without a toolbox image role",
    run: withEnv({ gitlab: { ...staging.gitlab, imageRoles: { app: "app", ci: "app-ci" } } }, 1),
    path: `${E1}/deploy/jobImage`,
    subject: "deploy job image",
    value: { jobImage: "$PLATFORM_TOOLBOX_URL:latest", toolboxProject: "acme/toolbox", toolboxRepository: null },
    rule: /staging gives it no such repository \(gitlab\.imageRoles\.toolbox is unset\)/,
    fix: /or set deploy\.jobImage/,
  },
  {
    name: "deploy jobs running the toolbox image in a configuration without a toolbox project",
    run: withConfig({
      environments: exampleConfig.environments.map((e) => {
        const { toolboxProject: _toolbox, ...gitlab } = e.gitlab;
        return { ...e, gitlab };
      }),
    }),
    path: `${E1}/deploy/jobImage`,
    subject: "deploy job image",
    value: { jobImage: "$PLATFORM_TOOLBOX_URL:latest", toolboxProject: null, toolboxRepository: "toolbox" },
    rule: /no environment of this GitLab instance declares gitlab\.toolboxProject: nothing fills it, so every deploy would fail at image pull/,
    fix: /declare the toolbox project \(gitlab\.toolboxProject, e\.g\. \{ path: "acme\/toolbox" \}.* or set deploy\.jobImage to an image you maintain/,
  },
  {
    name: "deploying environments of one instance with different deploy job images",
    run: withEnv({ deploy: { ...production.deploy, jobImage: "registry.example.com/deploy-tools:1" } }, 2),
    path: `${E2}/deploy/jobImage`,
    subject: "deploy job image",
    value: "registry.example.com/deploy-tools:1",
    rule: /one job image per GitLab instance, and environments\[1\] sets undefined/,
    fix: /the same deploy\.jobImage \(or none\)/,
  },
  {
    name: "an empty deploy job image (the template fell back to the toolbox image)",
    run: withConfig({ environments: exampleConfig.environments.map((e) => (e.deploy ? { ...e, deploy: { ...e.deploy, jobImage: "" } } : e)) }),
    path: `${E1}/deploy/jobImage`,
    subject: "deploy job image",
    value: "",
    rule: /an image reference \(a non-empty string without CI\/CD variables\)/,
    fix: /name the image deploy jobs run .* or leave deploy\.jobImage unset/,
  },
  {
    name: "a deploy job image named by a CI/CD variable (a pipeline variable would choose it)",
    run: withConfig({ environments: exampleConfig.environments.map((e) => (e.deploy ? { ...e, deploy: { ...e.deploy, jobImage: "$DEPLOY_IMAGE" } } : e)) }),
    path: `${E1}/deploy/jobImage`,
    subject: "deploy job image",
    value: "$DEPLOY_IMAGE",
    rule: /a variable would let a pipeline variable choose the image that runs with the deployment role/,
    fix: /name the image deploy jobs run/,
  },
  {
    name: "promotion from an environment in another region",
    run: withEnv({ region: "eu-west-1" }, 2),
    path: `${E2}/promotion/from`,
    subject: "promotion source",
    value: "staging",
    rule: /the promote job looks the image up and pulls it with the target's region \(eu-west-1\), and the source's registry is in eu-central-1/,
    fix: /promote between environments of one region/,
  },
  {
    name: "deploy jobs on a GitLab instance without a toolbox project, borrowing another instance's",
    run: withEnv({ gitlab: { ...staging.gitlab, url: "https://gitlab.other.example" } }, 1),
    path: `${E1}/deploy/jobImage`,
    subject: "deploy job image",
    value: { jobImage: "$PLATFORM_TOOLBOX_URL:latest", toolboxProject: null, toolboxRepository: "toolbox" },
    rule: /no environment of this GitLab instance declares gitlab\.toolboxProject/,
    fix: /declare the toolbox project/,
  },
];
