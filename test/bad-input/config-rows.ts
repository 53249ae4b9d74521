import { type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";
import { withConfig, withEnv } from "../support/example-variants";
import { deployRows } from "./deploy-rows";
import { type BadInput } from "./matrix";
import { type TagKindOptions } from "../../lib/registry/tag-scheme";

/*
 * Bad inputs of the app's configuration, checked by `validateConfig` before
 * any construct is built: every error names the config path.
 */

const E0 = "config/environments[0]";
const E2 = "config/environments[2]";
const dev = exampleConfig.environments[0]!;
const production = exampleConfig.environments[2]!;
type Nexus = Extract<NonNullable<EnvironmentConfig["mirror"]>, { kind: "nexus" }>;
const nexus = production.mirror as Nexus;

const withGitLab = (patch: Record<string, unknown>, index = 0) => withEnv({ gitlab: { ...exampleConfig.environments[index]!.gitlab, ...patch } }, index);
const withNexus = (patch: Record<string, unknown>) => withEnv({ mirror: { ...nexus, ...patch } }, 2);
const withRaw = (remoteUrl: string) => withNexus({ rawProxies: [{ name: "files", remoteUrl }] });
/** validateConfig of the example with every environment's gitlab section patched (settings the environments of one instance share). */
const withEveryGitLab = (patch: Record<string, unknown>) => () =>
  validateConfig({ ...exampleConfig, environments: exampleConfig.environments.map((e) => ({ ...e, gitlab: { ...e.gitlab, ...patch } }) as EnvironmentConfig) });
/** Production's ACR entry, and validateConfig with it opted in to unprotected pull, dev's and staging's gitlab sections patched. */
const ACR_ENTRY = { registry: "registry.cn-hangzhou.aliyuncs.com", username: "acme-ci@acme", passwordVariable: "acr_password" };
const withPull = (devPatch: Record<string, unknown>, stagingPatch: Record<string, unknown> = {}) => () =>
  validateConfig({
    ...exampleConfig,
    environments: exampleConfig.environments.map((e, i) => {
      const patch = [devPatch, stagingPatch, { externalRegistries: [{ ...ACR_ENTRY, unprotectedPull: { username: "robot", passwordVariable: "acr_pull" } }] }][i]!;
      return { ...e, gitlab: { ...e.gitlab, ...patch } } as EnvironmentConfig;
    }),
  });
const withAccount = (patch: Record<string, unknown>) => withConfig({ accounts: [{ ...exampleConfig.accounts[0]!, ...patch }, exampleConfig.accounts[1]!] });

const region = (value: unknown, fix: RegExp): BadInput => ({ name: `region ${JSON.stringify(value)}`, run: withEnv({ region: value }), path: E0, subject: "region", value, rule: /an AWS region looks like eu-central-1/, fix });
const account = (value: unknown, rule: RegExp): BadInput => ({ name: `account id ${JSON.stringify(value)}`, run: withEnv({ accountId: value }), path: E0, subject: "accountId", value, rule, fix: /aws sts get-caller-identity .*quote it as a string/ });
const gitlabUrl = (url: string, rule: RegExp, fix: RegExp): BadInput => ({ name: `GitLab URL ${url}`, run: withGitLab({ url }), path: `${E0}/gitlab`, subject: "GitLab URL", value: url, rule, fix });
const cachePath = (path: string, rule: RegExp, fix: RegExp): BadInput => ({ name: `cache path ${JSON.stringify(path)}`, run: withEnv({ cache: { path } }), path: `${E0}/cache`, subject: "path", value: path, rule, fix });
const NOT_PUBLIC = /a proxy upstream is a public internet host, but .* is (link-local|loopback|private|unique local|shared address|a private DNS suffix|a single-label|localhost)/;
const upstream = (url: string, rule: RegExp): BadInput => ({ name: `raw proxy upstream ${url}`, run: withRaw(url), path: `${E2}/mirror/rawProxies[0]`, subject: "remoteUrl", value: url, rule, fix: /proxy only public upstreams|https base URL|if the upstream serves TLS/ });
const adminCidr = (cidr: string, rule: RegExp): BadInput => ({ name: `Nexus admin CIDR ${cidr}`, run: withNexus({ adminCidr: cidr }), path: `${E2}/mirror`, subject: "adminCidr", value: cidr, rule, fix: /VPN/ });

export const configRows: readonly BadInput[] = [
  // A pool's AMI parameter must name its instance types' architecture (EC2 refuses the launch otherwise).
  {
    name: "x86_64 AMI parameter with Graviton instance types",
    run: withEnv({ runners: { ...dev.runners!, instanceTypes: ["c7g.large"], imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" } }),
    path: `${E0}/runners`,
    subject: "imageId",
    value: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    rule: /names an x86_64 AMI, but the instance types \(c7g\.large\) are arm64/,
    fix: /al2023-ami-kernel-default-arm64/,
  },
  {
    name: "arm64 AMI parameter on the default (x86_64) deploy instance types",
    run: withEnv({ runners: { ...dev.runners!, deploy: { imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64" } } }),
    path: `${E0}/runners/deploy`,
    subject: "imageId",
    value: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    rule: /names an arm64 AMI, but the instance types \(the defaults\) are x86_64/,
    fix: /leave imageId unset/,
  },
  // Unclear errors made clear: region typos and malformed account ids name the near-miss, never a secret.
  region("eu-central1", /did you mean "eu-central-1"/),
  region("EU-CENTRAL-1", /did you mean "eu-central-1"/),
  region("eu_central_1", /did you mean "eu-central-1"/),
  region("eu-central", /did you mean "eu-central-1"/),
  region("Frankfurt", /not a display name such as 'Frankfurt'/),
  region("", /use a region code/),
  account("11111111111", /exactly 12 digits, given as a string, and this one has 11 digits/),
  account("1111111111111", /this one has 13 digits/),
  account("11111111111a", /characters other than digits/),
  account(111111111111, /the type number/),
  { name: "account stack with an 11-digit id", run: withAccount({ accountId: "11111111111" }), path: "config/accounts[0]", subject: "accountId", value: "11111111111", rule: /this one has 11 digits/, fix: /aws sts get-caller-identity/ },
  { name: "account stack with a region typo", run: withAccount({ region: "eu-central1" }), path: "config/accounts[0]", subject: "region", value: "eu-central1", rule: /an AWS region looks like/, fix: /did you mean "eu-central-1"/ },
  // GitLab URLs: the OIDC issuer has no port (refused at config check, not in a construct).
  gitlabUrl("https://gitlab.example.com:8443", /carries no port: it is the OIDC issuer/, /on port 443 and use "https:\/\/gitlab\.example\.com"/),
  gitlabUrl("https://gitlab.example.com:443", /carries no port/, /use "https:\/\/gitlab\.example\.com"/),
  gitlabUrl("https://gitlab.example.com:", /carries no port/, /port 443/),
  gitlabUrl("http://gitlab.example.com", /https:\/\/<host> with no path/, /use e\.g\. https:\/\/gitlab\.example\.com/),
  gitlabUrl("https://gitlab.example.com/", /no path, query or trailing slash/, /https:\/\/gitlab\.example\.com/),
  gitlabUrl("https://gitlab.example.com/gitlab", /no path/, /https:\/\/gitlab\.example\.com/),
  gitlabUrl("https://gitlab.example.com?x=1", /no path, query/, /https:\/\/gitlab\.example\.com/),
  gitlabUrl("https://ci:secret@gitlab.example.com", /no credentials/, /https:\/\/gitlab\.example\.com/),
  gitlabUrl("gitlab.example.com", /https:\/\/<host>/, /https:\/\/gitlab\.example\.com/),
  // One instance, one spelling: an upper-case host passed and failed later at an impossible path (environments[-1]).
  gitlabUrl("https://GitLab.example.com", /the host is written in lower case/, /use "https:\/\/gitlab\.example\.com"/),
  // Group and project paths: the fix is itself valid.
  { name: "group with a trailing slash", run: withGitLab({ group: "acme/" }), path: `${E0}/gitlab`, subject: "group", value: "acme/", rule: /top-level GitLab group path/, fix: /"acme"/ },
  { name: "group with a leading slash", run: withGitLab({ group: "/acme" }), path: `${E0}/gitlab`, subject: "group", value: "/acme", rule: /no leading or trailing slash/, fix: /"acme"/ },
  { name: "a subgroup as the group", run: withGitLab({ group: "acme/platform" }), path: `${E0}/gitlab`, subject: "group", value: "acme/platform", rule: /top-level/, fix: /"acme" \(subgroup projects are listed in gitlab\.projects\)/ },
  { name: "an empty group", run: withGitLab({ group: "" }), path: `${E0}/gitlab`, subject: "group", value: "", rule: /top-level GitLab group path/, fix: /"acme"/ },
  { name: "a project outside the group", run: withGitLab({ projects: ["other/app"], toolboxProject: undefined }), path: `${E0}/gitlab/projects[0]`, subject: "project path", value: "other/app", rule: /a project path inside the group/, fix: /starting with acme\// },
  // Empty lists: clear errors at the config path, not an internal construct path.
  { name: "an empty project list", run: withGitLab({ projects: [], toolboxProject: undefined }), path: `${E0}/gitlab/projects`, subject: "projects", value: [], rule: /serves at least one GitLab project/, fix: /projects: \["acme\/app"\]/ },
  { name: "an empty repository list", run: withEnv({ registry: { repositories: [] } }), path: `${E0}/registry/repositories`, subject: "repositories", value: [], rule: /at least one container repository/, fix: /repositories: \[\{ id: "app"/ },
  // Silently corrected before: a long description was cut to 256 characters.
  { name: "a repository description over 256 characters", run: withEnv({ registry: { repositories: [{ id: "app", description: "d".repeat(300) }] } }), path: `${E0}/registry/repositories[0]`, subject: "description", value: "300 characters", rule: /at most 256 characters; it is never cut short/, fix: /44 too many/ },
  { name: "an empty repository description", run: withEnv({ registry: { repositories: [{ id: "app", description: " " }] } }), path: `${E0}/registry/repositories[0]`, subject: "description", value: " ", rule: /says what its image is/, fix: /short description/ },
  { name: "two repositories with one id", run: withEnv({ registry: { repositories: [{ id: "app", description: "a" }, { id: "app", description: "b" }] } }), path: `${E0}/registry/repositories[1]`, subject: "repository id", value: "app", rule: /unique within an environment/, fix: /rename/ },
  // Cache paths GitLab Runner would rewrite (path.Join) or IAM would widen.
  cachePath("*", /'\*' and '\?' are IAM wildcards/, /use e\.g\. "runner-cache"/),
  cachePath("runner-cache/../other", /path\.Join.*'\.\.'/, /use e\.g\. "runner-cache\/other"/),
  cachePath(".", /'\.' and '\.\.' segments/, /"runner-cache"/),
  cachePath("..", /'\.\.' segments/, /"runner-cache"/),
  cachePath("a//b", /empty.*doubled '\/'/, /"a\/b"/),
  cachePath("/runner-cache", /leading, trailing or doubled/, /"runner-cache"/),
  cachePath("runner-cache/", /leading, trailing or doubled/, /"runner-cache"/),
  cachePath("cache/*/x", /IAM wildcards/, /"cache\/x"/),
  cachePath("cache?", /IAM wildcards/, /"cache"/),
  cachePath("runner cache", /S3's safe key characters/, /use e\.g\./),
  {
    name: "default access-log bucket name over 63 characters (derived from project, environment and account)",
    run: withConfig({ project: "acme-ci-platform-xyz", environments: exampleConfig.environments.map((e, i) => (i === 1 ? { ...e, name: "staging-eu-central1" } : e)) }),
    path: "config/environments[1]/cache",
    subject: "accessLogs.bucketName",
    value: "acme-ci-platform-xyz-staging-eu-central1-cache-111111111111-logs",
    rule: /must fit S3's 63 characters/,
    fix: /shorten the project or environment name/,
  },
  { name: "cache accessLogs as a string (plain JavaScript)", run: withEnv({ cache: { accessLogs: "yes" } }), path: `${E0}/cache`, subject: "accessLogs", value: "yes", rule: /false \(no audit trail\) or an options object/, fix: /pass false/ },
  { name: "a misspelt mirror kind (plain JavaScript)", run: withEnv({ mirror: { kind: "Nexus" } }), path: `${E0}/mirror`, subject: "kind", value: "Nexus", rule: /kind is one of "nexus", "ecr-pull-through"/, fix: /case-sensitive/ },
  // Nexus: admin network, upstreams (SSRF), credentialed anonymous pull.
  adminCidr("0.0.0.0/1", /at most a \/16 .*half the internet/),
  adminCidr("0.0.0.0/0", /at most a \/16/),
  adminCidr("10.0.0.0/8", /at most a \/16/),
  adminCidr("10.8.0.1/16", /no host bits set/),
  adminCidr("office", /an IPv4 network/),
  upstream("http://169.254.169.254/latest/meta-data/", /fetched over https/),
  upstream("https://169.254.169.254/latest/meta-data/", NOT_PUBLIC),
  upstream("https://[fd00:ec2::254]/latest/", NOT_PUBLIC),
  upstream("https://2852039166/", NOT_PUBLIC),
  upstream("https://0xa9.0xfe.0xa9.0xfe/", NOT_PUBLIC),
  upstream("https://[::ffff:169.254.169.254]/", NOT_PUBLIC),
  upstream("https://127.0.0.1:8081/service/rest/", NOT_PUBLIC),
  upstream("https://localhost/", NOT_PUBLIC),
  upstream("https://[::1]/", NOT_PUBLIC),
  upstream("https://10.0.12.7/files/", NOT_PUBLIC),
  upstream("https://172.16.0.10/", NOT_PUBLIC),
  upstream("https://192.168.1.20/", NOT_PUBLIC),
  upstream("https://100.64.3.3/", NOT_PUBLIC),
  upstream("https://[fc00::10]/", NOT_PUBLIC),
  upstream("https://[fe80::1]/", NOT_PUBLIC),
  upstream("https://mirror.ci.internal/", NOT_PUBLIC),
  upstream("https://nexus/", NOT_PUBLIC),
  upstream("http://lang-common.s3.amazonaws.com", /fetched over https/),
  upstream("https://user:pass@files.example.com/", /no credentials/),
  upstream("ftp://files.example.com/", /fetched over https/),
  { name: "a Docker Hub credential without a reason for anonymous pull", run: withNexus({ credentialedAnonymousPull: undefined }), path: `${E2}/mirror`, subject: "credentialedAnonymousPull", value: "(not set)", rule: /every job and host that reaches the connector gets the account's private images/, fix: /Public Repo Read-only/ },
  { name: "a Docker Hub credential with a token reason", run: withNexus({ credentialedAnonymousPull: { reason: "ok" } }), path: `${E2}/mirror`, subject: "credentialedAnonymousPull", value: { reason: "ok" }, rule: /anonymous pulls/, fix: /at least 20 characters/ },
  // Identity: a permissions boundary that is not a managed policy ARN.
  { name: "a permissions boundary that is not an ARN", run: withEnv({ identity: { ...dev.identity, permissionsBoundaryArn: "not-an-arn" } }), path: `${E0}/identity`, subject: "permissionsBoundaryArn", value: "not-an-arn", rule: /the ARN of a managed policy/, fix: /aws iam list-policies/ },
  { name: "a role ARN as the deployment boundary", run: withEnv({ identity: { ...production.identity, deployment: { ...production.identity!.deployment!, permissionsBoundaryArn: "arn:aws:iam::222222222222:role/boundary" } } }, 2), path: `${E2}/identity/deployment`, subject: "permissionsBoundaryArn", value: "arn:aws:iam::222222222222:role/boundary", rule: /not a policy name, role ARN/, fix: /copy the policy's ARN/ },
  { name: "a boundary in another partition", run: withEnv({ identity: { ...dev.identity, permissionsBoundaryArn: "arn:aws-cn:iam::111111111111:policy/boundary" } }), path: `${E0}/identity`, subject: "permissionsBoundaryArn partition", value: "arn:aws-cn:iam::111111111111:policy/boundary", rule: /in the partition of eu-central-1 \(aws\)/, fix: /arn:aws:iam::/ },
  // GitLab side: registries sharing a password variable get a clear error (not constructs' "There is already a Construct").
  { name: "two external registries sharing a password variable", run: withGitLab({ externalRegistries: [{ registry: "a.example.com", username: "u", passwordVariable: "pw" }, { registry: "b.example.com", username: "u", passwordVariable: "pw" }] }), path: `${E0}/gitlab/externalRegistries[1]`, subject: "passwordVariable", value: "pw", rule: /externalRegistries\[0\] already uses "pw"/, fix: /"pw_2"/ },
  { name: "one external registry listed twice", run: withGitLab({ externalRegistries: [{ registry: "a.example.com", username: "u", passwordVariable: "a" }, { registry: "A.example.com", username: "v", passwordVariable: "b" }] }), path: `${E0}/gitlab/externalRegistries[1]`, subject: "registry", value: "A.example.com", rule: /one entry per registry/, fix: /remove one/ },
  { name: "a password variable that is no Terraform name", run: withGitLab({ externalRegistries: [{ registry: "a.example.com", username: "u", passwordVariable: "acr password" }] }), path: `${E0}/gitlab/externalRegistries[0]`, subject: "passwordVariable", value: "acr password", rule: /a Terraform variable name/, fix: /acr_password/ },
  { name: "an external registry's credential in unprotected group variables", run: withGitLab({ externalRegistries: [{ registry: "a.example.com", username: "u", passwordVariable: "a" }] }), path: `${E0}/gitlab/externalRegistries[0]`, subject: "registry", value: "a.example.com", rule: /must be protected and have an environment scope other than \* \(they are not protected .*with scope "\*"\)/, fix: /gitlab\.variables\.protected: true and gitlab\.variables\.environmentScope: "dev" .*unprotectedPull in this same entry/ },
  { name: "an external registry's credential in the protected * variables (every job reads them; the shared stack cannot refer to the password)", run: withGitLab({ externalRegistries: [{ registry: "a.example.com", username: "u", passwordVariable: "a" }], variables: { protected: true } }), path: `${E0}/gitlab/externalRegistries[0]`, subject: "registry", value: "a.example.com", rule: /must be protected and have an environment scope other than \* \(they are protected .*with scope "\*"\)/, fix: /environmentScope: "dev"/ },
  { name: "an external registry on GitLab Free (no environment scopes on group variables)", run: withGitLab({ tier: "free", variables: undefined, group: "acme-prod" }, 2), path: `${E2}/gitlab/externalRegistries[0]`, subject: "registry", value: "registry.cn-hangzhou.aliyuncs.com", rule: /gitlab\.tier is free: GitLab Free has no environment scopes on group variables/, fix: /gitlab\.tier: "premium" .*ECR pull-through cache .*Nexus mirror/ },
  // Pull-only credentials for every job (externalRegistries[].unprotectedPull): a variable of their own, a * owner that is unprotected, one per registry.
  { name: "a pull-only credential in the protected credential's variable", run: withGitLab({ externalRegistries: [{ ...ACR_ENTRY, unprotectedPull: { username: "robot", passwordVariable: "acr_password" } }] }, 2), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "passwordVariable", value: "acr_password", rule: /names the credential of protected jobs/, fix: /"acr_password_pull"/ },
  { name: "a pull-only user name with a colon", run: withGitLab({ externalRegistries: [{ ...ACR_ENTRY, unprotectedPull: { username: "robot:pull", passwordVariable: "acr_pull" } }] }, 2), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "username", value: "robot:pull", rule: /without white space or ':'/, fix: /read-only robot's user name/ },
  { name: "a pull-only password variable that is no Terraform name", run: withGitLab({ externalRegistries: [{ ...ACR_ENTRY, unprotectedPull: { username: "robot", passwordVariable: "acr pull" } }] }, 2), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "passwordVariable", value: "acr pull", rule: /a Terraform variable name/, fix: /"acr_password_pull"/ },
  { name: "a pull-only credential while the group's * variables are protected", run: withPull({ variables: { protected: true } }), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "unprotectedPull", value: ACR_ENTRY.registry, rule: /defined by environment dev, are protected/, fix: /gitlab\.variables\.protected: false in environment dev/ },
  { name: "a pull-only credential in a group without * variables", run: withPull({ variables: { environmentScope: "dev" } }), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "unprotectedPull", value: ACR_ENTRY.registry, rule: /no environment of acme on https:\/\/gitlab\.example\.com defines the \* group variables/, fix: /another environment of acme no gitlab\.variables\.environmentScope/ },
  { name: "one registry's pull-only credentials differing between environments", run: withPull({}, { externalRegistries: [{ registry: ACR_ENTRY.registry, username: "s", passwordVariable: "acr_staging", unprotectedPull: { username: "other-robot", passwordVariable: "acr_pull" } }] }), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "unprotectedPull", value: { username: "robot", passwordVariable: "acr_pull" }, rule: /one DOCKER_AUTH_CONFIG entry per registry/, fix: /same username and passwordVariable everywhere/ },
  { name: "two registries' pull-only credentials in one variable", run: withPull({}, { externalRegistries: [{ registry: "harbor.example.com", username: "s", passwordVariable: "harbor", unprotectedPull: { username: "robot", passwordVariable: "acr_pull" } }] }), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "passwordVariable", value: "acr_pull", rule: /one Terraform variable per pull-only credential in the gitlab-shared stack/, fix: /"acr_pull_1"/ },
  { name: "a pull-only credential in another environment's protected variable", run: withPull({}, { externalRegistries: [{ registry: "harbor.example.com", username: "s", passwordVariable: "acr_pull" }] }), path: `${E2}/gitlab/externalRegistries[0]/unprotectedPull`, subject: "passwordVariable", value: "acr_pull", rule: /config\/environments\[1\]\/gitlab\/externalRegistries\[0\]\.passwordVariable names a credential of protected jobs/, fix: /separate read-only token/ },
  // Buildpack variables: only names a supported buildpack reads; one environment per group publishes them (scope *).
  { name: "a buildpack variable no buildpack reads", run: withGitLab({ buildpackVariables: { BUILDPACK_JVM_URL: { proxy: "lang-jvm" } } }, 2), path: `${E2}/gitlab/buildpackVariables/BUILDPACK_JVM_URL`, subject: "buildpack variable", value: "BUILDPACK_JVM_URL", rule: /no supported buildpack reads this name.*JVM_COMMON_BUILDPACK/, fix: /use one of the supported names, or put a variable of your own into rawProxyVariables/ },
  { name: "a buildpack variable in lower case", run: withGitLab({ buildpackVariables: { jvm_common_buildpack: { proxy: "buildpack-registry" } } }, 2), path: `${E2}/gitlab/buildpackVariables/jvm_common_buildpack`, subject: "buildpack variable", value: "jvm_common_buildpack", rule: /no supported buildpack reads this name/, fix: /did you mean JVM_COMMON_BUILDPACK\?/ },
  { name: "buildpack variables from two environments of one group", run: withGitLab({ autoDevOps: true }, 0), path: `${E2}/gitlab/buildpackVariables`, subject: "buildpack variables", value: "acme (environment scope *)", rule: /only one environment may own the buildpack variables/, fix: /in one environment of the group only/ },
  // Runners: an explicit list that registers the deploy runner for every branch.
  { name: "the deploy runner registered unprotected", run: withGitLab({ runners: [{ name: "build", tags: ["acme-ci-build"], untagged: true }, { name: "test", tags: ["acme-ci-test"] }, { name: "deploy", tags: ["acme-ci-deploy"] }] }, 2), path: `${E2}/gitlab/runners[2]`, subject: "protectedRefsOnly", value: undefined, rule: /takes jobs of protected branches and tags only/, fix: /protectedRefsOnly: true/ },
  // Which projects a runner serves: one per socket-binding runner unless reasoned; only tenants; the same across a pool.
  {
    name: "a socket-binding runner shared by two projects without a reason",
    run: withEnv({ runners: { ...dev.runners!, runners: dev.runners!.runners.map(({ sharedBetweenProjects: _, ...r }) => ({ ...r, projects: ["acme/app", "acme/web"] })) } }),
    path: `${E0}/runners/runners[0]`,
    subject: "projects",
    value: { runner: "build", projects: ["acme/app", "acme/web"] },
    rule: /makes each job root on the host's docker daemon, which the jobs of every project it serves use/,
    fix: /projects: \["acme\/app"\].*sharedBetweenProjects: \{ reason/,
  },
  { name: "a runner serving a project that is not a tenant", run: withEnv({ runners: { ...dev.runners!, runners: dev.runners!.runners.map((r) => ({ ...r, projects: ["acme/other"] })) } }), path: `${E0}/runners/runners[0]/projects[0]`, subject: "project", value: "acme/other", rule: /projects of the environment's gitlab.projects/, fix: /use one of acme\/app, acme\/web, acme\/toolbox/ },
  { name: "limits on unprotected pushes without an unprotected pool", run: withEnv({ identity: { ...production.identity, mergeRequestPushRepositories: ["app-ci"] } }, 2), path: `${E2}/identity/mergeRequestPushRepositories`, subject: "mergeRequestPushRepositories", value: ["app-ci"], rule: /has no unprotected roles/, fix: /add an unprotected pool/ },
  // Host mounts on the protected pool: refused at the config path (the socket comes only through dockerAccess).
  ...["/:/host", "/var/run:/var/run", "//var//run//docker.sock:/s"].map(
    (spec): BadInput => ({
      name: `protected runner volume ${spec}`,
      run: withEnv({ runners: { ...dev.runners!, runners: [{ ...dev.runners!.runners[0]!, volumes: [spec] }] } }),
      path: `${E0}/runners/runners[0]/volumes[0]`,
      subject: "volume",
      value: spec,
      rule: /a job container must not mount (the host's root|\/var\/run\/docker\.sock)/,
      fix: /remove the volume|dedicated directory/,
    }),
  ),
  // Host directories on the unprotected pool: an allowlist (container paths and named volumes), not a denylist that misses /usr, /home or /opt.
  ...["/usr:/hostusr", "/home:/h", "/opt:/o:rw"].map(
    (spec): BadInput => ({
      name: `unprotected runner volume ${spec}`,
      run: withEnv({ runners: { ...dev.runners!, unprotected: { ...dev.runners!.unprotected!, runners: [{ ...dev.runners!.unprotected!.runners[0]!, volumes: ["/cache", spec] }] } } }),
      path: `${E0}/runners/unprotected/runners[0]/volumes[1]`,
      subject: "volume",
      value: spec,
      rule: /a runner taking unprotected jobs must not give them host paths.*mounts \/(usr|home|opt) of the host \(a host directory; only container paths such as \/cache and named docker volumes are allowed\)/,
      fix: /remove the volume, or use a named docker volume/,
    }),
  ),
  // Names and state.
  { name: "a project name with upper case", run: withConfig({ project: "Acme" }), path: "config/project", subject: "project name", value: "Acme", rule: /lower-case letters/, fix: /acme-ci/ },
  { name: "an environment name with upper case", run: withEnv({ name: "Dev" }), path: E0, subject: "environment name", value: "Dev", rule: /lower-case letters/, fix: /dev, staging or production/ },
  { name: "two environments with one name", run: withEnv({ name: "staging" }), path: "config/environments[1]", subject: "environment name", value: "staging", rule: /environment names are unique/, fix: /rename/ },
  { name: "a state key that climbs out", run: withEnv({ stateKey: "../other.tfstate" }), path: E0, subject: "stateKey", value: "../other.tfstate", rule: /no '\.\.'/, fix: /acme-ci\/dev\.tfstate/ },
  { name: "a backend bucket with upper case", run: withConfig({ backend: { kind: "s3", bucket: "Acme-State", region: "eu-central-1" } }), path: "config/backend", subject: "bucket", value: "Acme-State", rule: /3-63 characters of lower-case/, fix: /lower-case/ },
  // The GitLab version check (fork merge-request sub claims) is shared by the environments of one instance.
  {
    name: "one environment skipping the GitLab version check while another on the instance checks",
    run: withGitLab({ skipVersionCheck: { reason: "no forks" } }, 1),
    path: `${E0}/gitlab/skipVersionCheck`,
    subject: "skipVersionCheck",
    value: undefined,
    rule: /share one version check, and config\/environments\[1\]\/gitlab\/skipVersionCheck skips it/,
    fix: /the same skipVersionCheck, or drop it everywhere/,
  },
  {
    name: "skipping the GitLab version check without a reason",
    run: withEveryGitLab({ skipVersionCheck: { reason: "  " } }),
    path: `${E0}/gitlab/skipVersionCheck`,
    subject: "reason",
    value: "  ",
    rule: /needs a written reason/,
    fix: /no merge-request pipelines from forks run in the parent projects/,
  },
  {
    name: "GitLab minimum versions whose newest is before 18.2.2 (a backport line alone)",
    run: withEveryGitLab({ minimumVersions: ["18.1.5"] }),
    path: `${E0}/gitlab/minimumVersions`,
    subject: "minimumVersions",
    value: ["18.1.5"],
    rule: /the newest listed version is the minimum for every later line/,
    fix: /list "18\.2\.2" \(or later\) too/,
  },
  {
    name: "GitLab minimum versions with an unpatched 18.2 release beside a newer one",
    run: withEveryGitLab({ minimumVersions: ["19.0.0", "18.2.1"] }),
    path: `${E0}/gitlab/minimumVersions`,
    subject: "minimumVersions",
    value: ["19.0.0", "18.2.1"],
    rule: /18\.2\.1 is on the 18\.2 line below 18\.2\.2, the first release of that line with the fork merge-request ID token fix/,
    fix: /raise 18\.2\.1 to 18\.2\.2 or later on its line, or drop it/,
  },
  {
    name: "GitLab minimum versions given by only some environments of an instance",
    run: withGitLab({ minimumVersions: ["18.2.2", "18.1.5"] }, 1),
    path: `${E0}/gitlab/minimumVersions`,
    subject: "minimumVersions",
    value: undefined,
    rule: /share one version check, and config\/environments\[1\]\/gitlab\/minimumVersions sets/,
    fix: /the same minimumVersions, or drop it everywhere/,
  },
  { name: "a GitLab minimum version without a patch number", run: withEveryGitLab({ minimumVersions: ["18.2"] }), path: `${E0}/gitlab/minimumVersions`, subject: "minimumVersions", value: ["18.2"], rule: /one or more <major>\.<minor>\.<patch> versions/, fix: /use e\.g\. \["18\.2\.2", "18\.1\.5"\]/ },
  { name: "an empty list of GitLab minimum versions", run: withEveryGitLab({ minimumVersions: [] }), path: `${E0}/gitlab/minimumVersions`, subject: "minimumVersions", value: [], rule: /one or more <major>\.<minor>\.<patch> versions/, fix: /or drop it for 18\.2\.2/ },
  // The same mistake at two paths is reported at each (the second environment's line is not dropped as a repeat of the first).
  { name: "the same bad cache expiry in a second environment", run: () => validateConfig({ ...exampleConfig, environments: exampleConfig.environments.map((e, i) => (i < 2 ? { ...e, cache: { ...e.cache, expirationDays: 0 } } : e)) }), path: "config/environments[1]/cache", subject: "expirationDays", value: 0, rule: /a whole number of days, at least 1/, fix: /use e\.g\. 14/ },
  // A field of the wrong type is reported at its own path (the deploy role's account comparison skips it).
  { name: "an account stack's id given as a number (with a deploy role)", run: withAccount({ accountId: 111111111111 }), path: "config/accounts[0]", subject: "accountId", value: 111111111111, rule: /given as a string, and this one has the type number/, fix: /quote it as a string/ },
  // Shape: what TypeScript checks for a typed configuration, checked for .js and .json ones too, before any rule reads it.
  { name: "a configuration without accounts", run: () => validateConfig({ project: "x" } as unknown as PlatformConfig), path: "config", subject: "accounts", value: undefined, rule: /accounts is required \(a list/, fix: /add accounts/ },
  { name: "gitLab instead of gitlab", run: () => validateConfig({ ...exampleConfig, environments: [{ ...dev, gitLab: dev.gitlab } as unknown as EnvironmentConfig] }), path: E0, subject: "key", value: "gitLab", rule: /a known setting of config\/environments\[0\]/, fix: /did you mean "gitlab"/ },
  { name: "runners.runners as an object", run: withEnv({ runners: { ...dev.runners!, runners: dev.runners!.runners[0] } }), path: `${E0}/runners`, subject: "runners", value: dev.runners!.runners[0], rule: /runners is a list \[\.\.\.\], not an object/, fix: /give runners as a list/ },
  { name: "a repository entry that is a string", run: withEnv({ registry: { ...dev.registry, repositories: ["app"] } }), path: `${E0}/registry/repositories[0]`, subject: "repositories[0]", value: "app", rule: /an object \{ \.\.\. \}, not a string/, fix: /give repositories\[0\] as an object/ },
  { name: "a misspelt backend key", run: withConfig({ backnd: { kind: "local" } } as unknown as Partial<PlatformConfig>), path: "config", subject: "key", value: "backnd", rule: /a known setting of config/, fix: /did you mean "backend"/ },
  // Construct rules at the config field that feeds them (the same functions the constructs call).
  { name: "runner network cidr /33", run: withEnv({ runners: { ...dev.runners!, network: { cidr: "10.0.0.0/33" } } }), path: `${E0}/runners/network`, subject: "cidr", value: "10.0.0.0/33", rule: /prefix from \/16 to \/24/, fix: /10\.0\.0\.0\/16/ },
  { name: "cache expirationDays -3", run: withEnv({ cache: { ...dev.cache, expirationDays: -3 } }), path: `${E0}/cache`, subject: "expirationDays", value: -3, rule: /a whole number of days, at least 1/, fix: /use e\.g\. 14/ },
  { name: "runner limit 0", run: withEnv({ runners: { ...dev.runners!, runners: [{ ...dev.runners!.runners[0]!, limit: 0 }, ...dev.runners!.runners.slice(1)] } }), path: `${E0}/runners/runners[0]`, subject: "limit", value: 0, rule: /0 would mean unlimited/, fix: /jobs this runner may run at once/ },
  { name: "maxJobTimeoutSeconds 30", run: withEnv({ runners: { ...dev.runners!, maxJobTimeoutSeconds: 30 } }), path: `${E0}/runners`, subject: "maxJobTimeoutSeconds", value: 30, rule: /seconds ≥ 60/, fix: /longest job timeout/ },
  { name: "unprotected runner dockerAccess misspelt", run: withEnv({ runners: { ...dev.runners!, unprotected: { ...dev.runners!.unprotected!, runners: [{ ...dev.runners!.unprotected!.runners[0]!, dockerAccess: "Socket-Binding" }] } } }), path: `${E0}/runners/unprotected/runners[0]`, subject: "dockerAccess", value: "Socket-Binding", rule: /dockerAccess is one of "socket-binding", "dind", "none"/, fix: /case-sensitive/ },
  { name: "imageStorageGiB 0.5", run: withEnv({ runners: { ...dev.runners!, imageStorageGiB: 0.5 } }), path: `${E0}/runners`, subject: "imageStorageGiB", value: 0.5, rule: /a whole number of GiB ≥ 1/, fix: /estimate the images/ },
  { name: "NAT gateway mode misspelt", run: withEnv({ runners: { ...dev.runners!, network: { cidr: "10.10.0.0/16", natGateways: "per-AZ" } } }), path: `${E0}/runners/network`, subject: "natGateways", value: "per-AZ", rule: /natGateways is one of "single", "per-az"/, fix: /case-sensitive/ },
  // More construct rules at their config fields: the deployment role, the fleets' sizes and spot mix, the registry settings, the tag scheme.
  { name: "deployment statement without actions", run: withEnv({ identity: { deployment: { statements: [{ actions: [], resources: ["arn:aws:s3:::state/dev/*"] }] } } }), path: `${E0}/identity/deployment/statements[0]`, subject: "statement", rule: /at least one action on at least one resource/, fix: /fill in actions and resources/ },
  { name: "deployment statement effect in lower case", run: withEnv({ identity: { deployment: { statements: [{ effect: "allow", actions: ["s3:GetObject"], resources: ["arn:aws:s3:::state/dev/*"] }] } } }), path: `${E0}/identity/deployment/statements[0]`, subject: "effect", value: "allow", rule: /effect is one of "Allow", "Deny"/, fix: /case-sensitive/ },
  { name: "deployment section without permissions", run: withEnv({ identity: { deployment: {} } }), path: `${E0}/identity/deployment`, subject: "permissions", rule: /needs permissions supplied by its caller/, fix: /managedPolicyArns .* or statements/ },
  { name: "deployment managed policy given by name", run: withEnv({ identity: { deployment: { managedPolicyArns: ["ReadOnlyAccess"] } } }), path: `${E0}/identity/deployment/managedPolicyArns[0]`, subject: "managed policy ARN", value: "ReadOnlyAccess", rule: /arn:<partition>:iam::<account id\|aws>:policy/, fix: /copy the ARN/ },
  { name: "CI role session of ten minutes", run: withEnv({ identity: { maxSessionDurationSeconds: 600 } }), path: `${E0}/identity`, subject: "maxSessionDurationSeconds", value: 600, rule: /from 3600 \(1 hour\) to 43200/, fix: /use e\.g\. 3600/ },
  { name: "fleet minSize 0 with job-slot scaling", run: withEnv({ runners: { ...production.runners!, capacity: { minSize: 0, maxSize: 6 } } }, 2), path: `${E2}/runners`, subject: "capacity.minSize", value: 0, rule: /with job-slot scaling the group must keep at least one host/, fix: /minSize ≥ 1/ },
  { name: "on-demand percentage 150", run: withEnv({ runners: { ...production.runners!, purchase: { onDemandPercentageAboveBaseCapacity: 150 } } }, 2), path: `${E2}/runners`, subject: "purchase.onDemandPercentageAboveBaseCapacity", value: 150, rule: /a whole percentage from 0 to 100/, fix: /100 \(all on-demand\)/ },
  { name: "spot allocation strategy lowest-price", run: withEnv({ runners: { ...production.runners!, purchase: { spotAllocationStrategy: "lowest-price" } } }, 2), path: `${E2}/runners`, subject: "purchase.spotAllocationStrategy", value: "lowest-price", rule: /"capacity-optimized", "price-capacity-optimized"/, fix: /case-sensitive/ },
  { name: "deploy pool on-demand base -1", run: withEnv({ runners: { ...production.runners!, deploy: { purchase: { onDemandBaseCapacity: -1 } } } }, 2), path: `${E2}/runners/deploy`, subject: "purchase.onDemandBaseCapacity", value: -1, rule: /a whole number ≥ 0/, fix: /never be interrupted/ },
  { name: "pull-through upstream dockerhub", run: withAccount({ registry: { pullThroughCache: [{ upstream: "dockerhub" }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]", subject: "upstream", value: "dockerhub", rule: /pull-through cache supports ecr-public, k8s, quay, docker-hub/, fix: /use one of those upstreams/ },
  { name: "pull-through docker-hub without a credential", run: withAccount({ registry: { pullThroughCache: [{ upstream: "ecr-public" }, { upstream: "docker-hub" }] } }), path: "config/accounts[0]/registry/pullThroughCache[1]", subject: "credentialSecretArn", value: undefined, rule: /needs a Secrets Manager secret/, fix: /ecr-pullthroughcache\/docker-hub/ },
  // Cache repositories created up front: ECR repository names (CreateRepository repositoryName: 2-256 characters of the name grammar), once each.
  { name: "cached repository path with the rule's prefix", run: withAccount({ registry: { pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["ecr-public/docker/library/alpine"] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[0]", subject: "upstream repository path", value: "ecr-public/docker/library/alpine", rule: /without the rule's prefix \(this one would create ecr-public\/ecr-public\/docker\/library\/alpine\)/, fix: /remove the leading ecr-public\// },
  { name: "cached repository path empty (the prefix itself)", run: withAccount({ registry: { pullThroughCache: [{ upstream: "quay", cachedRepositories: [""] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[0]", subject: "upstream repository path", value: "", rule: /names the prefix quay itself/, fix: /docker\/library\/alpine/ },
  { name: "cached repository in upper case", run: withAccount({ registry: { pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/Alpine"] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[0]", subject: "repository name", value: "ecr-public/docker/library/Alpine", rule: /lower-case letters and digits/, fix: /ecr-public\/docker\/library\/alpine/ },
  { name: "cached repository name over 256 characters", run: withAccount({ registry: { pullThroughCache: [{ upstream: "k8s", cachedRepositories: [`${"a".repeat(250)}/pause`] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[0]", subject: "repository name", value: `k8s/${"a".repeat(250)}/pause`, rule: /2 to 256 characters/, fix: /shorten/ },
  { name: "cached Docker Hub official image without library/", run: withAccount({ registry: { pullThroughCache: [{ upstream: "docker-hub", credentialSecretArn: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ecr-pullthroughcache/docker-hub-AbCdEf", cachedRepositories: ["alpine"] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[0]", subject: "upstream repository path", value: "alpine", rule: /pulled through the cache as docker-hub\/library\/<name>.*docker-hub\/alpine would be a repository no pull uses/, fix: /library\/alpine/ },
  { name: "cached repository listed twice", run: withAccount({ registry: { pullThroughCache: [{ upstream: "ecr-public", cachedRepositories: ["docker/library/alpine", "docker/library/alpine"] }] } }), path: "config/accounts[0]/registry/pullThroughCache[0]/cachedRepositories[1]", subject: "cached repository", value: "ecr-public/docker/library/alpine", rule: /each cached repository is created once/, fix: /list the upstream path once/ },
  { name: "registry scan type in lower case", run: withAccount({ registry: { scanning: { scanType: "basic" } } }), path: "config/accounts[0]/registry", subject: "scanning.scanType", value: "basic", rule: /"BASIC", "ENHANCED"/, fix: /case-sensitive/ },
  { name: "tag kind retention of 0 images", run: withEnv({ registry: { ...production.registry, tagScheme: { kinds: { commit: { retention: { maxCount: 0 } } } } } }, 2), path: `${E2}/registry/tagScheme/kinds/commit`, subject: "retention maxCount", value: 0, rule: /a whole number greater than 0/, fix: /keep at least 1 image/ },
  {
    name: "a branch kind tagged by the branch name (feature/x pushes branch-feature/x, no Docker tag)",
    run: withEnv({ registry: { ...production.registry, tagScheme: { kinds: { branch: { ciTag: "branch-${CI_COMMIT_REF_NAME}", mutable: true } } } } }, 2),
    path: `${E2}/registry/tagScheme/kinds/branch`,
    subject: "ciTag",
    value: "branch-${CI_COMMIT_REF_NAME}",
    rule: /\$\{CI_COMMIT_REF_NAME\} is the branch or tag name: feature\/x gives branch-feature\/x, which the registry refuses at push/,
    fix: /use \$\{CI_COMMIT_REF_SLUG\}/,
  },
  {
    name: "unprotected repository age bound of 0 days",
    run: withEnv({ registry: { ...dev.registry, repositories: [{ ...dev.registry.repositories[0]!, unprotectedMaxAgeDays: 0 }, ...dev.registry.repositories.slice(1)] } }),
    path: `${E0}/registry/repositories[0]`,
    subject: "unprotectedMaxAgeDays",
    value: 0,
    rule: /must be a whole number greater than 0/,
    fix: /expire the unprotected repository's other images after at least 1 day/,
  },
  { name: "tag scheme using an unknown kind", run: withEnv({ registry: { ...production.registry, tagScheme: { use: ["commits"] } } }, 2), path: `${E2}/registry/tagScheme`, subject: "use", value: "commits", rule: /`use` lists built-in tag kinds/, fix: /name a built-in kind/ },
  { name: "catch-all retention with count and age", run: withEnv({ registry: { ...dev.registry, repositories: [{ ...dev.registry.repositories[0]!, catchAllRetention: { maxCount: 10, maxAgeDays: 30 } }, ...dev.registry.repositories.slice(1)] } }), path: `${E0}/registry/repositories[0]/catchAllRetention`, subject: "retention", rule: /either \{ maxCount \} or \{ maxAgeDays \}/, fix: /exactly one/ },
  // Sections of a union type take only their variant's keys (nothing is silently ignored).
  { name: "raw proxies on an ECR pull-through mirror", run: withEnv({ mirror: { kind: "ecr-pull-through", rawProxies: [] } }), path: `${E0}/mirror`, subject: "key", value: "rawProxies", rule: /a known setting of config\/environments\[0\]\/mirror for kind "ecr-pull-through" \(kind, prefixes\)/, fix: /does not apply to kind "ecr-pull-through"/ },
  { name: "an existing network with a cidr", run: withEnv({ runners: { ...dev.runners!, network: { existing: { vpcId: "vpc-0123456789abcdef0", privateSubnetIds: ["subnet-0a1b2c3d"] }, cidr: "10.10.0.0/16" } } }), path: `${E0}/runners/network`, subject: "key", value: "cidr", rule: /for an existing network \(existing\)/, fix: /does not apply to an existing network/ },
  { name: "a local backend with a bucket", run: withConfig({ backend: { kind: "local", bucket: "acme-state" } as unknown as PlatformConfig["backend"] }), path: "config/backend", subject: "key", value: "bucket", rule: /for kind "local" \(kind\)/, fix: /does not apply to kind "local"/ },
  { name: "backend kind S3 in upper case", run: withConfig({ backend: { kind: "S3", bucket: "acme-state", region: "eu-central-1" } as unknown as PlatformConfig["backend"] }), path: "config/backend", subject: "kind", value: "S3", rule: /kind is one of "local", "s3"/, fix: /case-sensitive/ },
  { name: "lastGoodDigest true", run: withEnv({ deploy: { ...production.deploy, lastGoodDigest: true } }, 2), path: `${E2}/deploy`, subject: "lastGoodDigest", value: true, rule: /lastGoodDigest is false \(off\) or its settings/, fix: /write false to turn it off/ },
  { name: "flowLogs true", run: withEnv({ runners: { ...dev.runners!, network: { cidr: "10.10.0.0/16", flowLogs: true } } }), path: `${E0}/runners/network`, subject: "flowLogs", value: true, rule: /flowLogs is false \(off\) or its settings/, fix: /remove flowLogs for the default/ },
  { name: "a registration tag with a trailing blank (another environment's tag without it looked different to the overlap check)", run: withGitLab({ runners: [{ name: "build", tags: ["shared-build "], protectedRefsOnly: true }, { name: "test", tags: ["acme-ci-dev-t"], protectedRefsOnly: true }, { name: "mr", tags: ["acme-ci-dev-m"] }] }), path: `${E0}/gitlab/runners[0]/tags[0]`, subject: "runner tag", value: "shared-build ", rule: /without leading or trailing white space/, fix: /remove the white space around the tag/ },
  { name: "a group runner reason given as a number", run: withGitLab({ runners: [{ name: "build", groupRunner: { reason: 20 } }] }), path: `${E0}/gitlab/runners[0]/groupRunner`, subject: "reason", value: 20, rule: /reason is "\.\.\."/, fix: /give reason as "\.\.\."/ },
  // Promotion and deployment (deploy-rows.ts).
  // The Git tags that release: one pattern for the protected roles, GitLab's tag protection and the templates' Git tag pipelines.
  {
    name: "release tags wider than the Git tags a custom release kind releases (release-${CI_COMMIT_TAG} with prefix release-v: Git tags v*)",
    run: withEnv({ registry: { ...dev.registry, tagScheme: { kinds: { release: { prefix: "release-v", ciTag: "release-${CI_COMMIT_TAG}" } } } }, identity: { ...dev.identity, releaseTags: "1.*" } }),
    path: `${E0}/identity/releaseTags`,
    subject: "release tag pattern",
    value: "1.*",
    rule: /may trust only tags the CI templates release \("v\*"\)/,
    fix: /use "v\*" or a narrower pattern inside it/,
  },
  {
    name: "release tags ?* next to the documented release kind (prefix release-, ciTag release-${CI_COMMIT_TAG})",
    run: withEnv({ registry: { ...dev.registry, tagScheme: { kinds: { release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } } } }, identity: { ...dev.identity, releaseTags: "?*" } }),
    path: `${E0}/identity/releaseTags`,
    subject: "release tag pattern",
    value: "?*",
    rule: /a pattern of wildcards only trusts every tag, and any Developer can push a tag/,
    fix: /use the release selector of the CI templates, "v\*\.\*\.\*"/,
  },
  {
    name: "production protecting live-* deploy tags while the instance's published templates (dev's tag scheme) push deployed-<env> (one GitLab instance, one set of tag kinds)",
    run: withEnv({ registry: { ...production.registry, tagScheme: { ...production.registry.tagScheme, kinds: { ...production.registry.tagScheme?.kinds, deployed: { prefix: "live-", ciTag: "live-${CI_ENVIRONMENT_NAME}", protected: true, mutable: true } } } } }, 2),
    path: `${E2}/registry/tagScheme/kinds/deployed`,
    subject: "tag kind",
    value: { selector: 'prefix "live-"', ciTag: "live-${CI_ENVIRONMENT_NAME}", mutable: true, protected: true },
    rule: /a kind whose tags are pushed into this environment's registry by the published CI templates \(image-reuse\.yml, deploy\.yml\) and the toolbox project's CI file \(acme\/toolbox\/\.gitlab-ci\.yml\) of https:\/\/gitlab\.example\.com selects the same tags and has the CI tag, mutability and protection it has in environments\[0\] \(dev\)/,
    fix: /give kind deployed the same prefix or pattern \(as far as the tags it selects\), ciTag, mutable and protected in every environment on https:\/\/gitlab\.example\.com/,
  },
  {
    name: "production's own kinds without a CI tag (sha-*0*, v*.*) selecting the tags the published templates push in release pipelines: 4 retained kinds on one image, more than its maxKindsPerImage 3",
    run: () => {
      // The release kind by count in every environment (as the templates' dev has it); only production adds kinds of its own.
      const release = { protected: false, retention: { maxCount: 1000 } };
      const own = (i: number): Record<string, TagKindOptions> => (i === 2 ? { shaKeep: { pattern: "sha-*0*", retention: { maxCount: 500 } }, vKeep: { pattern: "v*.*", retention: { maxCount: 200 } } } : {});
      validateConfig({ ...exampleConfig, environments: exampleConfig.environments.map((e, i) => ({ ...e, registry: { ...e.registry, tagScheme: { ...e.registry.tagScheme, kinds: { ...e.registry.tagScheme?.kinds, release, ...own(i) } } } })) });
    },
    path: `${E2}/registry/tagScheme`,
    subject: "tag kinds",
    value: ["commit", "release"],
    rule: /built from the tag scheme of environments\[0\] \(dev\)\) .*so the checks of what one pipeline pushes must hold with it too; with this scheme, tags\/gitTag: gitTag pipelines put 4 retained primary kinds on the commit image \(commit, release, shaKeep, vKeep/,
    fix: /raise maxKindsPerImage of the tag scheme to 4.*the files' plan is that of environments\[0\] \(dev\)/,
  },
  {
    name: "a second environment on one GitLab instance declaring gitlab.ciTemplates (another project, never published)",
    run: withGitLab({ ciTemplates: { project: "acme/prod-templates" } }, 2),
    path: `${E2}/gitlab/ciTemplates`,
    subject: "ciTemplates",
    value: "acme/prod-templates",
    rule: /one ciTemplates per GitLab instance: the shared GitLab stack of https:\/\/gitlab\.example\.com publishes the CI templates of the first environment declaring it, environments\[0\] \(dev: acme\/ci-templates\)/,
    fix: /declare gitlab\.ciTemplates in one environment per GitLab instance/,
  },
  {
    name: "production releasing v1.*.* next to the instance's published templates releasing v*.*.* (one GitLab instance, one release pattern)",
    run: withEnv({ identity: { ...production.identity, releaseTags: "v1.*.*" } }, 2),
    path: `${E2}/identity/releaseTags`,
    subject: "release tag pattern",
    value: "v1.*.*",
    rule: /the environments on https:\/\/gitlab\.example\.com share its published CI templates, whose Git tag pipelines run for one release pattern, but environments\[0\] \(dev\) releases "v\*\.\*\.\*"/,
    fix: /give every environment on https:\/\/gitlab\.example\.com the same identity\.releaseTags \(e\.g\. "v\*\.\*\.\*"\)/,
  },
  {
    name: "release tags rel/* with the documented release kind (its image tags release-rel/… are no Docker tags)",
    run: withEnv({ registry: { ...dev.registry, tagScheme: { kinds: { release: { prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}" } } } }, identity: { ...dev.identity, releaseTags: "rel/*" } }),
    path: `${E0}/identity/releaseTags`,
    subject: "release tag pattern",
    value: "rel/*",
    rule: /the pattern holds "\/", outside the Docker tag alphabet/,
    fix: /use only letters, digits, '_', '\.', '-' and '\*'/,
  },
  ...deployRows,
];
