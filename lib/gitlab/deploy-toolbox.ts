import { check } from "../core/errors";
import { type CiJob, type CiNeed } from "./ci-yaml";
import { DEPLOY_FUNCTIONS } from "./deploy-script";
import { deployPinScript, type DeployTarget, validateDeployTargets } from "./deploy-targets";
import { promoteFromVariable } from "./deploy-variables";
import { awsOidcRole, DOCKER_CLI_IMAGE } from "./image-reuse-template";
import { movingKindOf } from "./image-reuse-plan";
import { imageVariable, PLATFORM_VARIABLES } from "./platform-variables";
import { type TagScheme } from "../registry/tag-scheme";

/*
 * The toolbox image in the environments that deploy. Deploy jobs run the toolbox image of their
 * environment, `$PLATFORM_TOOLBOX_URL:<latest tag>` with the environment's value of the variable
 * (the toolbox project's protected repository there), the way build jobs run it in the build
 * environment. The toolbox project builds the image once, in the build environment; these jobs of
 * its CI file copy it by digest into every deploying environment, in promotion order, and move the
 * environment's latest tag onto it. Only the toolbox project's protected role of an environment
 * writes that repository (protected refs only), so nothing an unprotected pipeline runs can move
 * the tag a deploy job starts from.
 */

/** One environment the toolbox image is promoted into (a deploying environment of the deploy template). */
export interface ToolboxPromotionEnvironment {
  /** Environment name (the GitLab environment: its scoped variables name its repositories and role). */
  readonly name: string;
  /** Runner tags of its deploy jobs (a runner taking protected refs only). */
  readonly runnerTags: readonly string[];
  /**
   * The environment the images come from; an environment of the list, or the build environment.
   * @default none: the environment is not promoted into (nothing to copy)
   */
  readonly promoteFrom?: string;
  /**
   * Branch-per-environment: this environment's deploy jobs run in pipelines of this branch.
   * The toolbox project has one branch; its jobs run on its default branch either way.
   * @default none
   */
  readonly branch?: string;
  /**
   * The toolbox project's role and repositories in this environment (`project` its path,
   * `roleArn` its protected role, `repository` its toolbox repository, `promoteFrom` the source
   * environment's), written into the promotion job's script as literals (see deploy-targets.ts).
   * @default none: the job reads them from CI/CD variables (`PLATFORM_TOOLBOX_PROMOTE_FROM`, …)
   */
  readonly toolbox?: DeployTarget;
  /**
   * The environment's OIDC audience, a literal of the job's `id_tokens`.
   * @default `$PLATFORM_OIDC_AUDIENCE` (a variable)
   */
  readonly audience?: string;
  /**
   * The environment's AWS region, pinned in the job's script.
   * @default `$PLATFORM_AWS_REGION` (a variable)
   */
  readonly region?: string;
  /**
   * With `toolbox`: the `PATH` the job's script pins (see `DeployPins.searchPath`).
   * @default `DEFAULT_DEPLOY_SEARCH_PATH`
   */
  readonly searchPath?: string;
}

/**
 * The tag a job running the toolbox image uses: the scheme's first moving kind with a fixed tag
 * (`latest` with the built-in scheme), the same rule the image-reuse template's build jobs follow.
 * @throws ValidationError when the scheme has no such kind
 */
export function toolboxImageTag(path: string, scheme: TagScheme): string {
  const moving = movingKindOf(scheme);
  check(moving !== undefined, {
    path: `${path}/tagScheme`,
    subject: "tag scheme",
    value: scheme.kinds.map((k) => k.name),
    rule: "jobs start from the toolbox image's moving tag (a mutable kind with a fixed tag, e.g. latest), and the scheme has none",
    fix: "keep the built-in latest kind, or give the jobs an image",
  });
  return moving!.ciTag!;
}

/** The toolbox image a protected job of an environment runs: `$PLATFORM_TOOLBOX_URL:<tag>`. */
export function toolboxJobImage(path: string, scheme: TagScheme): string {
  return `$${PLATFORM_VARIABLES.toolboxUrl}:${toolboxImageTag(path, scheme)}`;
}

/** Props of {@link toolboxPromotionJobs}. */
export interface ToolboxPromotionProps {
  /** The toolbox project's tag scheme: its `commit` kind names the image of a pipeline. */
  readonly tagScheme: TagScheme;
  /** The deploying environments, in promotion order. */
  readonly environments: readonly ToolboxPromotionEnvironment[];
  /** Commands that give the bootstrap image the AWS CLI (the toolbox cannot promote itself into an environment it is not in yet). */
  readonly setup: readonly string[];
  /**
   * The job that builds the toolbox image in the build environment.
   * @default "build-toolbox-image"
   */
  readonly buildJob?: string;
}

/**
 * The `promote-toolbox-<environment>` jobs of the toolbox project's CI file and their stages: per
 * deploying environment with a promotion source, on the default branch's protected pipelines, on
 * the environment's deploy runner, with `environment: { name, action: prepare }` (the
 * environment's scoped variables: `PLATFORM_TOOLBOX_PROMOTE_FROM`, `PLATFORM_TOOLBOX_IMAGE`, the
 * toolbox project's protected role and the environment's audience), in the pinned docker CLI image
 * with the AWS CLI added (`setup`): `platform_promote` copies the commit's image by digest from
 * the source environment and `platform_mark_deployed` moves the latest tag onto it, only while the
 * pipeline's commit is the default branch's head (`platform_still_head`: a retried promote job of an
 * older pipeline does not move the deploy jobs' toolbox back). With `toolbox`, the role,
 * repositories and tags are literals of the script (`deployPinScript`), not variables.
 * @throws ValidationError for a scheme without the `commit` kind or a moving tag, or a `toolbox` target that does not fit (`validateDeployTargets`)
 */
export function toolboxPromotionJobs(path: string, props: ToolboxPromotionProps): { stages: string[]; jobs: Record<string, CiJob> } {
  const commit = props.tagScheme.kind("commit", `${path}/tagScheme`);
  const latest = toolboxImageTag(path, props.tagScheme);
  const oidc = awsOidcRole();
  const names = props.environments.map((e) => e.name);
  const promoted = props.environments.filter((e) => e.promoteFrom !== undefined);
  const jobs: Record<string, CiJob> = {};
  for (const env of promoted) {
    const where = `${path}/environments[${props.environments.indexOf(env)}]`;
    if (env.toolbox !== undefined) validateDeployTargets(where, [env.toolbox], { promoted: true, recorded: false, deploys: false });
    const pin =
      env.toolbox === undefined
        ? []
        : [deployPinScript(where, { environment: env.name, ...(env.region !== undefined ? { region: env.region } : {}), ...(env.searchPath !== undefined ? { searchPath: env.searchPath } : {}), targets: [env.toolbox], single: true, commitTag: commit.ciTag!, deployedTag: latest })];
    const needs: CiNeed[] = names.includes(env.promoteFrom!) && promoted.some((e) => e.name === env.promoteFrom) ? [{ job: `promote-toolbox-${env.promoteFrom}` }] : [{ job: props.buildJob ?? "build-toolbox-image" }];
    jobs[`promote-toolbox-${env.name}`] = {
      stage: `promote-toolbox-${env.name}`,
      image: DOCKER_CLI_IMAGE,
      tags: [...env.runnerTags],
      interruptible: false,
      resource_group: `promote-toolbox-${env.name}`,
      environment: { name: env.name, action: "prepare" },
      needs,
      rules: [{ if: '$CI_COMMIT_REF_PROTECTED != "true"', when: "never" }, { if: "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", when: "on_success" }],
      id_tokens: env.audience !== undefined ? { GITLAB_OIDC_TOKEN: { aud: env.audience } } : oidc.id_tokens,
      variables: {
        ...oidc.variables,
        ...(env.toolbox === undefined
          ? { PLATFORM_PROMOTE_FROM: `$${promoteFromVariable("toolbox")}`, PLATFORM_DEPLOY_REPOSITORY: `$${imageVariable("toolbox")}`, PLATFORM_DEPLOY_TAG: commit.ciTag!, PLATFORM_DEPLOYED_TAG: latest }
          : {}),
      },
      before_script: [
        ...props.setup,
        `if [ -z "\${${PLATFORM_VARIABLES.roleArn}:-}" ]; then echo "platform-deploy: ${PLATFORM_VARIABLES.roleArn} is not set: the toolbox is promoted on protected refs only, with the environment's protected variables" >&2; exit 1; fi`,
        `printf '%s' "$GITLAB_OIDC_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"`,
        DEPLOY_FUNCTIONS,
      ],
      script: [
        ...pin,
        'platform_promote "$PLATFORM_PROMOTE_FROM:$PLATFORM_DEPLOY_TAG" "$PLATFORM_DEPLOY_REPOSITORY:$PLATFORM_DEPLOY_TAG"',
        // latest moves only forward: a retried promote job of an older pipeline leaves it on the newer toolbox (retag-script.ts).
        'if platform_still_head "$PLATFORM_DEPLOY_REPOSITORY:$PLATFORM_DEPLOYED_TAG"; then platform_mark_deployed "$PLATFORM_DEPLOY_REPOSITORY@$(platform_ref_digest "$PLATFORM_DEPLOY_REPOSITORY:$PLATFORM_DEPLOY_TAG")"; fi',
      ],
    };
  }
  return { stages: promoted.map((e) => `promote-toolbox-${e.name}`), jobs };
}
