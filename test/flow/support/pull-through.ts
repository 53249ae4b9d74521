import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildIamModel, principalMay, roleAllows } from "../../attack-path/iam-model";
import { resourceEntriesOf, type SynthJson } from "../../support/synth";
import { exampleStackJson, sourceHash } from "./example-json";
import { ECR_ACTIONS, type PermissionTable } from "./flow-iam";

/*
 * The ECR pull-through cache of the example's dev environment for the fake registry
 * (fake-pull-through.cjs): its rules, read from the synthesized account stack, and what each CI
 * role may do on the cache repositories a build pulls through, decided by the IAM evaluator over
 * the synthesized policies (as the attack-path suite decides).
 */

/** A pull-through cache rule as the fake registry reads it ($FAKE_PULL_THROUGH). */
export interface PullThroughRule {
  /** `ecr_repository_prefix`: cache repositories are `<prefix>/<upstream path>`. */
  readonly prefix: string;
  /** `upstream_registry_url`, e.g. `public.ecr.aws`. */
  readonly upstreamRegistryUrl: string;
  /** Whether the repository creation template that applies adds resource tags (the first pull then also needs `ecr:TagResource`). */
  readonly resourceTags: boolean;
  /**
   * The cache repositories that exist before any pull: the account stack's synthesized
   * `aws_ecr_repository` resources whose name lies under the prefix (`cachedRepositories`).
   */
  readonly repositories: readonly string[];
}

/** The actions a pull through the cache may need besides the pull actions (Amazon ECR User Guide, pull-through-cache-iam.html). */
export const PULL_THROUGH_IMPORT_ACTIONS = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository", "ecr:TagResource"] as const;

type Json = Record<string, unknown>;
const PROBE = "/library/pull-through-probe";
const providerOf = (json: SynthJson) => ((json.provider as { aws?: Json[] } | undefined)?.aws?.[0] ?? {}) as { allowed_account_ids?: string[]; region?: string };

/** The example's account stack (name and JSON) holding the registry settings of the dev environment's account and region. */
export function devAccountStack(stacks: ReadonlyMap<string, SynthJson> = exampleStackJson()): [string, SynthJson] {
  const dev = providerOf(stacks.get("dev")!);
  const found = [...stacks].find(
    ([name, json]) => name !== "dev" && resourceEntriesOf(json, "aws_ecr_pull_through_cache_rule").length > 0 && providerOf(json).allowed_account_ids?.[0] === dev.allowed_account_ids?.[0] && providerOf(json).region === dev.region,
  );
  if (!found) throw new Error("the example has no account stack with pull-through cache rules for the dev environment's account and region");
  return found;
}

/**
 * The pull-through cache rules of a synthesized account stack (`aws_ecr_pull_through_cache_rule`), each
 * with whether its repository creation template (`applied_for` PULL_THROUGH_CACHE, the rule's prefix or
 * `ROOT`; Amazon ECR User Guide, "Templates to control repositories created during a pull through cache
 * action") adds resource tags, and the cache repositories the stack creates up front (its
 * `aws_ecr_repository` resources under the rule's prefix).
 */
export function pullThroughRulesOf(account: SynthJson): PullThroughRule[] {
  const templates = resourceEntriesOf(account, "aws_ecr_repository_creation_template")
    .map(([, t]) => t)
    .filter((t) => (t.applied_for as string[] | undefined)?.includes("PULL_THROUGH_CACHE"));
  const names = resourceEntriesOf(account, "aws_ecr_repository").map(([, repo]) => String(repo.name));
  return resourceEntriesOf(account, "aws_ecr_pull_through_cache_rule").map(([, rule]) => {
    const prefix = String(rule.ecr_repository_prefix);
    const template = templates.find((t) => t.prefix === prefix) ?? templates.find((t) => t.prefix === "ROOT");
    const repositories = names.filter((name) => name.startsWith(`${prefix}/`));
    return { prefix, upstreamRegistryUrl: String(rule.upstream_registry_url), resourceTags: Object.keys((template?.resource_tags ?? {}) as Json).length > 0, repositories };
  });
}

/**
 * `json` with the pull-through grant taken from the inline policies of the role named `roleName`: every
 * statement allowing `ecr:BatchImportUpstreamImage` is removed (`actions` undefined), or loses only
 * `actions`. Returns the planted JSON and how many statements changed (0: nothing was planted).
 */
export function withoutPullThroughGrant(json: SynthJson, roleName: string, actions?: readonly string[]): { json: SynthJson; changed: number } {
  const copy = JSON.parse(JSON.stringify(json)) as SynthJson;
  const roleIds = resourceEntriesOf(copy, "aws_iam_role").filter(([, role]) => role.name === roleName).map(([id]) => id);
  let changed = 0;
  for (const [, policy] of resourceEntriesOf(copy, "aws_iam_role_policy")) {
    if (!roleIds.some((id) => policy.role === `\${aws_iam_role.${id}.name}` || policy.role === roleName)) continue;
    const doc = JSON.parse(String(policy.policy)) as { Statement: Array<{ Action: string | string[] }> };
    doc.Statement = doc.Statement.flatMap((s) => {
      const granted = [s.Action].flat();
      if (!granted.includes("ecr:BatchImportUpstreamImage")) return [s];
      changed++;
      return actions === undefined ? [] : [{ ...s, Action: granted.filter((a) => !actions.includes(a)) }];
    });
    policy.policy = JSON.stringify(doc);
  }
  return { json: copy, changed };
}

/**
 * The fake registry's IAM table (`FAKE_IAM`) for the dev environment's CI roles: the ECR actions each
 * may perform on the environment's repositories, and on each of `cacheRepositories` (pull-through cache
 * repositories, which need not exist yet) the pull actions and {@link PULL_THROUGH_IMPORT_ACTIONS},
 * decided by the IAM evaluator over the synthesized dev stack (or `plant.dev`, a changed copy) and its
 * account stack's registry (the registry policies and the creation template's repository policy count,
 * as in the attack-path suite). Written to the temp directory under a hash of the sources and arguments.
 * @returns the path of the JSON table
 */
export function pullThroughPermissionTable(cacheRepositories: readonly string[], plant?: { readonly name: string; readonly dev: SynthJson }): string {
  const key = createHash("sha256").update(JSON.stringify([cacheRepositories, plant?.dev ?? null])).digest("hex").slice(0, 16);
  const file = path.join(tmpdir(), `flow-pull-through-iam-${sourceHash([__filename, require.resolve("./flow-iam")])}-${(plant?.name ?? "synthesized").replace(/[^A-Za-z0-9-]/g, "_")}-${key}.json`);
  if (existsSync(file)) return file;
  const stacks = exampleStackJson();
  const [accountName, account] = devAccountStack(stacks);
  const model = buildIamModel(new Map([["dev", plant?.dev ?? stacks.get("dev")!], [accountName, account]]));
  const table: PermissionTable = {};
  for (const role of model.roles.filter((r) => r.stack === "dev" && /-(un)?protected$/.test(r.name))) {
    const repositories: Record<string, string[]> = Object.fromEntries(model.repositories.filter((r) => r.stack === "dev").map((repo) => [repo.name, ECR_ACTIONS.filter((action) => roleAllows(role, action, repo.arn))]));
    for (const name of cacheRepositories) {
      // The model's one cache repository per rule, `<prefix>/library/pull-through-probe`, carries the policies that apply there.
      const probe = model.pullThrough.find((p) => p.name.endsWith(PROBE) && name.startsWith(`${p.name.slice(0, -PROBE.length)}/`));
      if (!probe) throw new Error(`${name} is under no pull-through cache rule of ${accountName}`);
      const resource = { arn: `${probe.arn.slice(0, -probe.name.length)}${name}`, account: probe.arn.split(":")[4]!, policies: probe.policies };
      repositories[name] = [...ECR_ACTIONS, ...PULL_THROUGH_IMPORT_ACTIONS].filter((action) => principalMay(role, action, resource));
    }
    table[role.arn] = repositories;
  }
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(table));
  renameSync(partial, file);
  return file;
}
