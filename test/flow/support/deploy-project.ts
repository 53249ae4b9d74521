import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { EXAMPLE_PROJECT_JOBS, projectCiFile } from "../../../lib/gitlab/ci-templates-project";
import { deployTemplate } from "../../../lib/gitlab/deploy-template";
import { type CiTemplate, imageReuseTemplate } from "../../../lib/gitlab/image-reuse-template";
import { toolboxCiFile } from "../../../lib/gitlab/toolbox-project";
import { PLATFORM_VARIABLES } from "../../../lib/gitlab/platform-variables";
import { type EnvironmentConfig } from "../../../lib/platform/config";
import { promotionSourceName } from "../../../lib/platform/promotion";
import { registryHostOf, tenantsOf } from "../../../lib/platform/tenancy";
import { tenantVariables } from "../../../lib/platform/tenant-variables";
import { selectorPattern } from "../../../lib/registry/glob";
import { TagScheme } from "../../../lib/registry/tag-scheme";
import { type PlatformConfig } from "../../../stacks/config";
import { deployTemplateOf } from "../../../stacks/promotion";
import { FlowProject } from "./flow-harness";

/**
 * A project that includes the image-reuse and the deploy template, with the CI/CD variables
 * the platform gives it in every environment of a configuration, environment-scoped as GitLab
 * scopes them (gitlab-ci-local reads `.gitlab-ci-local-variables.yml` with `values:` per
 * environment scope; a job with `environment: staging` gets the `staging` value, others `*`).
 * Its deploy hook appends what it deployed to `deployments.log` next to the fake registry's
 * state and makes it what the environment runs (`running-<environment>`); deploying the image of
 * a commit that carries the file `BROKEN` deploys a broken app (its digest goes to
 * `broken-digests`). Its smoke test probes what the environment runs, as a real smoke test probes
 * the deployed app, not the image it was given: it fails when that is a broken app. Both append
 * to `probes.log` what they did and in which job.
 *
 * The deploy jobs pin `PATH` (deploy-targets.ts); here it is a directory holding the fake
 * registry's `aws` and `docker` (and `node`, which they start) plus `/usr/bin:/bin`.
 */
export interface DeployFlow {
  readonly project: FlowProject;
  readonly scheme: TagScheme;
  readonly deploy: CiTemplate;
  /** Environment name -> the name of the environment it is promoted from. */
  readonly promotion: Readonly<Record<string, string>>;
  /** The lines of deployments.log: `deploy|smoke <env> <image> <role>`, `smoke <env> <image> FAIL`. */
  deployments(): string[];
  /**
   * The lines of probes.log: `deploy <env> <digest> <job> <pipeline> broken|ok` (what a deploy made the
   * environment run) and `probe <env> <digest> <job> <pipeline> pass|FAIL` (what a smoke test found running).
   */
  probes(): string[];
  /** The `PATH` the deploy jobs pin here. */
  readonly searchPath: string;
  /** Removes the project and the search path directory. */
  remove(): void;
}

const DEPLOY_HOOK = `#!/bin/sh
set -eu
dir="\${FAKE_REGISTRY_STATE%/*}"
printf 'deploy %s %s %s\\n' "$CI_ENVIRONMENT_NAME" "$1" "\${AWS_SESSION_TOKEN:-none}" >> "$dir/deployments.log"
state=ok
if [ -f BROKEN ]; then
  this=$(aws ecr batch-get-image --repository-name "\${PLATFORM_DEPLOY_REPOSITORY#*/}" --image-ids "imageTag=$PLATFORM_DEPLOY_TAG" --query 'images[0].imageId.imageDigest' --output text)
  if [ "\${1##*@}" = "$this" ]; then
    state=broken
    printf '%s\\n' "$this" >> "$dir/broken-digests"
  fi
fi
printf '%s\\n' "\${1##*@}" > "$dir/running-$CI_ENVIRONMENT_NAME"
printf 'deploy %s %s %s %s %s\\n' "$CI_ENVIRONMENT_NAME" "\${1##*@}" "$CI_JOB_NAME" "\${CI_PIPELINE_ID:-0}" "$state" >> "$dir/probes.log"
`;
const SMOKE_TEST_HOOK = `#!/bin/sh
set -eu
dir="\${FAKE_REGISTRY_STATE%/*}"
running=$(cat "$dir/running-$CI_ENVIRONMENT_NAME")
if [ -f "$dir/broken-digests" ] && grep -qx "$running" "$dir/broken-digests"; then
  printf 'probe %s %s %s %s FAIL\\n' "$CI_ENVIRONMENT_NAME" "$running" "$CI_JOB_NAME" "\${CI_PIPELINE_ID:-0}" >> "$dir/probes.log"
  printf 'smoke %s %s FAIL\\n' "$CI_ENVIRONMENT_NAME" "$1" >> "$dir/deployments.log"
  exit 1
fi
printf 'probe %s %s %s %s pass\\n' "$CI_ENVIRONMENT_NAME" "$running" "$CI_JOB_NAME" "\${CI_PIPELINE_ID:-0}" >> "$dir/probes.log"
printf 'smoke %s %s %s\\n' "$CI_ENVIRONMENT_NAME" "$1" "\${AWS_SESSION_TOKEN:-none}" >> "$dir/deployments.log"
`;

/**
 * A directory for the deploy jobs' pinned `PATH`, made before the project (the template is generated
 * first); {@link linkSearchPath} fills it once the project's shims exist.
 */
function searchPathDirectory(): { dir: string; searchPath: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "flow-deploy-bin-"));
  return { dir, searchPath: `${dir}:/usr/bin:/bin` };
}

/** Links the fake registry's `aws` and `docker` of `project`, and this `node`, into `dir`. */
function linkSearchPath(dir: string, project: FlowProject): void {
  for (const tool of ["aws", "docker"]) symlinkSync(path.join(project.repo.dir, ".shims", tool), path.join(dir, tool));
  symlinkSync(process.execPath, path.join(dir, "node"));
}

/** The variables file: every environment's project and group variables of `projectPath`, by environment scope. */
export function scopedVariables(config: PlatformConfig, projectPath: string): string {
  const values: Record<string, Record<string, string>> = {};
  const put = (key: string, scope: string, value: string) => ((values[key] ??= {})[scope] = value);
  for (const env of config.environments) {
    const scope = env.gitlab.variables?.environmentScope ?? "*";
    const tenant = tenantsOf(env).find((t) => t.path === projectPath);
    if (!tenant) continue;
    const source = config.environments.find((e) => e.name === promotionSourceName(config.environments, env)) as EnvironmentConfig | undefined;
    for (const v of tenantVariables(config, env, tenant, scope, source ? { promotionSource: source } : {})) put(v.key, scope, v.value);
    put(PLATFORM_VARIABLES.registryHost, scope, registryHostOf(env));
    put(PLATFORM_VARIABLES.region, scope, env.region);
  }
  return stringify(Object.fromEntries(Object.entries(values).map(([key, byScope]) => [key, { values: byScope }])));
}

/**
 * The deploy flow project of `projectPath` under `config`: the templates as the platform
 * publishes them (every deploy automatic here, so the sequence needs no clicks).
 */
export function deployFlow(config: PlatformConfig, projectPath: string, files: Readonly<Record<string, string>>): DeployFlow {
  const scheme = new TagScheme("flow/tagScheme");
  const reuse = imageReuseTemplate("flow/templates", { tagScheme: scheme });
  const published = deployTemplateOf(config, config.environments[0]!.gitlab.url)!;
  const bin = searchPathDirectory();
  const deploy = deployTemplate("flow/deploy", {
    tagScheme: scheme,
    environments: published.environments.map((e) => ({ ...e, manual: false, searchPath: bin.searchPath })),
    workflowRules: reuse.config.workflow?.rules ?? [],
  });
  const promotion = Object.fromEntries(published.environments.flatMap((e) => (e.promoteFrom ? [[e.name, e.promoteFrom]] : [])));
  const all = {
    "ci-templates/image-reuse.yml": reuse.content,
    "ci-templates/deploy.yml": deploy.content,
    ".gitlab-ci.yml": projectCiFile({ include: { local: "ci-templates/image-reuse.yml" }, jobs: EXAMPLE_PROJECT_JOBS }).replace(
      "include:\n  - local: ci-templates/image-reuse.yml\n",
      "include:\n  - local: ci-templates/image-reuse.yml\n  - local: ci-templates/deploy.yml\n",
    ),
    ".gitlab-ci-local-variables.yml": scopedVariables(config, projectPath),
    "deploy/deploy.sh": DEPLOY_HOOK,
    "deploy/smoke-test.sh": SMOKE_TEST_HOOK,
    ...files,
  };
  // The workflow's protected-pipeline variables come from the image-reuse template; every other
  // variable comes from the scoped file, so only the protected-ref flag is given on the command line.
  // With environment branches the deploy template's workflow (the image-reuse rules plus one per
  // branch) is the one GitLab applies: an included file's workflow replaces the other's.
  const workflowTemplate = deploy.config.workflow ? { ...reuse, config: { ...reuse.config, workflow: deploy.config.workflow } } : reuse;
  const project = new FlowProject(workflowTemplate, all, { all: { CI_COMMIT_REF_PROTECTED: "true" }, protectedOnly: {} }, scheme.mutableKinds.map((k) => selectorPattern(k.selector)));
  linkSearchPath(bin.dir, project);
  for (const hook of ["deploy/deploy.sh", "deploy/smoke-test.sh"]) chmodSync(path.join(project.repo.dir, hook), 0o755);
  project.repo.git("add", "-A");
  project.repo.git("commit", "-q", "-m", "executable hooks");
  project.repo.git("update-ref", "refs/remotes/origin/main", "HEAD");
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);
  return {
    project,
    scheme,
    deploy,
    promotion,
    searchPath: bin.searchPath,
    deployments: () => lines(path.join(project.repo.dir, ".shims", "deployments.log")),
    probes: () => lines(path.join(project.repo.dir, ".shims", "probes.log")),
    remove: () => {
      project.repo.remove();
      rmSync(bin.dir, { recursive: true, force: true });
    },
  };
}

/**
 * The toolbox project of `config` (its path: `toolboxPath`) with the CI file the platform commits
 * for it (build in the build environment, then `promote-toolbox-<env>` into every deploying
 * environment) and its environment-scoped variables, against the fake registry.
 */
export function toolboxFlow(config: PlatformConfig, toolboxPath: string, dockerfile: string): { project: FlowProject; ciFile: CiTemplate; remove(): void } {
  const scheme = new TagScheme("flow/tagScheme");
  const published = deployTemplateOf(config, config.environments[0]!.gitlab.url)!;
  const bin = searchPathDirectory();
  const ciFile = toolboxCiFile("flow/toolbox", scheme, "ecr", undefined, published.environments.map((e) => ({ ...e, searchPath: bin.searchPath })));
  const files = { ".gitlab-ci.yml": ciFile.content, ".gitlab-ci-local-variables.yml": scopedVariables(config, toolboxPath), Dockerfile: dockerfile };
  const project = new FlowProject(ciFile, files, { all: { CI_COMMIT_REF_PROTECTED: "true" }, protectedOnly: {} }, scheme.mutableKinds.map((k) => selectorPattern(k.selector)));
  linkSearchPath(bin.dir, project);
  const remove = () => {
    project.repo.remove();
    rmSync(bin.dir, { recursive: true, force: true });
  };
  return { project, ciFile, remove };
}
