import { TerraformVariable } from "cdktf";
import { RunnerCacheBucket, type RunnerCacheBucketProps } from "../../lib/cache/cache-bucket";
import { dependencyCacheJobs } from "../../lib/gitlab/build-cache";
import { DockerAuthConfig } from "../../lib/gitlab/docker-auth-config";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { ProtectedDeployEnvironments } from "../../lib/gitlab/deploy-environments";
import { toolboxCiFile } from "../../lib/gitlab/toolbox-project";
import { CiVariables, type CiVariableOptions } from "../../lib/gitlab/ci-variable";
import { GitLabVersionCheck } from "../../lib/gitlab/gitlab-version-check";
import { RunnerRegistration } from "../../lib/gitlab/runner-registration";
import { type PolicyStatement } from "../../lib/core/iam";
import { DeploymentRole } from "../../lib/identity/deployment-role";
import { GitLabCiRole, type GitLabCiRoleProps } from "../../lib/identity/gitlab-ci-role";
import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { InstanceRole } from "../../lib/identity/instance-role";
import { StaticCredentials, type StaticCredentialsProps } from "../../lib/identity/static-credentials";
import { NexusMirror, type NexusMirrorProps } from "../../lib/mirror/nexus-mirror";
import { GitLabCiPlatform } from "../../lib/platform/platform";
import { Network, type NetworkProps } from "../../lib/network/network";
import { ContainerRepository, type ContainerRepositoryProps } from "../../lib/registry/repository";
import { TagScheme, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { type DockerExecutorSettings, validateRunnerConfig } from "../../lib/runner/config-toml";
import { SecretsKey } from "../../lib/secrets/secrets-key";
import { autoscalerFleet, mrRunner, protectedRunner } from "../runner/autoscaler/fixtures";
import { testStack } from "../support/synth";
import { type BadInput } from "./matrix";
import { tagRows } from "./tag-rows";

/*
 * Bad inputs of single constructs, as a user of the library passes them
 * (TypeScript or plain JavaScript): every error names the construct path.
 */

// ---- RunnerCacheBucket ----
const cache = (props: Partial<RunnerCacheBucketProps>) => () => new RunnerCacheBucket(testStack(), "cache", { bucketName: "acme-ci-dev-cache-111111111111", region: "eu-central-1", ...props });
const cachePath = (path: string, rule: RegExp): BadInput => ({ name: `cache bucket path ${JSON.stringify(path)}`, run: cache({ path }), path: "test/cache", subject: "path", value: path, rule, fix: /use e\.g\. "/ });

// ---- NexusMirror ----
const NETWORK = { vpcId: "vpc-0a1b2c3d4e5f60718", privateSubnetIds: ["subnet-0a1b2c3d4e5f60718"] };
const SECRET = "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ci/docker-hub-AbCdEf";
const mirror = (props: Partial<NexusMirrorProps>) => () => new NexusMirror(testStack(), "mirror", { name: "acme-mirror", accountId: "222222222222", region: "eu-central-1", network: NETWORK, ...props });
const raw = (remoteUrl: string, rule: RegExp): BadInput => ({
  name: `Nexus raw proxy upstream ${remoteUrl}`,
  run: mirror({ rawProxies: [{ name: "files", remoteUrl }] }),
  path: "test/mirror/rawProxies[0]",
  subject: "remoteUrl",
  value: remoteUrl,
  rule,
  fix: /public upstreams|https base URL|serves TLS/,
});
const NOT_PUBLIC = /is a public internet host, but/;

// ---- Docker volumes of a runner ----
const RUNNER = { name: "build", url: "https://gitlab.example.com", token: "@@RUNNER_TOKEN_0@@", limit: 2 };
const docker = (settings: Partial<DockerExecutorSettings>) => () =>
  validateRunnerConfig("test/fleet", { runners: [{ ...RUNNER, docker: { image: "alpine:3.20", dockerAccess: "none", ...settings } as DockerExecutorSettings }] });
const volume = (spec: string, forbidden: RegExp): BadInput => ({
  name: `docker volume ${spec}`,
  run: docker({ volumes: [spec] }),
  path: "test/fleet/runners[0]/docker",
  subject: "volumes[0]",
  value: spec,
  rule: forbidden,
  fix: /remove the volume|mount a dedicated directory/,
});

// ---- CI variables ----
const variables = (vars: readonly CiVariableOptions[]) => () => new CiVariables(testStack(), "vars", { target: { group: "acme" }, variables: vars });
const withSecretToken = (variable: Omit<CiVariableOptions, "value">) => () => {
  const stack = testStack();
  const value = new TerraformVariable(stack, "secret", { type: "string", sensitive: true }).stringValue;
  return new CiVariables(stack, "vars", { target: { group: "acme" }, variables: [{ ...variable, value }] });
};

// ---- Identity ----
const ciRole = (props: Partial<GitLabCiRoleProps>) => () => {
  const stack = testStack();
  const provider = GitLabOidcProvider.fromExisting(stack, "oidc", { url: "https://gitlab.example.com", accountId: "111111111111" });
  return new GitLabCiRole(stack, "ci", { provider, roleName: "acme-ci-dev-build", region: "eu-central-1", subjects: [{ projectPath: "acme/app", branch: "main" }], ...props });
};
const credentials = (props: Partial<StaticCredentialsProps>) => () => new StaticCredentials(testStack(), "legacy", { userName: "acme-ci-dev-legacy", ...props });
const BOUNDARY_RULE = /the ARN of a managed policy/;
/** A deployment role assumed from a runner host role (or from a CI role of unprotected refs), with administrator-level power. */
const reachableDeployment = (permissions: { managedPolicyArns?: string[]; statements?: PolicyStatement[] }, caller: "runner host" | "unprotected refs" = "runner host") => () => {
  const stack = testStack();
  const assumedBy =
    caller === "runner host"
      ? new InstanceRole(stack, "caller", { roleName: "acme-ci-dev-runner-host" })
      : new GitLabCiRole(stack, "caller", {
          provider: GitLabOidcProvider.fromExisting(stack, "oidc", { url: "https://gitlab.example.com", accountId: "111111111111" }),
          roleName: "acme-ci-dev-app-unprotected",
          region: "eu-central-1",
          subjects: [{ projectPath: "acme/app" }],
        });
  return new DeploymentRole(stack, "deploy", { roleName: "acme-ci-dev-deployment", assumedBy: [assumedBy], ...permissions });
};
const ADMIN_RULE = /may be assumed only from CI roles that protected refs alone can assume/;
const adminStatement = (name: string, actions: string[], resource: string, escalation: RegExp, caller?: "unprotected refs"): BadInput => ({
  name: `a deployment role a ${caller ?? "runner host"} can reach with ${name}`,
  run: reachableDeployment({ statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::state/*"] }, { actions, resources: [resource] }] }, caller),
  path: "test/deploy/statements[1]",
  subject: "administrator-level statement",
  value: { action: actions[actions.length - 1], resource },
  rule: new RegExp(`allows ${escalation.source}, with which the role can give itself any permission.*${ADMIN_RULE.source}`),
  fix: /assume it only from the protected CI role, or narrow the statement/,
});

// ---- Registry, network, GitLab side ----
const repository = (props: Partial<ContainerRepositoryProps>) => () => new ContainerRepository(testStack(), "app", { repositoryName: "acme/dev/app", ...props });
const network = (props: Partial<NetworkProps>) => () => new Network(testStack(), "network", { name: "acme-ci-dev", availabilityZones: ["eu-central-1a", "eu-central-1b"], ...props });
const ECR = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";

// ---- TagScheme: protected kinds no wider than the tags they protect ----
const scheme = (kinds: Record<string, TagKindOptions>) => () => new TagScheme("test/tagScheme", { kinds });
const COVERS = (kind: string, pushed: string) => new RegExp(`a protected kind is never expired, and this selector .* also matches tags of the unprotected kind "${kind}" \\(the templates push ${pushed.replace(/[$]/g, "\\$").replace(/[{}]/g, "\\$&")}\\)`);

export const constructRows: readonly BadInput[] = [
  // CI templates: build caches per trust level, dependency caches GitLab can key.
  {
    name: "a template image sharing one repository between trust levels",
    run: () => imageReuseTemplate("test/templates", { tagScheme: new TagScheme("test/tagScheme"), images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_REPO" }] }),
    path: "test/templates/images[0]",
    subject: "unprotectedRepository",
    value: "$APP_REPO",
    rule: /an unprotected build must never write the image or the build cache a protected build imports/,
    fix: /unprotectedRepository of its own/,
  },
  {
    name: "a dependency cache keyed on three lock files",
    run: () => dependencyCacheJobs("test/templates", [{ name: "js", lockFiles: ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"], paths: [".npm/"] }]),
    path: "test/templates/dependencyCaches[0]",
    subject: "lockFiles",
    value: ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"],
    rule: /one or two files/,
    fix: /lock file/,
  },
  {
    name: "a dependency cache outside the project directory",
    run: () => dependencyCacheJobs("test/templates", [{ name: "npm", lockFiles: ["package-lock.json"], paths: ["/root/.npm"] }]),
    path: "test/templates/dependencyCaches[0]",
    subject: "paths",
    value: "/root/.npm",
    rule: /relative to the project directory/,
    fix: /relative to the repository root/,
  },
  {
    name: "an immutable branch kind on the default branch's pipelines (branch-main cannot move at the second pipeline)",
    run: () => imageReuseTemplate("test/templates", { tagScheme: new TagScheme("test/tagScheme"), tags: { defaultBranch: ["commit", "latest", "branch"] }, images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }] }),
    path: "test/templates/tags/defaultBranch[2]",
    subject: "tag kind",
    value: "branch",
    rule: /the kind is immutable and its tag branch-\$\{CI_COMMIT_REF_SLUG\} takes the same value in many defaultBranch pipelines/,
    fix: /make the kind mutable, or tag per commit/,
  },
  {
    name: "an immutable per-merge-request kind on merge-request pipelines (MR-<iid> cannot move at the merge request's second commit)",
    run: () =>
      imageReuseTemplate("test/templates", {
        tagScheme: new TagScheme("test/tagScheme", { kinds: { mr: { prefix: "review-", ciTag: "review-${CI_MERGE_REQUEST_IID}", retention: { maxAgeDays: 30 }, protected: false } } }),
        tags: { mergeRequest: ["mergeRequest", "mr"] },
        images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }],
      }),
    path: "test/templates/tags/mergeRequest[1]",
    subject: "tag kind",
    value: "mr",
    rule: /the kind is immutable and its tag review-\$\{CI_MERGE_REQUEST_IID\} takes the same value in many mergeRequest pipelines/,
    fix: /make the kind mutable, or tag per commit \(\$\{CI_COMMIT_SHA\}\)$/,
  },
  {
    name: "a tag plan putting an age kind next to the commit kind by count on every default-branch image (kept forever)",
    run: () =>
      imageReuseTemplate("test/templates", {
        tagScheme: new TagScheme("test/tagScheme", { kinds: { nightly: { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } } } }),
        tags: { defaultBranch: ["commit", "latest", "nightly"] },
        images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }],
      }),
    path: "test/templates/tags/defaultBranch[2]",
    subject: "tag kind",
    value: "nightly",
    rule: /defaultBranch pipelines put this kind \(age: 7 days\) and "commit" \(count: the newest 100\) on one image; .*every such image would be kept forever/,
    fix: /give "nightly" and "commit" the same retention type/,
  },
  {
    name: "a mutable branch kind by age next to merge requests by count on merge-request pipelines (the deleted branch's last image is kept forever)",
    run: () =>
      imageReuseTemplate("test/templates", {
        tagScheme: new TagScheme("test/tagScheme", { kinds: { mergeRequest: { retention: { maxCount: 5 } }, branch: { mutable: true } } }),
        tags: { mergeRequest: ["mergeRequest", "branch"] },
        images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }],
      }),
    path: "test/templates/tags/mergeRequest[1]",
    subject: "tag kind",
    value: "branch",
    rule: /mergeRequest pipelines put this kind \(age: 30 days\) and "mergeRequest" \(count: the newest 5\) on one image/,
    fix: /give "branch" and "mergeRequest" the same retention type/,
  },
  {
    name: "a tag plan putting more retained kinds on one image than maxKindsPerImage (1, commit and nightly)",
    run: () =>
      imageReuseTemplate("test/templates", {
        tagScheme: new TagScheme("test/tagScheme", { maxKindsPerImage: 1, kinds: { nightly: { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxCount: 30 } }, inputs: { secondary: true } } }),
        tags: { defaultBranch: ["commit", "nightly"] },
        images: [{ name: "app", repository: "$APP_REPO", unprotectedRepository: "$APP_UNPROTECTED_REPO" }],
      }),
    path: "test/templates/tags/defaultBranch",
    subject: "tag kinds",
    value: ["commit", "nightly"],
    rule: /defaultBranch pipelines put 2 retained primary kinds on the commit image .*maxKindsPerImage 1/,
    fix: /raise maxKindsPerImage of the tag scheme to 2, or drop a kind from the plan/,
  },
  // Tag plans' Git tag rule, tag kinds' roles, kinds per tag (tag-rows.ts).
  ...tagRows,
  // TagScheme
  { name: "a protected tag kind with pattern *", run: scheme({ everything: { pattern: "*", protected: true } }), path: "test/tagScheme/kinds/everything", subject: "selector", value: "*", rule: COVERS("pipeline", "pipeline-${CI_PIPELINE_ID}"), fix: /narrow the selector to the protected tags only/ },
  { name: "a protected prefix s covering the commit tags sha-<commit>", run: scheme({ s: { prefix: "s", protected: true } }), path: "test/tagScheme/kinds/s", subject: "selector", value: "s*", rule: COVERS("commit", "sha-${CI_COMMIT_SHA}"), fix: /or make "s" unprotected with a retention/ },
  { name: "a protected prefix b covering the branch tags branch-<slug>", run: scheme({ b: { prefix: "b", protected: true } }), path: "test/tagScheme/kinds/b", subject: "selector", value: "b*", rule: COVERS("branch", "branch-${CI_COMMIT_REF_SLUG}"), fix: /narrow the selector/ },
  { name: "a protected semver pattern covering an unprotected release kind", run: scheme({ release: { protected: false, retention: { maxAgeDays: 90 } }, semver: { pattern: "*.*.*", protected: true } }), path: "test/tagScheme/kinds/semver", subject: "selector", value: "*.*.*", rule: COVERS("release", "${CI_COMMIT_TAG}"), fix: /narrow the selector/ },
  { name: "a protected latest kind wider than the one tag the templates push", run: scheme({ latest: { pattern: "latest*" } }), path: "test/tagScheme/kinds/latest", subject: "selector", value: "latest*", rule: /the templates push this protected kind as the one tag latest; a wider selector/, fix: /use pattern: "latest"/ },
  // TagScheme: a count kind and an age kind that one tag carries (no ECR rule expires only when both would).
  {
    name: "a bare-SHA kind with pattern * by count next to merge requests by age",
    run: scheme({ pipeline: { retention: { maxCount: 500 } }, bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } } }),
    path: "test/tagScheme/kinds/bareSha",
    subject: "selector",
    value: "*",
    rule: /this kind \(count: the newest 200, pattern "\*"\) and "mergeRequest" \(age: 30 days, prefix "MR-"\) select the same tags, so one image carries both; ECR lifecycle rules cannot expire an image only when both a count and an age rule would/,
    fix: /give both the same retention type \(both maxCount or both maxAgeDays\), make their selectors disjoint, or mark one of them `secondary: true`/,
  },
  {
    name: "an age kind with pattern * next to commit images by count",
    run: scheme({ recent: { pattern: "*", retention: { maxAgeDays: 5 } } }),
    path: "test/tagScheme/kinds/recent",
    subject: "selector",
    value: "*",
    rule: /this kind \(age: 5 days, pattern "\*"\) and "commit" \(count: the newest 100, prefix "sha-"\) select the same tags/,
    fix: /give both the same retention type/,
  },
  {
    name: "a secondary kind by count overlapping the pipeline kind made secondary, by age",
    run: scheme({ pipeline: { secondary: true }, ci: { prefix: "pipe", retention: { maxCount: 5 }, secondary: true } }),
    path: "test/tagScheme/kinds/ci",
    subject: "selector",
    value: "pipe*",
    rule: /this kind \(count: the newest 5, prefix "pipe"\) and "pipeline" \(age: 7 days, prefix "pipeline-"\) select the same tags/,
    fix: /make their selectors disjoint/,
  },
  {
    name: "a selector that selects none of the tags its ciTag gives (MR-*-*-* for MR-<iid>-<commit>)",
    run: scheme({ mergeRequest: { pattern: "MR-*-*-*" } }),
    path: "test/tagScheme/kinds/mergeRequest",
    subject: "ciTag",
    value: "MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}",
    rule: /the kind's pattern "MR-\*-\*-\*" must select every tag the templates push \(GitLab's predefined variables at their documented shapes/,
    fix: /make every tag it can give match the pattern/,
  },
  {
    name: "a protected kind marked secondary",
    run: scheme({ latest: { secondary: true } }),
    path: "test/tagScheme/kinds/latest",
    subject: "secondary",
    value: true,
    rule: /a secondary kind yields its retention to the primary kinds on the same image, and a protected kind has no retention to yield/,
    fix: /drop `secondary`, or set `protected: false` and give a retention/,
  },

  // RunnerCacheBucket
  cachePath("*", /IAM wildcards/),
  cachePath("runner-cache/../other", /path\.Join/),
  cachePath(".", /path\.Join/),
  cachePath("a//b", /path\.Join/),
  cachePath("/runner-cache/", /path\.Join/),
  cachePath("cache/x*", /IAM wildcards/),
  { name: "cache expiry of 0 days", run: cache({ expirationDays: 0 }), path: "test/cache", subject: "expirationDays", value: 0, rule: /at least 1/, fix: /use e\.g\. 14/ },
  { name: "cache expiry of 1.5 days", run: cache({ expirationDays: 1.5 }), path: "test/cache", subject: "expirationDays", value: 1.5, rule: /whole number/, fix: /use e\.g\. 14/ },
  { name: "cache encryption type misspelt (plain JavaScript)", run: cache({ encryption: { type: "SSE" } as never }), path: "test/cache", subject: "encryption.type", value: "SSE", rule: /one of "S3", "KMS"/, fix: /case-sensitive/ },
  { name: "cache KMS key by alias", run: cache({ encryption: { type: "KMS", kmsKeyArn: "alias/cache" } }), path: "test/cache", subject: "encryption.kmsKeyArn", value: "alias/cache", rule: /needs the key's ARN/, fix: /describe-key/ },
  { name: "cache bucket name with dots", run: cache({ bucketName: "acme.ci.cache" }), path: "test/cache", subject: "bucketName", value: "acme.ci.cache", rule: /no dots/, fix: /"acme-ci-cache"/ },
  { name: "cache region typo", run: cache({ region: "eu-west1" }), path: "test/cache", subject: "region", value: "eu-west1", rule: /looks like eu-central-1/, fix: /did you mean "eu-west-1"/ },
  { name: "cache access-log retention 0", run: cache({ accessLogs: { retentionDays: 0 } }), path: "test/cache/access-logs", subject: "accessLogs.retentionDays", value: 0, rule: /at least 1/, fix: /90/ },
  { name: "cache access-log bucket name too long (never cut)", run: cache({ bucketName: `acme-${"c".repeat(45)}-111111111111` }), path: "test/cache/access-logs", subject: "accessLogs.bucketName", rule: /63 characters/, fix: /pass accessLogs\.bucketName/ },
  // NexusMirror: exposure
  { name: "Nexus construct admin CIDR 0.0.0.0/1", run: mirror({ adminCidr: "0.0.0.0/1" }), path: "test/mirror", subject: "adminCidr", value: "0.0.0.0/1", rule: /at most a \/16/, fix: /Session Manager port forwarding/ },
  { name: "Nexus admin CIDR 128.0.0.0/1", run: mirror({ adminCidr: "128.0.0.0/1" }), path: "test/mirror", subject: "adminCidr", value: "128.0.0.0/1", rule: /at most a \/16/, fix: /VPN/ },
  { name: "Nexus admin CIDR 172.16.0.0/12", run: mirror({ adminCidr: "172.16.0.0/12" }), path: "test/mirror", subject: "adminCidr", value: "172.16.0.0/12", rule: /at most a \/16/, fix: /VPN/ },
  { name: "Nexus host with a public IP", run: mirror({ associatePublicIpAddress: true }), path: "test/mirror", subject: "associatePublicIpAddress", value: true, rule: /a public IP puts them one security-group edit away from the internet/, fix: /NAT gateway or VPC endpoints/ },
  { name: "Nexus Docker Hub credential without a reason", run: mirror({ dockerHubCredentialSecretArn: SECRET }), path: "test/mirror", subject: "credentialedAnonymousPull", value: "(not set)", rule: /private images/, fix: /Public Repo Read-only/ },
  { name: "Nexus raw gateway on 8081", run: mirror({ rawProxies: [{ name: "files", remoteUrl: "https://files.example.com" }], rawProxyPort: 8081 }), path: "test/mirror", subject: "rawProxyPort", value: 8081, rule: /UI and REST API, never reachable from job networks/, fix: /free port/ },
  { name: "Nexus raw gateway on the docker connector", run: mirror({ rawProxies: [{ name: "files", remoteUrl: "https://files.example.com" }], rawProxyPort: 8082 }), path: "test/mirror", subject: "rawProxyPort", value: 8082, rule: /a docker connector's/, fix: /free port/ },
  { name: "Nexus raw gateway on a privileged port", run: mirror({ rawProxies: [{ name: "files", remoteUrl: "https://files.example.com" }], rawProxyPort: 80 }), path: "test/mirror", subject: "rawProxyPort", value: 80, rule: /unprivileged/, fix: /8090/ },
  { name: "Nexus raw gateway image on latest", run: mirror({ rawGatewayImage: "docker.io/library/nginx:latest" }), path: "test/mirror", subject: "rawGatewayImage", value: "docker.io/library/nginx:latest", rule: /pinned/, fix: /nginx:1\./ },
  { name: "Nexus host role boundary not an ARN", run: mirror({ permissionsBoundaryArn: "boundary" }), path: "test/mirror", subject: "permissionsBoundaryArn", value: "boundary", rule: BOUNDARY_RULE, fix: /list-policies/ },
  { name: "Nexus account id of 11 digits", run: mirror({ accountId: "22222222222" }), path: "test/mirror", subject: "accountId", value: "22222222222", rule: /11 digits/, fix: /get-caller-identity/ },
  { name: "Nexus region typo", run: mirror({ region: "eu-central1" }), path: "test/mirror", subject: "region", value: "eu-central1", rule: /looks like/, fix: /"eu-central-1"/ },
  raw("http://169.254.169.254/latest/meta-data/iam/", /over https/),
  raw("https://169.254.169.254/", NOT_PUBLIC),
  raw("https://[fd00:ec2::254]/", NOT_PUBLIC),
  raw("https://127.0.0.1/", NOT_PUBLIC),
  raw("https://10.1.2.3/", NOT_PUBLIC),
  raw("https://192.168.0.1/", NOT_PUBLIC),
  raw("https://[fd12:3456::1]/", NOT_PUBLIC),
  raw("https://instance-data/", NOT_PUBLIC),
  raw("https://gitlab.corp.internal/", NOT_PUBLIC),
  raw("https://printer.local/", NOT_PUBLIC),
  raw("http://downloads.example.com", /over https/),
  raw("lang-common.s3.amazonaws.com", /a URL with a host/),
  // Docker volumes: the whole host, the socket under any spelling, the runner's tokens
  volume("/:/host", /the host's root/),
  volume("/./:/host", /the host's root/),
  volume("/var/run:/var/run", /\/var\/run\/docker\.sock/),
  volume("/var/run/:/var/run", /\/var\/run\/docker\.sock/),
  volume("//var//run//:/r", /\/var\/run\/docker\.sock/),
  volume("/var/lib/../run:/r", /\/var\/run/),
  volume("/run:/run", /\/run\/docker\.sock/),
  volume("/var:/v", /\/var\/run\/docker\.sock/),
  volume("/run/./:/r", /\/run\/docker\.sock/),
  volume("/etc/gitlab-runner:/cfg:ro", /\/etc\/gitlab-runner/),
  volume("/var/lib/docker:/d", /\/var\/lib\/docker/),
  volume("/proc:/host-proc:ro", /\/proc/),
  volume("/root/.ssh:/ssh:ro", /\/root/),
  { name: "privileged jobs without docker access", run: docker({ privileged: true }), path: "test/fleet/runners[0]/docker", subject: "privileged", value: { dockerAccess: "none", privileged: true }, rule: /root on the host/, fix: /drop privileged/ },
  { name: "docker access misspelt (plain JavaScript)", run: docker({ dockerAccess: "DinD" as never }), path: "test/fleet/runners[0]/docker", subject: "dockerAccess", value: "DinD", rule: /one of "socket-binding", "dind", "none"/, fix: /case-sensitive/ },
  { name: "privileged as a string (plain JavaScript)", run: docker({ privileged: "false" as never }), path: "test/fleet/runners[0]/docker", subject: "privileged", value: "false", rule: /true or false/, fix: /boolean/ },
  // CI variables: secrets
  { name: "a literal password in an unmasked, unprotected variable", run: variables([{ key: "DEPLOY_PASSWORD", value: "hunter2hunter2" }]), path: "test/vars/variables[0]", subject: "value of DEPLOY_PASSWORD", value: "<literal, 14 characters, hidden>", rule: /written in clear into the synthesized Terraform JSON/, fix: /sensitive TerraformVariable/ },
  { name: "a literal password, masked and protected", run: variables([{ key: "DB_PASSWORD", value: "hunter2hunter2", masked: true, protected: true }]), path: "test/vars/variables[0]", subject: "value of DB_PASSWORD", rule: /its key DB_PASSWORD names a secret/, fix: /TerraformVariable/ },
  { name: "a GitLab token under an innocent key", run: variables([{ key: "NOTES", value: "glpat-0123456789abcdefghij" }]), path: "test/vars/variables[0]", subject: "value of NOTES", rule: /looks like a GitLab token/, fix: /TerraformVariable/ },
  { name: "an AWS access key id under an innocent key", run: variables([{ key: "AWS_ID", value: "AKIAABCDEFGHIJKLMNOP" }]), path: "test/vars/variables[0]", subject: "value of AWS_ID", rule: /AWS access key id/, fix: /TerraformVariable/ },
  { name: "a secret token, unprotected", run: withSecretToken({ key: "REGISTRY_TOKEN", masked: true }), path: "test/vars/variables[0]", subject: "protection of REGISTRY_TOKEN", value: { masked: true, hidden: false, protected: false }, rule: /reaches every branch/, fix: /protected: true/ },
  { name: "a secret token, unmasked", run: withSecretToken({ key: "API_KEY", protected: true }), path: "test/vars/variables[0]", subject: "protection of API_KEY", value: { masked: false, hidden: false, protected: true }, rule: /printed in job logs/, fix: /masked: true/ },
  { name: "a variable type misspelt (plain JavaScript)", run: variables([{ key: "KUBECONFIG", value: "x", variableType: "File" as never }]), path: "test/vars/variables[0]", subject: "variableType", value: "File", rule: /one of "env_var", "file"/, fix: /case-sensitive/ },
  { name: "masked as a string (plain JavaScript)", run: variables([{ key: "A", value: "abcdefgh", masked: "true" as never }]), path: "test/vars/variables[0]", subject: "masked", value: "true", rule: /true or false/, fix: /boolean/ },
  { name: "hidden without masked", run: variables([{ key: "A", value: "abcdefgh", hidden: true }]), path: "test/vars/variables[0]", subject: "hidden", rule: /hides only masked/, fix: /masked: true/ },
  { name: "a variable key with a dash", run: variables([{ key: "MY-VAR", value: "x" }]), path: "test/vars/variables[0]", subject: "variable key", value: "MY-VAR", rule: /only letters, digits and '_'/, fix: /"MY_VAR"/ },
  { name: "an environment scope with a space", run: variables([{ key: "A", value: "x", environmentScope: "prod env" }]), path: "test/vars/variables[0]", subject: "environmentScope", value: "prod env", rule: /no white space/, fix: /environment name/ },
  // DOCKER_AUTH_CONFIG
  { name: "an ECR host with an 11-digit account", run: () => new DockerAuthConfig(testStack(), "auth", { ecrRegistries: ["11111111111.dkr.ecr.eu-central-1.amazonaws.com"] }), path: "test/auth/ecrRegistries[0]", subject: "ECR registry host account id", value: "11111111111", rule: /11 digits/, fix: /get-caller-identity/ },
  { name: "an ECR host with a region typo", run: () => new DockerAuthConfig(testStack(), "auth", { ecrRegistries: ["111111111111.dkr.ecr.eu-central1.amazonaws.com"] }), path: "test/auth/ecrRegistries[0]", subject: "ECR registry host region", value: "eu-central1", rule: /looks like eu-central-1/, fix: /"eu-central-1"/ },
  { name: "a non-ECR host in credHelpers", run: () => new DockerAuthConfig(testStack(), "auth", { ecrRegistries: ["registry.example.com"] }), path: "test/auth/ecrRegistries[0]", subject: "ECR registry host", value: "registry.example.com", rule: /serves only ECR/, fix: /staticCredentials/ },
  {
    name: "a pull-only registry credential on the platform construct alone (nothing builds the group's * DOCKER_AUTH_CONFIG)",
    run: () =>
      new GitLabCiPlatform(testStack(), "ci", {
        platform: { project: "acme" },
        environment: {
          name: "sandbox",
          accountId: "111111111111",
          region: "eu-central-1",
          gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"], tier: "premium", variables: { protected: true, environmentScope: "sandbox" }, externalRegistries: [{ registry: "registry.example.com", username: "ci", passwordVariable: "pw", unprotectedPull: { username: "robot", passwordVariable: "pw_pull" } }] },
          registry: { repositories: [{ id: "app", description: "The application image" }] },
        },
      }),
    path: "test/ci/gitlab/docker-auth-config",
    subject: "externalRegistries[0].unprotectedPull",
    value: "registry.example.com",
    rule: /built from every environment of the group by the app's gitlab-shared stack/,
    fix: /buildPlatform/,
  },
  {
    name: "an external registry on the platform construct with the default tier (GitLab Free has no environment scopes on group variables)",
    run: () =>
      new GitLabCiPlatform(testStack(), "ci", {
        platform: { project: "acme" },
        environment: {
          name: "sandbox",
          accountId: "111111111111",
          region: "eu-central-1",
          gitlab: { url: "https://gitlab.example.com", group: "acme", projects: ["acme/app"], variables: { protected: true }, externalRegistries: [{ registry: "registry.example.com", username: "ci", passwordVariable: "pw" }] },
          registry: { repositories: [{ id: "app", description: "The application image" }] },
        },
      }),
    path: "test/ci/gitlab/externalRegistries[0]",
    subject: "registry",
    value: "registry.example.com",
    rule: /gitlab\.tier is free: GitLab Free has no environment scopes on group variables/,
    fix: /gitlab\.tier: "premium"/,
  },
  { name: "DOCKER_AUTH_CONFIG with no registry", run: () => new DockerAuthConfig(testStack(), "auth", {}), path: "test/auth", subject: "registries", value: {}, rule: /needs at least one registry/, fix: /registry\.repositories/ },
  { name: "a literal registry password", run: () => new DockerAuthConfig(testStack(), "auth", { staticCredentials: [{ registry: "registry.example.com", username: "ci", password: "hunter2" }] }), path: "test/auth/staticCredentials[0]", subject: "password", value: "<literal, hidden>", rule: /must not be a literal/, fix: /sensitive TerraformVariable/ },
  { name: "a registry given as a URL", run: () => new DockerAuthConfig(testStack(), "auth", { ecrRegistries: [`https://${ECR}/app`] }), path: "test/auth/ecrRegistries[0]", subject: "registry host", value: `https://${ECR}/app`, rule: /host\[:port\]/, fix: new RegExp(ECR.replace(/\./g, "\\.")) },
  { name: "DOCKER_AUTH_CONFIG built without a scope (plain JavaScript)", run: () => new DockerAuthConfig(undefined as never, "auth", { ecrRegistries: [ECR] }), path: "DockerAuthConfig", subject: "scope", value: undefined, rule: /takes \(scope, id, props\) like every construct of the library/, fix: /new DockerAuthConfig\(this, "id", props\)/ },
  // Identity
  { name: "a CI role trusting projectPath '*' (fix never suggests an empty group)", run: ciRole({ subjects: [{ projectPath: "*", branch: "main" }] }), path: "test/ci/subjects[0]/projectPath", subject: "project path", value: "*", rule: /takes no wildcard/, fix: /groupPath: "acme"/ },
  { name: "a CI role trusting groupPath '*'", run: ciRole({ subjects: [{ groupPath: "*", branch: "main" }] }), path: "test/ci/subjects[0]/groupPath", subject: "group path", value: "*", rule: /the wildcard over its projects is added/, fix: /groupPath: "acme"/ },
  { name: "a CI role group path with a trailing slash", run: ciRole({ subjects: [{ groupPath: "acme/", branch: "main" }] }), path: "test/ci/subjects[0]/groupPath", subject: "group path", value: "acme/", rule: /no leading or trailing '\/'/, fix: /"acme"/ },
  { name: "a CI role project path with a trailing slash", run: ciRole({ subjects: [{ projectPath: "acme/app/", branch: "main" }] }), path: "test/ci/subjects[0]/projectPath", subject: "project path", value: "acme/app/", rule: /no leading or trailing '\/'/, fix: /"acme\/app"/ },
  { name: "a CI role description over 1000 characters (never cut)", run: ciRole({ description: "d".repeat(1001) }), path: "test/ci", subject: "description", value: "1001 characters", rule: /1000 characters; it is never cut short/, fix: /by 1 characters/ },
  { name: "a CI role boundary that is not an ARN", run: ciRole({ permissionsBoundaryArn: "not-an-arn" }), path: "test/ci", subject: "permissionsBoundaryArn", value: "not-an-arn", rule: BOUNDARY_RULE, fix: /list-policies/ },
  { name: "static credentials boundary not an ARN", run: credentials({ permissionsBoundaryArn: "not-an-arn" }), path: "test/legacy", subject: "permissionsBoundaryArn", value: "not-an-arn", rule: BOUNDARY_RULE, fix: /list-policies/ },
  { name: "static credentials boundary given as a policy name", run: credentials({ permissionsBoundaryArn: "acme-boundary" }), path: "test/legacy", subject: "permissionsBoundaryArn", value: "acme-boundary", rule: /not a policy name/, fix: /ARN/ },
  { name: "static credentials boundary as an empty string", run: credentials({ permissionsBoundaryArn: "" }), path: "test/legacy", subject: "permissionsBoundaryArn", value: "", rule: BOUNDARY_RULE, fix: /ARN/ },
  { name: "static credentials store misspelt (plain JavaScript)", run: credentials({ store: { type: "ssm", parameterName: "/x/y" } as never }), path: "test/legacy/store", subject: "type", value: "ssm", rule: /one of "ssm-parameter", "secrets-manager"/, fix: /case-sensitive/ },
  { name: "static credentials rotation 0", run: credentials({ rotation: 0 }), path: "test/legacy", subject: "rotation", value: 0, rule: /from 1/, fix: /start at 1/ },
  { name: "static credentials recovery window of 3 days", run: credentials({ store: { type: "secrets-manager", secretName: "acme/legacy", recoveryWindowInDays: 3 } }), path: "test/legacy/store", subject: "recoveryWindowInDays", value: 3, rule: /7-30 days/, fix: /7 to 30/ },
  { name: "instance role boundary not an ARN", run: () => new InstanceRole(testStack(), "host", { roleName: "mirror-host", permissionsBoundaryArn: "arn:aws:iam::111111111111:user/x" }), path: "test/host", subject: "permissionsBoundaryArn", value: "arn:aws:iam::111111111111:user/x", rule: BOUNDARY_RULE, fix: /ARN/ },
  {
    name: "deployment role boundary not an ARN",
    run: () => {
      const stack = testStack();
      const caller = new InstanceRole(stack, "caller", { roleName: "caller" });
      return new DeploymentRole(stack, "deploy", { roleName: "deploy", assumedBy: [caller], statements: [{ actions: ["s3:GetObject"], resources: ["arn:aws:s3:::b/*"] }], permissionsBoundaryArn: "policy/boundary" });
    },
    path: "test/deploy",
    subject: "permissionsBoundaryArn",
    value: "policy/boundary",
    rule: BOUNDARY_RULE,
    fix: /ARN/,
  },
  // Administrator-level power on a deployment role a runner host or an unprotected ref reaches: managed or configured alike.
  {
    name: "a deployment role a runner host can reach with AdministratorAccess",
    run: reachableDeployment({ managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }),
    path: "test/deploy/managedPolicyArns",
    subject: "administrator-level managed policy",
    value: ["arn:aws:iam::aws:policy/AdministratorAccess"],
    rule: ADMIN_RULE,
    fix: /assume it only from the protected CI role/,
  },
  adminStatement("Action * on *", ["*"], "*", /iam:Put\w+Policy/),
  adminStatement("iam:* on every role of the account", ["iam:*"], "arn:aws:iam::111111111111:role/*", /iam:Put\w+Policy/, "unprotected refs"),
  adminStatement("iam:Put* (a wildcard of escalation actions) on *", ["iam:Put*"], "*", /iam:Put\w+Policy/),
  adminStatement("iam:AttachRolePolicy on roles of any account", ["iam:AttachRolePolicy"], "arn:aws:iam::*:role/*", /iam:AttachRolePolicy/),
  adminStatement("iam:CreatePolicyVersion on *", ["iam:CreatePolicyVersion"], "*", /iam:CreatePolicyVersion/),
  adminStatement("iam:PassRole on *", ["ec2:RunInstances", "iam:PassRole"], "*", /iam:PassRole/),
  adminStatement("iam:CreateAccessKey on every user", ["iam:CreateAccessKey"], "arn:aws:iam::111111111111:user/*", /iam:CreateAccessKey/),
  adminStatement("iam:UpdateAssumeRolePolicy on *", ["iam:UpdateAssumeRolePolicy"], "*", /iam:UpdateAssumeRolePolicy/),
  adminStatement("sts:AssumeRole on *", ["sts:AssumeRole"], "*", /sts:AssumeRole/, "unprotected refs"),
  adminStatement("iam:PutRolePolicy on its own role", ["iam:PutRolePolicy"], "arn:aws:iam::111111111111:role/acme-ci-dev-deployment", /iam:PutRolePolicy/),
  // Registry
  { name: "tag mutability misspelt (plain JavaScript)", run: repository({ tagMutability: "MUTABLE" as never }), path: "test/app", subject: "tagMutability", value: "MUTABLE", rule: /one of "immutable-except-moving", "immutable", "mutable"/, fix: /case-sensitive/ },
  { name: "repository encryption misspelt (plain JavaScript)", run: repository({ encryption: { type: "aes" } as never }), path: "test/app", subject: "encryption.type", value: "aes", rule: /one of "AES256", "KMS"/, fix: /case-sensitive/ },
  { name: "a repository tag value over 256 characters (never cut)", run: repository({ tags: { description: "x".repeat(300) } }), path: "test/app", subject: "tag description", value: "300 characters", rule: /never cut short/, fix: /256 characters or fewer/ },
  { name: "a repository tag key with the aws: prefix", run: repository({ tags: { "aws:owner": "ci" } }), path: "test/app", subject: "tag key", value: "aws:owner", rule: /aws: \(reserved\)/, fix: /without the aws: prefix/ },
  { name: "a repository name with upper case", run: repository({ repositoryName: "Acme/App" }), path: "test/app", subject: "repository name", value: "Acme/App", rule: /no upper case/, fix: /"acme\/app"/ },
  { name: "a cross-account id of 11 digits", run: repository({ crossAccountPullAccountIds: ["22222222222"] }), path: "test/app", subject: "crossAccountPullAccountIds[0]", value: "22222222222", rule: /11 digits/, fix: /get-caller-identity/ },
  // Network
  { name: "flow-log retention CloudWatch does not offer", run: network({ flowLogs: { retentionDays: 100 } }), path: "test/network/flow-logs", subject: "flowLogs.retentionDays", value: 100, rule: /one of 1, 3, 5/, fix: /90/ },
  { name: "flow-log traffic type in lower case", run: network({ flowLogs: { trafficType: "all" as never } }), path: "test/network/flow-logs", subject: "flowLogs.trafficType", value: "all", rule: /"ACCEPT", "REJECT" or "ALL"/, fix: /"ALL"/ },
  { name: "flow-log KMS key by alias", run: network({ flowLogs: { kmsKeyArn: "alias/logs" } }), path: "test/network/flow-logs", subject: "flowLogs.kmsKeyArn", value: "alias/logs", rule: /not an alias/, fix: /describe-key/ },
  { name: "NAT gateway mode misspelt (plain JavaScript)", run: network({ natGateways: "one" as never }), path: "test/network", subject: "natGateways", value: "one", rule: /one of "single", "per-az"/, fix: /case-sensitive/ },
  { name: "a VPC CIDR of /8", run: network({ cidr: "10.0.0.0/8" }), path: "test/network", subject: "cidr", value: "10.0.0.0/8", rule: /\/16 to \/24/, fix: /10\.0\.0\.0\/16/ },
  // DockerAutoscalerFleet
  {
    name: "an autoscaler runner taking unprotected jobs with two jobs per worker",
    run: () => autoscalerFleet({ runners: [{ ...mrRunner, capacityPerInstance: 2 }] }),
    path: "test/autoscaler/runners[0]",
    subject: "capacityPerInstance",
    value: 2,
    rule: /one job per worker \(capacity_per_instance 1\)/,
    fix: /raise maxInstances/,
  },
  {
    name: "an autoscaler fleet mixing unprotected and protected runners",
    run: () => autoscalerFleet({ runners: [mrRunner, protectedRunner] }),
    path: "test/autoscaler/runners[1]",
    subject: "trustLevel",
    value: "protected",
    rule: /one fleet serves one trust level/,
    fix: /one DockerAutoscalerFleet per trust level/,
  },
  {
    name: "an autoscaler worker group named like its manager group",
    run: () => autoscalerFleet({ runners: [{ ...mrRunner, workerGroupName: "acme-ci-dev-manager" }] }),
    path: "test/autoscaler/runners[0]",
    subject: "workerGroupName",
    value: "acme-ci-dev-manager",
    rule: /manager group/,
    fix: /remove workerGroupName/,
  },
  // GitLab side
  {
    name: "a protected environment's deploy access level GitLab does not know (plain JavaScript)",
    run: () => new ProtectedDeployEnvironments(testStack(), "envs", { environment: "production", projects: [{ path: "acme/app", name: "app" }], deployAccess: "admin" as never }),
    path: "test/envs/deployAccess",
    subject: "deploy access level",
    value: "admin",
    rule: /one of maintainer, developer/,
    fix: /use "maintainer"/,
  },
  {
    name: "a toolbox in the GitLab registry promoted to the deploying environments",
    run: () => toolboxCiFile("toolbox", new TagScheme("s"), "gitlab", undefined, [{ name: "staging", runnerTags: ["deploy"], promoteFrom: "dev" }]),
    path: "toolbox/promoteTo",
    subject: "promoteTo",
    value: ["staging"],
    rule: /the deploy jobs run the toolbox image from each environment's ECR toolbox repository/,
    fix: /use registry: "ecr"/,
  },
  {
    name: "a runner description too long for its token parameter (never cut)",
    run: () => new RunnerRegistration(testStack(), "runner", { scope: { type: "group", groupId: 42 }, description: "r".repeat(1000), tags: ["build"], parameterName: "/acme-ci/dev/runner/build/token" }),
    path: "test/runner",
    subject: "description",
    value: "1000 characters",
    rule: /SSM limits to 1024 characters; it is never cut short/,
    fix: /shorten the description by 12 characters/,
  },
  // Secrets key: the principal applying Terraform is a role or user of the key's account, never the account root.
  ...[
    ["the account root", "arn:aws:iam::111111111111:root", /every IAM policy of the account grant decryption/, /name the role that applies Terraform/],
    ["a bare account id", "111111111111", /every IAM policy of the account grant decryption/, /name the role that applies Terraform/],
    ["another account's role", "arn:aws:iam::222222222222:role/deploy", /in the key's account \(111111111111\)/, /name the role in account 111111111111/],
  ].map(
    ([what, arn, rule, fix]): BadInput => ({
      name: `a secrets key whose deploy principal is ${what as string}`,
      run: () => new SecretsKey(testStack(), "secrets-key", { aliasName: "acme-ci-dev-secrets", accountId: "111111111111", region: "eu-central-1", deployPrincipalArn: arn as string }),
      path: "test/secrets-key",
      subject: "deployPrincipalArn",
      value: arn,
      rule: rule as RegExp,
      fix: fix as RegExp,
    }),
  ),
  // GitLab version check.
  {
    name: "a GitLab version check skipped without a reason",
    run: () => new GitLabVersionCheck(testStack(), "gitlab-version", { gitlabUrl: "https://gitlab.example.com", skip: { reason: "" } }),
    path: "test/gitlab-version",
    subject: "skip reason",
    value: "",
    rule: /needs a written reason/,
    fix: /no merge-request pipelines from forks/,
  },
  {
    name: "a GitLab version check with a minimum that is not major.minor.patch",
    run: () => new GitLabVersionCheck(testStack(), "gitlab-version", { gitlabUrl: "https://gitlab.example.com", minimumVersions: ["18.2"] }),
    path: "test/gitlab-version",
    subject: "minimumVersions",
    value: ["18.2"],
    rule: /<major>\.<minor>\.<patch>/,
    fix: /18\.2\.2/,
  },
  {
    name: "a GitLab version check whose newest minimum is before 18.2.2",
    run: () => new GitLabVersionCheck(testStack(), "gitlab-version", { gitlabUrl: "https://gitlab.example.com", minimumVersions: ["17.11.0", "18.2.0"] }),
    path: "test/gitlab-version",
    subject: "minimumVersions",
    value: ["17.11.0", "18.2.0"],
    rule: /the newest listed version is the minimum for every later line, and no release before 18\.2\.2/,
    fix: /list "18\.2\.2" \(or later\) too/,
  },
  {
    name: "a GitLab version check with an unpatched 18.2 release beside a newer minimum",
    run: () => new GitLabVersionCheck(testStack(), "gitlab-version", { gitlabUrl: "https://gitlab.example.com", minimumVersions: ["19.0.0", "18.2.1"] }),
    path: "test/gitlab-version",
    subject: "minimumVersions",
    value: ["19.0.0", "18.2.1"],
    rule: /18\.2\.1 is on the 18\.2 line below 18\.2\.2/,
    fix: /raise 18\.2\.1 to 18\.2\.2 or later on its line/,
  },
];
