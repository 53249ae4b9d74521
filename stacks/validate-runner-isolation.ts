import { check } from "../lib/core/errors";
import { runnersOf } from "../lib/platform/config";
import { runnerPoolsOf, tagsOverlap } from "../lib/platform/runner-pools";
import { tenantsOf } from "../lib/platform/tenancy";
import { type PlatformConfig } from "./platform-config";

/** Whether a job of a project under `a` can see a runner scoped to `b` or the other way round (same path, or one contains the other). */
function scopesOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * No job can land on the runners of two environments: across environments on
 * one GitLab instance, two registrations whose scopes overlap (the same group,
 * a group and one of its projects or subgroups, the same project) must not
 * share a tag or both take untagged jobs. GitLab runs a job on any runner
 * whose tags include all of the job's tags, and untagged jobs on any runner
 * that takes untagged jobs; a job landing on another environment's runner
 * reaches that environment's hosts, tokens and caches.
 */
export function validateRunnerIsolation(config: PlatformConfig): void {
  const seen: { env: string; url: string; scopes: string[]; tags: readonly string[]; untagged: boolean; name: string }[] = [];
  config.environments.forEach((env, i) => {
    const registrations = runnersOf(config, env);
    const pools = runnerPoolsOf(env, registrations);
    const tenants = tenantsOf(env).map((t) => t.path);
    registrations.forEach((registration, j) => {
      const project = pools.find((p) => p.name === registration.name)?.scope === "project" && registration.existingTokenParameter === undefined;
      const mine = { env: env.name, url: env.gitlab.url, scopes: project ? tenants : [env.gitlab.group], tags: registration.tags ?? [], untagged: registration.untagged ?? false, name: registration.name };
      for (const other of seen) {
        if (other.env === env.name || other.url !== mine.url) continue;
        const shared = mine.scopes.some((a) => other.scopes.some((b) => scopesOverlap(a, b)));
        check(!shared || !tagsOverlap(mine, other), {
          path: `config/environments[${i}]/gitlab/runners[${j}]`,
          subject: "runner registration",
          value: { runner: registration.name, tags: mine.tags, untagged: mine.untagged, scope: mine.scopes },
          rule: `runners of different environments must not take the same jobs, but runner "${other.name}" of environment ${other.env} serves an overlapping scope (${other.scopes.join(", ")}) with ${mine.untagged && other.untagged ? "untagged jobs on both" : `the shared tag(s) ${mine.tags.filter((t) => other.tags.includes(t)).join(", ")}`}: a job of one environment could land on the other's hosts`,
          fix: "use the default tags (<project>-<environment>-<pool>-<runner>), give each environment's runners tags of their own, and let at most one environment take untagged jobs",
        });
      }
      seen.push(mine);
    });
  });
}
