/*
 * Which runner pool a job of the platform's templates lands on. Every runner the platform
 * registers is tagged `<project>-<env>-<pool>-<runner>` and takes no untagged jobs, so a job
 * reaches a runner only through a tag. The templates give their jobs
 * `tags: [$PLATFORM_BUILD_RUNNER_TAG]` (image builds) and `tags: [$PLATFORM_RUNNER_TAG]`
 * (everything else), and the platform sets those variables per trust level:
 *
 * - the protected pool's tags as **protected project** variables of every tenant (the protected
 *   pool's socket-binding runners are project runners of the tenants);
 * - the unprotected pool's tags as **unprotected group** variables of the same names.
 *
 * GitLab gives project variables precedence over group variables and passes protected
 * variables only to pipelines of protected branches and tags (GitLab docs, "CI/CD variables":
 * "CI/CD variable precedence" and "Protect a CI/CD variable"), so a protected pipeline of a
 * tenant gets the protected pool's tags and every other pipeline the unprotected pool's. The
 * selection cannot be left to the templates' `workflow:rules:variables`: GitLab expands `tags:`
 * one level only (`Gitlab::Ci::Pipeline::Seed::Build#evaluate_runner_tags` calls
 * `ExpandVariables.expand_existing` with the job's unexpanded `variables_hash`,
 * lib/gitlab/ci/pipeline/seed/build.rb and lib/gitlab/ci/build/context/base.rb), so a tag
 * variable whose value names another variable stays literally `$OTHER` and the job never
 * starts. Expansion of CI/CD variables in `tags:` itself exists since GitLab 14.1 (GitLab docs,
 * "Where variables can be used", row `tags`).
 */
import { type CiVariableOptions } from "../gitlab/ci-variable";
import { PLATFORM_VARIABLES } from "../gitlab/platform-variables";
import { type EnvironmentConfig, type PlatformInfo, runnersOf } from "./config";
import { controlsHost, type PoolRunner, runnerPoolsOf } from "./runner-pools";
import { type TrustLevel } from "./tenancy";

/** The tags the templates' jobs of one trust level carry. */
export interface PoolJobTags {
  /** Tag of jobs that run the pipeline's images (tests, review environments): a runner of the pool that controls no host if there is one. */
  readonly jobs: string;
  /** Tag of the image build jobs: a runner of the pool with an image builder (else {@link PoolJobTags.jobs}: the build then fails with a message). */
  readonly builds: string;
}

/** The first tag of a registered runner. */
const tagOf = (runner: PoolRunner): string | undefined => runner.registration?.tags?.[0];

/**
 * The job tags of each trust level of an environment, from its runner pools: the protected
 * pool (not the deploy pool) and the unprotected pool. A level without a registered, tagged
 * runner has none.
 */
export function poolJobTagsOf(platform: PlatformInfo, env: EnvironmentConfig): Readonly<Partial<Record<TrustLevel, PoolJobTags>>> {
  const pools = runnerPoolsOf(env, runnersOf(platform, env));
  const of = (pool: "protected" | "unprotected"): PoolJobTags | undefined => {
    const tagged = pools.filter((r) => r.pool === pool && tagOf(r) !== undefined);
    const jobs = tagged.find((r) => !controlsHost(r)) ?? tagged[0];
    if (jobs === undefined) return undefined;
    const builds = tagged.find((r) => r.builder !== "none") ?? jobs;
    return { jobs: tagOf(jobs)!, builds: tagOf(builds)! };
  };
  const protectedTags = of("protected");
  const unprotectedTags = of("unprotected");
  return { ...(protectedTags ? { protected: protectedTags } : {}), ...(unprotectedTags ? { unprotected: unprotectedTags } : {}) };
}

/** The two tag variables with a trust level's tags. */
function tagVariables(tags: PoolJobTags, trust: TrustLevel, environmentScope: string, isProtected: boolean): CiVariableOptions[] {
  const common = { environmentScope, raw: true, masked: false, protected: isProtected } as const;
  return [
    { key: PLATFORM_VARIABLES.runnerTag, value: tags.jobs, description: `Runner tag of ${trust} pipelines' jobs (the ${trust} pool)`, ...common },
    { key: PLATFORM_VARIABLES.buildRunnerTag, value: tags.builds, description: `Runner tag of ${trust} pipelines' image builds (the ${trust} pool)`, ...common },
  ];
}

/**
 * The group variables of the unprotected pool's tags (every pipeline that is not a protected
 * pipeline of a tenant lands there). None when the environment has no unprotected pool.
 * @param isProtected make them protected variables (as every group variable of a production environment)
 */
export function unprotectedRunnerTagVariables(platform: PlatformInfo, env: EnvironmentConfig, environmentScope = "*", isProtected = false): CiVariableOptions[] {
  const tags = poolJobTagsOf(platform, env).unprotected;
  return tags ? tagVariables(tags, "unprotected", environmentScope, isProtected) : [];
}

/**
 * A tenant's protected project variables of the protected pool's tags: they reach only the
 * tenant's protected pipelines and take precedence over the group's unprotected tags there.
 * None when the environment has no protected pool.
 */
export function protectedRunnerTagVariables(platform: PlatformInfo, env: EnvironmentConfig, environmentScope = "*"): CiVariableOptions[] {
  const tags = poolJobTagsOf(platform, env).protected;
  return tags ? tagVariables(tags, "protected", environmentScope, true) : [];
}
