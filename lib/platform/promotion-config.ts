/*
 * The configuration of promotion and deploy jobs (types only; checks in deploy-config.ts and promotion.ts).
 */
import { type DeployAccessLevel } from "../gitlab/deploy-environments";
/**
 * Promotion into an environment: a protected job of this environment copies the
 * image of the pipeline's commit, by digest, from the source environment's
 * protected repository into this environment's (the digest stays the same).
 */
export interface PromotionConfig {
  /**
   * Name of the environment images come from.
   * @default the environment listed before this one in the configuration
   */
  readonly from?: string;
}

/** Deploy jobs of an environment (the published `deploy.yml` template). */
export interface DeployConfig {
  /**
   * The image role deployed (`app`: `PLATFORM_APP_IMAGE`).
   * @default "app"
   */
  readonly image?: string;
  /**
   * Name of the runner registration deploy jobs run on; it must take protected refs only, and so
   * must every runner on its hosts (its whole pool, and the pool of any registration carrying its
   * tags); a runner there whose jobs are root on the host (docker socket, docker-in-docker,
   * privileged, a host path volume) is refused unless every job of those hosts is of one project.
   * @default the deploy pool's runner (`runners.deploy`) when there is one, else the protected pool's first runner without docker socket or privileged mode, else its first runner
   */
  readonly runner?: string;
  /**
   * Deploy only when someone starts the job (`when: manual`), e.g. for production.
   * @default false
   */
  readonly manual?: boolean;
  /**
   * Where the last good digest (the one whose smoke test passed) is recorded: one SSM String
   * parameter per tenant, `<parameterPrefix>/<tenant>/last-good-digest`, that the environment's
   * deployment role alone may read and write. `false` records nothing (no rollback then).
   * @default { parameterPrefix: "/<project>/<environment>/deploy" }
   */
  readonly lastGoodDigest?: { readonly parameterPrefix?: string } | false;
  /**
   * Roll back to the recorded last good digest when the deploy or its smoke test fails.
   * @default true when the last good digest is recorded
   */
  readonly rollback?: boolean;
  /**
   * Branch-per-environment pipelines: deploy to this environment from pipelines of this branch
   * (e.g. `staging`) instead of the default branch. Every environment's protected CI roles then
   * trust the branch, and the platform protects it in GitLab like the default branch.
   * @default none: default-branch pipelines deploy
   */
  readonly branch?: string;
  /**
   * Who may run the deploy jobs of this environment: with `gitlab.tier` premium or ultimate, every
   * tenant project gets a GitLab protected environment of this name with this deploy access level
   * (`gitlab_project_protected_environment`). GitLab Free has no protected environments: there the
   * protected branches and tags, the protected variables and the roles' trust stand in for it, and
   * setting this fails the configuration check.
   * @default "maintainer" on premium and ultimate; nothing on free
   */
  readonly deployAccess?: DeployAccessLevel;
  /**
   * Image the deploy jobs run (needs `sh`, the AWS CLI, and for promotion the docker CLI with
   * buildx), for every deploying environment of the GitLab instance (they must agree).
   * Setting it is the explicit choice of an image the platform does not build or promote (you keep
   * it current and pullable from every deploying environment's deploy runners); without a toolbox
   * project (`gitlab.toolboxProject`) it is required, since nothing would fill the default.
   * @default the toolbox image of the job's environment, `<toolbox repository>:latest`: the
   *   toolbox project (`gitlab.toolboxProject`) must then be one of the environment's projects
   *   with the `toolbox` image role's repository, which its CI file promotes `latest` into
   */
  readonly jobImage?: string;
}
