/**
 * Terraform expressions for the plan-time checks of {@link ProtectedRefs}:
 * evaluated against the `gitlab_project_protected_branches` and
 * `gitlab_project_protected_tags` data sources (as `self` in a
 * `lifecycle.postcondition`), they fail the plan when a ref a CI role trusts is
 * not protected, or when a protection rule that matches it lets anyone below
 * Maintainer push, merge or create it.
 *
 * Upstream facts the expressions rely on:
 * - GitLab matches protected ref names with `*` as any run of characters and
 *   every other character literal (`Gitlab::RefMatcher`, lib/gitlab/ref_matcher.rb).
 * - When a ref matches several protection rules, the most permissive rule
 *   applies (GitLab docs, "Protection rules and permissions", rule behavior):
 *   so every matching rule must be safe, not only the one named like the ref.
 * - Provider gitlabhq/gitlab 18.6.1 reports access levels by name
 *   (`api.AccessLevelValueToName`: `no one`, `minimal`, `guest`, `planner`,
 *   `reporter`, `developer`, `maintainer`, `owner`, `admin`), in
 *   `protected_branches[].push_access_levels[]` / `merge_access_levels[]`
 *   (`access_level`, `user_id`, `group_id`, and `deploy_key_id` for pushes) and
 *   `protected_tags[].create_access_levels[]` (`access_level`, `user_id`, `group_id`).
 *
 * The expressions use `startswith`/`endswith` (Terraform ≥ 1.3, OpenTofu ≥ 1.6).
 */

/** Provider access-level names that may push, merge or create a trusted ref: Maintainer and above, or no one. */
export const TRUSTED_ACCESS_LEVELS: readonly string[] = ["no one", "maintainer", "owner", "admin"];

/** A string as an HCL string literal (JSON quoting is valid HCL; template sequences are escaped). */
export const hclString = (value: string): string => JSON.stringify(value).replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");

/** The characters RE2 treats specially, except `*` (GitLab's only wildcard), as a regex character class. */
const REGEX_META = String.raw`/[\\.+?^$()\[\]{}|]/`;

/** A GitLab ref name or pattern as an anchored regex (TypeScript side, for literal refs). */
export function refPatternRegex(pattern: string): string {
  return `^${pattern
    .split("*")
    .map((part) => part.replace(/[\\.+?^$()[\]{}|]/g, "\\$&"))
    .join(".*")}$`;
}

/** HCL: the anchored regex of a GitLab ref name or pattern held in the expression `name`. */
function refPatternRegexExpr(name: string): string {
  return `format("^%s$", replace(replace(${name}, ${hclString(REGEX_META)}, ${hclString("\\$0")}), "*", ".*"))`;
}

/**
 * HCL: whether the protection rule named by the expression `name` can match a
 * ref that `trusted` matches. For a literal `trusted`: the rule matches it. For
 * a pattern: a literal rule must match the pattern; two patterns (each with at
 * least one `*`) share a ref exactly when their literal prefixes are
 * prefix-compatible and their literal suffixes suffix-compatible (the shared
 * ref is the longer prefix, both middles, the longer suffix).
 */
export function overlapsExpr(name: string, trusted: string): string {
  if (!trusted.includes("*")) return `can(regex(${refPatternRegexExpr(name)}, ${hclString(trusted)}))`;
  const parts = trusted.split("*");
  const prefix = hclString(parts[0]!);
  const suffix = hclString(parts[parts.length - 1]!);
  const split = `split("*", ${name})`;
  const namePrefix = `${split}[0]`;
  const nameSuffix = `element(${split}, length(${split}) - 1)`;
  const compatible =
    `(startswith(${namePrefix}, ${prefix}) || startswith(${prefix}, ${namePrefix})) && ` +
    `(endswith(${nameSuffix}, ${suffix}) || endswith(${suffix}, ${nameSuffix}))`;
  return `(length(${split}) > 1 ? (${compatible}) : can(regex(${hclString(refPatternRegex(trusted))}, ${name})))`;
}

/** HCL: whether one access-level entry `a` admits only Maintainer and above (or no one), and names no user, group or deploy key. */
function safeEntryExpr(entry: string): string {
  const none = (attribute: string) => `try(${entry}.${attribute} == null || ${entry}.${attribute} == 0, true)`;
  return `(try(contains([${TRUSTED_ACCESS_LEVELS.map(hclString).join(", ")}], ${entry}.access_level), false) && ${none("user_id")} && ${none("group_id")} && ${none("deploy_key_id")})`;
}

/** The two plan-time conditions for one trusted ref. */
export interface RefConditions {
  /** True when a protection named exactly like the trusted ref exists. */
  readonly exists: string;
  /** True when no protection rule matching the trusted ref lets anyone below Maintainer push, merge (branches) or create (tags) it. */
  readonly maintainersOnly: string;
}

/**
 * The conditions (Terraform expressions over `self`) for one trusted branch:
 * `self.protected_branches` of `gitlab_project_protected_branches`.
 */
export function branchConditions(branch: string): RefConditions {
  const levels = (list: string) => `alltrue([for a in b.${list} : ${safeEntryExpr("a")}])`;
  return {
    exists: `contains([for b in self.protected_branches : b.name], ${hclString(branch)})`,
    maintainersOnly: `alltrue([for b in self.protected_branches : ${levels("push_access_levels")} && ${levels("merge_access_levels")} if ${overlapsExpr("b.name", branch)}])`,
  };
}

/**
 * The conditions (Terraform expressions over `self`) for one trusted tag name or
 * pattern: `self.protected_tags` of `gitlab_project_protected_tags`.
 */
export function tagConditions(tag: string): RefConditions {
  return {
    exists: `contains([for t in self.protected_tags : t.tag], ${hclString(tag)})`,
    maintainersOnly: `alltrue([for t in self.protected_tags : alltrue([for a in t.create_access_levels : ${safeEntryExpr("a")}]) if ${overlapsExpr("t.tag", tag)}])`,
  };
}
