import { check } from "../core/errors";
import { type TagScheme } from "../registry/tag-scheme";
import { type CiConfig, type CiJob, type CiNeed, type CiRule, type CiWhen, renderCiYaml } from "./ci-yaml";
import { DEPLOY_FUNCTIONS } from "./deploy-script";
import { deployPinScript, type DeployTarget, validateDeployTargets } from "./deploy-targets";
import { toolboxImageTag, toolboxJobImage } from "./deploy-toolbox";
import { deployedTagOf, deployScript, promoteScript } from "./deploy-job-scripts";
import { promoteFromVariable } from "./deploy-variables";
import { awsOidcRole, type CiTemplate, TEMPLATE_STAGES } from "./image-reuse-template";
import { DEFAULT_BRANCH_PIPELINE } from "./image-reuse-plan";
import { imageVariable, PLATFORM_VARIABLES } from "./platform-variables";

/**
 * The deploy template (`deploy.yml`), included next to the image-reuse template: per
 * environment, in the configuration's order, a stage `deploy-<environment>` with
 *
 * - `promote-<environment>` (environments with a promotion source): copies the commit's image
 *   by digest from the source environment's protected repository (`PLATFORM_<ROLE>_PROMOTE_FROM`)
 *   into this environment's (`PLATFORM_<ROLE>_IMAGE`), with this environment's protected role;
 * - `deploy-<environment>`: runs the deploy hook with `<repository>@sha256:<digest>` as the
 *   tenant's deployment role in the environment, then the smoke-test hook against it; when it passes,
 *   records the digest as the last good one (SSM, unless `recordLastGood` is false) and moves
 *   `deployed-<environment>` onto it, all in the one job (see {@link deployScript});
 * - `rollback-<environment>` (`when: on_failure`): redeploys the recorded digest when the deploy
 *   or its smoke test fails.
 *
 * Every job carries `environment:` (so GitLab hands it that environment's project variables:
 * role, audience, repositories, deployment role, parameter), and, with `targets`, first pins what
 * it acts on as literals of its script (see deploy-targets.ts: a pipeline variable overrides every
 * CI/CD variable, so the source and target repositories, the roles, the parameter and the tags do
 * not come from variables); the hooks are literal commands too. It runs on protected refs only
 * (`CI_COMMIT_REF_PROTECTED`, GitLab predefined variables) of the default branch or of the
 * environment's branch, on the environment's deploy runner (its tags), with an ID token for the
 * environment's audience (`$PLATFORM_OIDC_AUDIENCE` with that environment's value). A stage
 * starts when the previous one succeeded, so production receives only what passed staging; with
 * environment branches, where the source environment deploys in its own branch's pipelines, the
 * promote job checks the source's `deployed-<source>` tag names the digest (see
 * {@link promoteScript}) and fails otherwise.
 */

/** One environment of the deploy template. */
export interface DeployTemplateEnvironment {
  /** Environment name: the GitLab environment and the scope of its project variables. */
  readonly name: string;
  /** The runner tags of its deploy jobs (the deploy pool's, else the protected pool's). */
  readonly runnerTags: readonly string[];
  /**
   * The environment images are promoted from (adds `promote-<name>`).
   * @default none: the image is built in this environment
   */
  readonly promoteFrom?: string;
  /**
   * Deploy only when started by hand.
   * @default false
   */
  readonly manual?: boolean;
  /**
   * Record the last good digest after a passed smoke test.
   * @default true
   */
  readonly recordLastGood?: boolean;
  /**
   * Add the rollback job.
   * @default `recordLastGood`
   */
  readonly rollback?: boolean;
  /**
   * Deploy from pipelines of this branch instead of the default branch.
   * @default none
   */
  readonly branch?: string;
  /**
   * Per project that deploys here: the role, repositories, deployment role and parameter its jobs
   * act on, written into the jobs' scripts as literals (picked by `CI_PROJECT_PATH`; a project
   * without a row fails). The platform always gives them (`deployTemplateOf`).
   * @default none: the jobs read those values from the CI/CD variables (`PLATFORM_<ROLE>_IMAGE`,
   *   `PLATFORM_<ROLE>_PROMOTE_FROM`, `PLATFORM_DEPLOY_ROLE_ARN`, …), which a pipeline variable overrides
   */
  readonly targets?: readonly DeployTarget[];
  /**
   * The environment's OIDC audience, written into the jobs' `id_tokens` as a literal.
   * @default `$PLATFORM_OIDC_AUDIENCE` (a variable)
   */
  readonly audience?: string;
  /**
   * The environment's AWS region, pinned in the jobs' scripts.
   * @default `$PLATFORM_AWS_REGION` (a variable)
   */
  readonly region?: string;
  /**
   * The toolbox project's protected toolbox repository in this environment (URL without tag): without
   * `jobImage`, the jobs run `<toolboxRepository>:<latest tag>`, a literal.
   * @default `$PLATFORM_TOOLBOX_URL` (a variable)
   */
  readonly toolboxRepository?: string;
  /**
   * With `targets`: the `PATH` the jobs' scripts pin before they run any program (absolute
   * directories separated by `:`), so a `PATH` pipeline variable cannot choose the `aws`, `docker`
   * or `sh` that runs with the job's roles. A `jobImage` with its tools elsewhere names its directories here.
   * @default `DEFAULT_DEPLOY_SEARCH_PATH` of deploy-targets.ts (the toolbox image's)
   */
  readonly searchPath?: string;
}

/** Props of {@link deployTemplate}. */
export interface DeployTemplateProps {
  /** The tag scheme: the `commit` kind names the image of a pipeline, the `deployed` kind what an environment runs. */
  readonly tagScheme: TagScheme;
  /** The environments, in promotion order. */
  readonly environments: readonly DeployTemplateEnvironment[];
  /**
   * The image role deployed.
   * @default "app"
   */
  readonly image?: string;
  /**
   * Image of the deploy jobs: needs the AWS CLI, `sh`, and for promotion the docker CLI with buildx.
   * @default the toolbox image of the job's environment, `$PLATFORM_TOOLBOX_URL:<latest tag>` (the
   *   toolbox project's protected repository there, which only its protected role writes: the
   *   toolbox project's CI file promotes the image into every deploying environment, see
   *   `toolboxPromotionJobs`), the image build jobs run
   */
  readonly jobImage?: string;
  /**
   * The image-reuse template's workflow rules; with environment branches the template repeats
   * them and adds one protected rule per branch (an included file's `workflow:` replaces the other's).
   * @default none: the image-reuse template's workflow applies
   */
  readonly workflowRules?: readonly CiRule[];
  /**
   * Hook commands, literal in the jobs' scripts (not CI/CD variables, which a pipeline variable
   * would override: a smoke test replaced by `true` would mark any digest good). A project changes
   * what its hooks do by changing those files, in its protected branch.
   * @default `./deploy/deploy.sh` and `./deploy/smoke-test.sh`
   */
  readonly hooks?: { readonly deploy?: string; readonly smokeTest?: string };
  /**
   * File name of the template.
   * @default "deploy.yml"
   */
  readonly fileName?: string;
}

export { deployedTagOf, deployScript, promoteScript } from "./deploy-job-scripts";

/** File name of the deploy template in the templates project. */
export const DEPLOY_TEMPLATE = "deploy.yml";
/** Hidden job of every deploy job: image, OIDC role, the deploy functions. */
export const DEPLOY_JOB = ".platform-deploy";
/** Protected refs only: GitLab sets CI_COMMIT_REF_PROTECTED to "true" for protected branches and tags. */
export const UNPROTECTED_REF = '$CI_COMMIT_REF_PROTECTED != "true"';

const NAME = /^[a-z][a-z0-9-]{0,19}$/;
const BRANCH = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$/;

/** The CI expression selecting an environment's deploy pipelines. */
export function deployPipelineIf(env: Pick<DeployTemplateEnvironment, "branch">): string {
  return env.branch === undefined ? DEFAULT_BRANCH_PIPELINE : `$CI_COMMIT_BRANCH == ${JSON.stringify(env.branch)}`;
}

/**
 * Generates the deploy template.
 * @param path where the template is configured, for error messages
 * @throws ValidationError for no environments, a bad or repeated name, a promotion source that
 *   is not an earlier environment of the list or the build environment, a deploy job without
 *   runner tags, rollback without recording, a scheme without the `commit` or `deployed` kind, or (without `jobImage`) without a moving kind with a fixed tag (`latest`),
 *   a target that does not fit the environment (see `validateDeployTargets`), a hook command with a quote or newline
 */
export function deployTemplate(path: string, props: DeployTemplateProps): CiTemplate {
  const envs = props.environments;
  const scheme = props.tagScheme;
  const commit = scheme.kind("commit", `${path}/tagScheme`);
  const deployed = scheme.kind("deployed", `${path}/tagScheme`);
  check(deployed.protected && deployed.ciTag !== undefined && deployed.ciTag.includes("CI_ENVIRONMENT_NAME"), {
    path: `${path}/tagScheme/kinds/deployed`,
    subject: "deployed kind",
    value: { protected: deployed.protected, ciTag: deployed.ciTag },
    rule: "what an environment runs must never expire: the deployed kind is protected and its tag names the environment (${CI_ENVIRONMENT_NAME})",
    fix: "keep the built-in deployed kind (prefix deployed-, protected, mutable)",
  });
  check(commit.ciTag !== undefined && commit.ciTag.includes("CI_COMMIT_SHA") && !commit.mutable, {
    path: `${path}/tagScheme/kinds/commit`,
    subject: "commit kind",
    value: commit.ciTag,
    rule: "deploy jobs find the pipeline's image by its per-commit tag, which must contain ${CI_COMMIT_SHA} and never move",
    fix: "keep the commit kind's ciTag per commit (sha-${CI_COMMIT_SHA}) and immutable",
  });
  validateEnvironments(path, envs);
  const image = props.image ?? "app";
  check(props.jobImage === undefined || (typeof props.jobImage === "string" && props.jobImage.trim() !== "" && !props.jobImage.includes("$")), {
    path: `${path}/jobImage`,
    subject: "deploy job image",
    value: props.jobImage,
    rule: "an image reference (a non-empty string without CI/CD variables: a pipeline variable would choose the image that runs with the deployment role)",
    fix: "name the image deploy jobs run, or leave jobImage unset to run the toolbox image",
  });
  const jobImage = props.jobImage ?? toolboxJobImage(path, scheme);
  const stageOf = (env: DeployTemplateEnvironment) => `deploy-${env.name}`;
  const hooks = { deploy: props.hooks?.deploy ?? "./deploy/deploy.sh", smokeTest: props.hooks?.smokeTest ?? "./deploy/smoke-test.sh" };
  for (const [name, command] of Object.entries(hooks)) {
    check(typeof command === "string" && command.trim() !== "" && !/['\n]/.test(command), {
      path: `${path}/hooks/${name}`,
      subject: "hook command",
      value: command,
      rule: "a hook is a literal command of the jobs' scripts, between single quotes: not empty, no quote or newline",
      fix: "put the command into a script file of the project (e.g. ./deploy/deploy.sh) and name that file",
    });
  }
  const pinnedAll = envs.every((e) => e.targets !== undefined);

  const oidc = awsOidcRole();
  const jobs: Record<string, CiJob> = {
    [DEPLOY_JOB]: {
      image: jobImage,
      interruptible: false,
      id_tokens: oidc.id_tokens,
      variables: {
        ...oidc.variables,
        // Without pinned targets the jobs read these (a pipeline variable overrides them); pinned scripts assign their own.
        ...(pinnedAll ? {} : { PLATFORM_DEPLOY_REPOSITORY: `$${imageVariable(image)}`, PLATFORM_DEPLOY_TAG: commit.ciTag!, PLATFORM_DEPLOYED_TAG: deployed.ciTag! }),
      },
      before_script: [
        `if [ -z "\${${PLATFORM_VARIABLES.roleArn}:-}" ]; then echo "platform-deploy: ${PLATFORM_VARIABLES.roleArn} is not set: deploy jobs run on protected refs only, with the environment's protected variables" >&2; exit 1; fi`,
        `printf '%s' "$GITLAB_OIDC_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"`,
        DEPLOY_FUNCTIONS,
      ],
    },
  };
  envs.forEach((env, i) => {
    const when: CiWhen = "on_success";
    const rules = (last: CiWhen): CiRule[] => [{ if: UNPROTECTED_REF, when: "never" }, { if: deployPipelineIf(env), when: last }];
    const record = env.recordLastGood ?? true;
    const where = `${path}/environments[${i}]`;
    if (env.targets !== undefined) validateDeployTargets(where, env.targets, { promoted: env.promoteFrom !== undefined, recorded: record, deploys: true });
    // The literal first line of every job of the environment (nothing of it comes from a CI/CD variable).
    const pin =
      env.targets === undefined
        ? []
        : [
            deployPinScript(where, {
              environment: env.name,
              ...(env.region !== undefined ? { region: env.region } : {}),
              ...(env.searchPath !== undefined ? { searchPath: env.searchPath } : {}),
              targets: env.targets,
              commitTag: commit.ciTag!,
              deployedTag: deployedTagOf(deployed.ciTag!, env.name),
            }),
          ];
    const pinnedJob: CiJob = {
      ...(props.jobImage === undefined && env.toolboxRepository !== undefined ? { image: `${env.toolboxRepository}:${toolboxImageTag(path, scheme)}` } : {}),
      ...(env.audience !== undefined ? { id_tokens: { GITLAB_OIDC_TOKEN: { aud: env.audience } } } : {}),
    };
    const common = (): CiJob => ({ extends: DEPLOY_JOB, stage: stageOf(env), tags: [...env.runnerTags], resource_group: `deploy-${env.name}`, ...pinnedJob });
    const needs: CiNeed[] = [];
    if (env.promoteFrom !== undefined) {
      // After the source environment's deploy job (deploy, smoke test, record) passed, when the source deploys here too.
      // With environment branches the source's jobs run in other pipelines (its branch's): the need is optional there.
      const source = envs.find((e) => e.name === env.promoteFrom);
      const elsewhere = source !== undefined && source.branch !== env.branch;
      const after = source ? { needs: [{ job: `deploy-${source.name}`, ...(elsewhere ? { optional: true } : {}) }] } : {};
      // When the source deploys in other pipelines (another branch), the need cannot hold this job back:
      // the job itself refuses a digest that is not what the source environment runs after a passed smoke test.
      const requiredTag = elsewhere ? deployedTagOf(deployed.ciTag!, source.name) : undefined;
      jobs[`promote-${env.name}`] = {
        ...common(),
        ...after,
        // It copies by digest and reads no file of the pipeline: no artifact of an earlier stage (a HOME or
        // tool configuration a job left there) lands in its directory.
        dependencies: [],
        environment: { name: env.name, action: "prepare" },
        rules: rules(when),
        ...(env.targets === undefined ? { variables: { PLATFORM_PROMOTE_FROM: `$${promoteFromVariable(image)}` } } : {}),
        script: [...pin, promoteScript(requiredTag, `${path}/environments/${env.name}`)],
      };
      needs.push({ job: `promote-${env.name}` });
    }
    // Deploy, smoke test and record in one job, so in one hold of the environment's resource group: the smoke test
    // probes what this job deployed, and only a digest whose own smoke test passed is recorded (see deployScript).
    jobs[`deploy-${env.name}`] = {
      ...common(),
      environment: { name: env.name },
      ...(needs.length > 0 ? { needs } : {}),
      rules: rules(env.manual ? "manual" : when),
      script: [...pin, ...deployScript(hooks, record, path)],
    };
    if (env.rollback ?? record) {
      jobs[`rollback-${env.name}`] = {
        ...common(),
        environment: { name: env.name },
        needs: [{ job: `deploy-${env.name}` }],
        rules: rules("on_failure"),
        script: [...pin, `platform_rollback '${hooks.deploy}' '${hooks.smokeTest}'`],
      };
    }
  });

  const branches = envs.filter((e) => e.branch !== undefined);
  const baseRules = props.workflowRules ?? [];
  const protectedRule = baseRules.find((r) => r.if === DEFAULT_BRANCH_PIPELINE);
  check(branches.length === 0 || protectedRule !== undefined, {
    path: `${path}/workflowRules`,
    subject: "workflow rules",
    value: baseRules.map((r) => r.if),
    rule: "environment branches repeat the default branch's workflow rule (its protected tags and repositories), so the image-reuse template's rules must be given and hold it",
    fix: "pass the image-reuse template's workflow rules (platformCiTemplates does)",
  });
  const config: CiConfig = {
    stages: [...TEMPLATE_STAGES, ...envs.map(stageOf)],
    ...(branches.length > 0 ? { workflow: { rules: [...baseRules, ...branches.map((e) => ({ ...protectedRule!, if: deployPipelineIf(e) }))] } } : {}),
    jobs,
  };
  return {
    fileName: props.fileName ?? DEPLOY_TEMPLATE,
    config,
    content: renderCiYaml(config, [
      "Generated by gitlab-ci-platform. Do not edit: regenerate.",
      "Include it next to image-reuse.yml. Per environment, in order: promote (by digest), deploy, smoke test, rollback on failure.",
      ...envs.map((e) => `  ${e.name}: ${e.promoteFrom ? `promoted from ${e.promoteFrom}, ` : ""}runner tags ${e.runnerTags.join(", ")}${e.branch ? `, branch ${e.branch}` : ""}`),
    ]),
  };
}

/** Names, order, runner tags, branches and rollback of the template's environments. */
function validateEnvironments(path: string, envs: readonly DeployTemplateEnvironment[]): void {
  check(envs.length > 0, { path, subject: "environments", value: [], rule: "a deploy template deploys at least one environment", fix: "give the environments to deploy, in promotion order" });
  const seen: string[] = [];
  envs.forEach((env, i) => {
    const where = `${path}/environments[${i}]`;
    check(typeof env.name === "string" && NAME.test(env.name) && !seen.includes(env.name), {
      path: where,
      subject: "environment name",
      value: env.name,
      rule: "environment names are unique, 1-20 lower-case letters, digits and '-' (they name jobs, stages and resource groups)",
      fix: "use the environments' configuration names",
    });
    check(env.promoteFrom === undefined || (env.promoteFrom !== env.name && (seen.includes(env.promoteFrom) || !envs.some((e) => e.name === env.promoteFrom))), {
      path: `${where}/promoteFrom`,
      subject: "promotion source",
      value: env.promoteFrom,
      rule: "an environment is promoted from an earlier environment of the list, or from the build environment (one without deploy jobs)",
      fix: "list environments in promotion order",
    });
    check(env.runnerTags.length > 0, {
      path: `${where}/runnerTags`,
      subject: "runner tags",
      value: env.runnerTags,
      rule: "deploy jobs carry the environment's deploy runner tags, or any runner taking untagged jobs could run them",
      fix: "give the deploy pool's (or protected pool's) runner tags",
    });
    check(env.branch === undefined || (BRANCH.test(env.branch) && !/[*?]/.test(env.branch)), {
      path: `${where}/branch`,
      subject: "branch",
      value: env.branch,
      rule: "an environment branch is one exact branch name",
      fix: `use e.g. "${env.name}"`,
    });
    check(env.rollback !== true || env.recordLastGood !== false, {
      path: `${where}/rollback`,
      subject: "rollback",
      value: true,
      rule: "a rollback redeploys the recorded last good digest, and recordLastGood is false",
      fix: "record the last good digest, or drop the rollback",
    });
    seen.push(env.name);
  });
}
