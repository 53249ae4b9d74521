/*
 * The props of a `GitLabCiPlatform` and what it reports of its runner pools (types only).
 * Re-exported by platform.ts.
 */
import { type PullThroughCacheRuleSource } from "../mirror/ecr-pull-through-mirror";
import { type TrustLevel } from "../core/trust";
import { type ImageBuilder } from "../runner/image-builder";
import { type EnvironmentConfig, type PlatformInfo } from "./config";
import { type RunnerPoolName } from "./runner-pools";

/** One registered runner of a pool, as CI templates and operators route jobs by it. */
export interface RunnerPoolInfo {
  /** Runner name. */
  readonly name: string;
  /** Its pool. */
  readonly pool: RunnerPoolName;
  /** The trust level its hosts serve. */
  readonly trust: TrustLevel;
  /** Its tags: a job with these tags (all of them) runs on it. */
  readonly tags: readonly string[];
  /** Whether it also takes untagged jobs. */
  readonly untagged: boolean;
  /** GitLab access level: `ref_protected` runs only jobs of protected branches and tags. */
  readonly accessLevel: "ref_protected" | "not_protected";
  /** Group runner, or project runner(s) of the tenants. */
  readonly scope: "group" | "project";
  /** The image builder its jobs see as `PLATFORM_IMAGE_BUILDER`. */
  readonly builder: ImageBuilder;
}

/** Props of `GitLabCiPlatform`. */
export interface GitLabCiPlatformProps {
  /** The project: its name prefixes resource names (`<project>-<environment>-…`). */
  readonly platform: PlatformInfo;
  /** The environment to build, validated at construction (see `validateEnvironmentConfig`). */
  readonly environment: EnvironmentConfig;
  /**
   * The registry-wide settings of the environment's account and region (the
   * app's `AccountStack.registry`, a `RegistrySettings`): an `ecr-pull-through`
   * mirror offers their pull-through cache rules. Rules are account-wide
   * singletons, so they are defined once there, not by the platform.
   * @default none: an environment with an `ecr-pull-through` mirror fails at construction
   */
  readonly registrySettings?: PullThroughCacheRuleSource;
  /**
   * Project paths whose trusted refs another stack protects: this platform
   * only checks them at plan time (protected, and by Maintainers only), so no
   * two stacks manage one protection and no environment's stack takes down a
   * protection another environment relies on (the app passes every `manage`
   * tenant: its `gitlab-shared` stack protects them).
   * @default none: every tenant with `protectedRefs: "manage"` gets its protections here
   */
  readonly protectedRefsManagedElsewhere?: readonly string[];
  /**
   * Path of the GitLab project that builds the toolbox image on this GitLab instance (the
   * `gitlab.toolboxProject.path` of whichever environment declares it; the app passes it, since
   * the shared GitLab stack, not the environment, holds the project). Every tenant's
   * `PLATFORM_TOOLBOX_URL` names that project's protected toolbox repository in this
   * environment, and every tenant's CI roles may pull it.
   * @default the environment's own `gitlab.toolboxProject.path`, if any
   */
  readonly toolboxProject?: string;
  /**
   * The environment's neighbours in promotion (the app passes them from the configuration,
   * see lib/platform/promotion.ts): `source`, the environment this one's images are promoted
   * from (each tenant's protected role may pull the tenant's protected repositories there);
   * `targets`, the environments promoted from this one (in another account, each target's
   * protected role of the same tenant is named in this environment's repository policies);
   * `environmentBranches`, the configuration's environment branches (`deploy.branch`), which
   * every protected role trusts.
   * @default no promotion
   */
  readonly promotion?: PlatformPromotion;
  /**
   * Leave the group variables with environment scope `*` to a stack that outlives every
   * environment (see `EnvironmentGitLabSideProps.groupWideVariablesElsewhere`); they are
   * exposed as `gitlab.groupWideVariables`.
   * @default false: the environment creates them
   */
  readonly groupWideVariablesElsewhere?: boolean;
}

/** See {@link GitLabCiPlatformProps.promotion}. */
export interface PlatformPromotion {
  /**
   * The environment this one's images are promoted from.
   * @default none
   */
  readonly source?: EnvironmentConfig;
  /**
   * The environments promoted from this one.
   * @default none
   */
  readonly targets?: readonly EnvironmentConfig[];
  /**
   * Branches of branch-per-environment deploys that the protected roles trust.
   * @default none
   */
  readonly environmentBranches?: readonly string[];
}
