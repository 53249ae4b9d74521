import { check } from "../core/errors";
import { BUILD_CACHE_KIND } from "./build-cache";
import { kindsSelectingTagsOf, retentionType } from "../registry/kind-overlaps";
import { selectsEveryTag } from "../registry/lifecycle/scheme-policy";
import { describeSelector } from "../registry/glob";
import { globIncludes, validateReleaseTagPattern } from "../identity/ref-patterns";
import { DOCKER_TAG_MAX_LENGTH, gitTagImageTagRegex, gitTagRoom, gitTagRuleRegex, gitTagsOf, gitTagTemplateOf, releaseTagPatternOf } from "../registry/release-tags";
import { ciTagVariables } from "../registry/tag-kinds";
import { INPUTS_HASH_VARIABLE, type TagKind, type TagScheme } from "../registry/tag-scheme";
import { type TrustLevel } from "../core/trust";

/**
 * Which tag kinds each kind of pipeline pushes. Each list names exactly one per-commit kind
 * (an immutable kind whose tag contains `CI_COMMIT_SHA`: the image the pipeline's jobs run),
 * plus tags put on that image (moving ones like `latest`, release tags). The content kind
 * `inputs` is pushed by every build onto a manifest of its own (the content image the commit image
 * is built `FROM`) and is not listed. Every kind must be in the tag scheme.
 */
export interface PipelineTagPlan {
  /**
   * Merge-request pipelines (unprotected).
   * @default ["mergeRequest"]
   */
  readonly mergeRequest?: readonly string[];
  /**
   * Default-branch pipelines (protected; pushes, schedules, "Run pipeline", API).
   * @default ["commit", "latest"]
   */
  readonly defaultBranch?: readonly string[];
  /**
   * Git tag pipelines (protected; none runs when empty).
   * @default ["commit", "release"] when the scheme uses release, else []
   */
  readonly gitTag?: readonly string[];
}

/** A kind of pipeline with its rule, trust level and tags. */
export interface PipelineKind {
  /** Key in {@link PipelineTagPlan}. */
  readonly name: keyof PipelineTagPlan;
  /** The `if:` that selects it. */
  readonly if: string;
  /** Who the pipeline runs for. */
  readonly trust: TrustLevel;
  /** The kind of the per-commit tag (the image jobs run). */
  readonly commitKind: TagKind;
  /** Further kinds put on the commit image. */
  readonly extraKinds: readonly TagKind[];
}

/**
 * The plan with its defaults applied for `scheme` (see {@link PipelineTagPlan}): the kind names
 * each kind of pipeline pushes onto its commit image. Not checked here ({@link pipelineKinds} checks).
 */
export function plannedTagsOf(scheme: Pick<TagScheme, "has">, tags: PipelineTagPlan = {}): Record<keyof PipelineTagPlan, readonly string[]> {
  return {
    mergeRequest: tags.mergeRequest ?? ["mergeRequest"],
    defaultBranch: tags.defaultBranch ?? ["commit", "latest"],
    gitTag: tags.gitTag ?? (scheme.has("release") ? ["commit", "release"] : []),
  };
}

/**
 * The plan of the toolbox project's CI file (`toolboxCiFile`): the merge-request kind in merge
 * requests, the commit kind and `latest` on the default branch, no Git tag pipelines.
 */
export const TOOLBOX_TAG_PLAN: Readonly<Required<PipelineTagPlan>> = Object.freeze({ mergeRequest: ["mergeRequest"], defaultBranch: ["commit", "latest"], gitTag: [] });

/**
 * The scheme's moving kind with a fixed tag (`latest` with the built-in scheme): the first mutable
 * kind, the build cache aside, whose tag has no variable. Jobs start from the toolbox image's tag
 * of this kind, and the toolbox project promotes it into the deploying environments.
 */
export function movingKindOf(scheme: Pick<TagScheme, "kinds">): TagKind | undefined {
  return scheme.kinds.find((k) => k.mutable && k.name !== BUILD_CACHE_KIND && k.ciTag !== undefined && !k.ciTag.includes("$"));
}

/** CI expressions of the pipeline kinds. */
export const MERGE_REQUEST_PIPELINE = '$CI_PIPELINE_SOURCE == "merge_request_event"';
/** Default-branch pipelines. */
export const DEFAULT_BRANCH_PIPELINE = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

/** Variables whose value changes per pipeline or job: a tag built from them piles up on a reused image. */
const PER_RUN_VARIABLE = /\$\{?(CI_PIPELINE_ID|CI_PIPELINE_IID|CI_JOB_ID|CI_CONCURRENT_ID|CI_PIPELINE_CREATED_AT)\b/;
const COMMIT_VARIABLE = /\$\{?CI_COMMIT_SHA\b/;
/** Variables whose value names one commit: an immutable tag built from them is written once per value. */
const PER_COMMIT_VARIABLE = /\$\{?(CI_COMMIT_SHA|CI_COMMIT_SHORT_SHA)\b/;
/** A Git tag names one commit: in Git tag pipelines an immutable tag built from it is written once per value (re-runs write the same digest). */
const GIT_TAG_VARIABLE = /\$\{?CI_COMMIT_TAG\b/;

/**
 * Resolves and checks the tag plan.
 * @throws ValidationError (path `<path>/tags/<pipeline>[i]`) for a kind not in the scheme, a kind
 *   without a CI tag, the content kind, a per-pipeline tag, a duplicate, an immutable kind whose
 *   tag is not per commit (it takes one value in many pipelines, e.g. `branch-main` on the default
 *   branch or `MR-<iid>` on merge requests, so the second pipeline cannot move it; in Git tag
 *   pipelines `${CI_COMMIT_TAG}` counts as per commit), a list without exactly one per-commit kind,
 *   or a list that puts a count kind and an age kind (both retained, neither `secondary`) on one
 *   image (see {@link assertOneRetentionType}; a mutable kind whose tag is not per commit takes no
 *   part only in default-branch pipelines), or a list that puts more retained kinds on the commit image
 *   than the scheme's `maxKindsPerImage` (see {@link assertKindsPerImage}), or a Git tag pipelines' kind
 *   whose tag the Git tag rule cannot be derived from, or a release pattern a protected role may not
 *   trust or that gives such a kind a tag its selector does not select (see {@link gitTagRule})
 * @param releaseTags the Git tags that release (`identity.releaseTags` of the environment the templates
 *   serve): Git tag pipelines run for exactly these, as the protected roles trust them
 *   (`releaseTagPatternOf`, registry/release-tags.ts)
 */
export function pipelineKinds(path: string, scheme: TagScheme, tags: PipelineTagPlan, releaseTags?: string): PipelineKind[] {
  const planned = plannedTagsOf(scheme, tags);
  // Git tag pipelines run only for the Git tags that release (the Git tag rule below), so ${CI_COMMIT_TAG} takes only those values.
  const gitTags = releaseTagPatternOf(scheme.has("release") ? scheme.kind("release") : undefined, releaseTags);
  const resolved = {} as Record<keyof PipelineTagPlan, { commitKind?: TagKind; extraKinds: TagKind[] }>;
  for (const [name, list] of Object.entries(planned) as Array<[keyof PipelineTagPlan, readonly string[]]>) {
    const entry: { commitKind?: TagKind; extraKinds: TagKind[] } = { extraKinds: [] };
    const moving = new Set<string>();
    list.forEach((kindName, i) => {
      const where = `${path}/tags/${name}[${i}]`;
      const kind = scheme.kind(kindName, where);
      const rule = (condition: boolean, text: string, fix: string) => check(condition, { path: where, subject: "tag kind", value: kindName, rule: text, fix });
      rule(list.indexOf(kindName) === i, "a pipeline pushes each tag kind once", "remove the duplicate");
      rule(kind.ciTag !== undefined, "the kind has no ciTag, so the templates cannot push it (its selector matches no tag they write)", "give the kind a ciTag, or leave it out of the plan");
      const ciTag = kind.ciTag!;
      rule(!ciTag.includes(INPUTS_HASH_VARIABLE), "every build pushes the content-addressed kind already", "leave it out of the plan");
      rule(
        !PER_RUN_VARIABLE.test(ciTag),
        `its tag ${ciTag} changes with every pipeline or job, so re-runs of one commit pile tags onto one image (ECR refuses more than 1,000 tags per image)`,
        "tag per commit (CI_COMMIT_SHA), per merge request or per Git tag instead",
      );
      const perCommit = PER_COMMIT_VARIABLE.test(ciTag) || (name === "gitTag" && GIT_TAG_VARIABLE.test(ciTag));
      rule(
        kind.mutable || perCommit,
        `the kind is immutable and its tag ${ciTag} takes the same value in many ${name} pipelines (other commits of the branch or merge request), so the second one fails to move it (ECR refuses to overwrite an immutable tag)`,
        name === "gitTag" ? "make the kind mutable, or tag per commit (${CI_COMMIT_SHA}) or per Git tag (${CI_COMMIT_TAG})" : "make the kind mutable, or tag per commit (${CI_COMMIT_SHA})",
      );
      // A mutable tag with one value across pipelines (branch-main) moves to the next pipeline's
      // image. Only the default branch is never deleted: a merge request's or Git tag's last image
      // keeps its moving tag for good once the branch is merged and deleted, so there it counts.
      if (kind.mutable && !perCommit && name === "defaultBranch") moving.add(kind.name);
      if (COMMIT_VARIABLE.test(ciTag) && !kind.mutable && entry.commitKind === undefined) entry.commitKind = kind;
      else entry.extraKinds.push(kind);
    });
    assertOneRetentionType(path, name, list, [entry.commitKind, ...entry.extraKinds].filter((k): k is TagKind => k !== undefined && !moving.has(k.name)));
    check(list.length === 0 || entry.commitKind !== undefined, {
      path: `${path}/tags/${name}`,
      subject: "tag kinds",
      value: list,
      rule: "jobs run the image of their commit, so each pipeline pushes one immutable kind whose tag contains ${CI_COMMIT_SHA}",
      fix: `add a per-commit kind first, e.g. ${name === "mergeRequest" ? '"mergeRequest"' : '"commit"'}`,
    });
    if (entry.commitKind) assertKindsPerImage(path, name, scheme, [entry.commitKind, ...entry.extraKinds], name === "gitTag" ? gitTags : undefined);
    resolved[name] = entry;
  }
  const gitTagIf = gitTagRule(path, scheme, planned.gitTag, releaseTags);
  const kind = (name: keyof PipelineTagPlan, ifExpression: string, trust: TrustLevel): PipelineKind[] =>
    planned[name].length === 0 ? [] : [{ name, if: ifExpression, trust, commitKind: resolved[name].commitKind!, extraKinds: resolved[name].extraKinds }];
  return [...kind("mergeRequest", MERGE_REQUEST_PIPELINE, "unprotected"), ...kind("defaultBranch", DEFAULT_BRANCH_PIPELINE, "protected"), ...kind("gitTag", gitTagIf, "protected")];
}

/**
 * The `if:` of Git tag pipelines: `$CI_COMMIT_TAG` matches the Git tags that release
 * (`releaseTagPatternOf` of registry/release-tags.ts: `releaseTags`, else derived from the release
 * kind, `v*.*.*` by default), the one pattern the protected roles trust and GitLab protects, so a Git
 * tag pipeline runs exactly when its roles admit it. The pattern is checked as the roles' pattern is
 * (`validateReleaseTagPattern`: not wildcards only, no `?`), and against every kind of the list built
 * from the Git tag: for a tag template `<before>${CI_COMMIT_TAG}<after>` every Git tag of the pattern
 * must give a tag the kind's selector selects (the selector's quotient by the literal text,
 * `gitTagsOf`), or that kind's tag of a release would escape its retention rule. The built-in release
 * kind (`pattern: "v*.*.*"`, `ciTag: "${CI_COMMIT_TAG}"`) gives
 * `$CI_COMMIT_TAG =~ /^v[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*$/ && $CI_COMMIT_TAG =~ /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/`
 * (wildcards match only the Docker tag alphabet, `gitTagRuleRegex`: `v1.2.3+build.7` starts no
 * pipeline, its image tag would be refused; and every image tag built from the Git tag starts with a
 * letter, digit or `_` and has at most 128 characters, `gitTagImageTagRegex`: the second half bounds
 * the Git tag by 128 minus the literal text around it, `{0,119}` for `release-${CI_COMMIT_TAG}`);
 * `prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}"` admits every Git tag, so the pattern stays
 * `v*.*.*` (`v1.2.3` pushes `release-v1.2.3`). GitLab evaluates `=~` with RE2 against the variable's
 * value (GitLab docs, "Specify when jobs run with rules", `rules:if`, "CI/CD variable expressions").
 *
 * @param path the template's path (errors name `<path>/tags/gitTag[i]` or `<path>/releaseTags`)
 * @param scheme the tag scheme
 * @param list the Git tag pipelines' kind names
 * @param releaseTags the configured Git tags that release, if any
 * @throws ValidationError for a kind whose tag uses `${CI_COMMIT_TAG}` together with another
 *   variable or twice (what the Git tag must look like cannot be derived), whose selector no
 *   Git tag can meet, or whose selector some Git tag of the release pattern does not meet; for a
 *   release pattern of wildcards only or with `?`, or whose shortest Git tag gives an image tag over
 *   128 characters
 */
function gitTagRule(path: string, scheme: TagScheme, list: readonly string[], releaseTags: string | undefined): string {
  if (list.length === 0) return "$CI_COMMIT_TAG";
  const pattern = releaseTagPatternOf(scheme.has("release") ? scheme.kind("release") : undefined, releaseTags);
  validateReleaseTagPattern(`${path}/releaseTags`, pattern, [pattern]);
  list.forEach((name, i) => {
    const kind = scheme.kind(name);
    const ciTag = kind.ciTag!;
    if (!ciTagVariables(ciTag).includes("CI_COMMIT_TAG")) return;
    const where = `${path}/tags/gitTag[${i}]`;
    const values = gitTagsOf(kind);
    check(values !== undefined, {
      path: where,
      subject: "tag kind",
      value: name,
      rule: `its tag ${ciTag} uses \${CI_COMMIT_TAG} with another variable or more than once, so which Git tags give a tag its ${describeSelector(kind.selector)} selects cannot be derived for the Git tag pipelines' rule`,
      fix: "write the tag as the Git tag with literal text around it, e.g. ${CI_COMMIT_TAG} or release-${CI_COMMIT_TAG}",
    });
    check(values!.length > 0, {
      path: where,
      subject: "tag kind",
      value: name,
      rule: `no Git tag makes ${ciTag} a tag its ${describeSelector(kind.selector)} selects, so no Git tag pipeline could push it`,
      fix: "make the literal text of the tag fit the selector, e.g. prefix release- with release-${CI_COMMIT_TAG}",
    });
    check(
      values!.some((v) => globIncludes(v, pattern)),
      {
        path: where,
        subject: "tag kind",
        value: name,
        rule:
          `Git tag pipelines run for the Git tags that release, ${JSON.stringify(pattern)} (identity.releaseTags, which the protected roles trust and GitLab protects), ` +
          `but only Git tags ${values!.map((v) => JSON.stringify(v)).join(", ")} make ${ciTag} a tag its ${describeSelector(kind.selector)} selects: a release outside them would push a tag no rule of its kind keeps`,
        fix: `narrow releaseTags to Git tags inside ${JSON.stringify(values![0])}, or change the kind's selector or tag so that every release gives a selected tag`,
      },
    );
  });
  // Every image tag built from the Git tag must be a Docker tag: its first character and 128 characters at most.
  const templates = list.map((name) => gitTagTemplateOf(scheme.kind(name).ciTag!)).filter((t): t is { before: string; after: string } => t !== undefined);
  const room = gitTagRoom(templates);
  const shortest = pattern.replace(/\*/g, "").length;
  check(templates.length === 0 || shortest <= room, {
    path: `${path}/releaseTags`,
    subject: "release tag pattern",
    value: pattern,
    rule: `an image tag is at most ${DOCKER_TAG_MAX_LENGTH} characters (distribution/reference), and the Git tag pipelines build image tags from the Git tag with up to ${DOCKER_TAG_MAX_LENGTH - room} characters around it, so no Git tag of this pattern (${shortest} characters at least) gives a valid image tag`,
    fix: "shorten the release pattern's literal text, or the text around ${CI_COMMIT_TAG} in the release kind's ciTag",
  });
  const bound = gitTagImageTagRegex(templates);
  return `$CI_COMMIT_TAG =~ /^${gitTagRuleRegex(pattern)}$/${bound === undefined ? "" : ` && $CI_COMMIT_TAG =~ /^${bound}$/`}`;
}

/**
 * Every tag a pipeline's list names sits on one image (the commit image), so the image carries all
 * of the list's kinds. An image is expired only when every kind it carries would expire it, and no
 * ECR lifecycle rule expires an image only when both a count rule (`imageCountMoreThan`) and an
 * age rule (`sinceImagePushed`) would: a rule has one `countType`, and the first rule that selects
 * an image decides ("Lifecycle policy evaluation rules" and "Lifecycle policy properties", Amazon
 * ECR User Guide). The policy therefore keeps such an image, and a plan that puts a count kind and
 * an age kind on every image of a kind of pipeline makes those images permanent (300 daily
 * `nightly-…` images next to `sha-…`: none ever expires). Protected kinds keep their images by
 * design and take no part; `secondary` kinds have waived the guarantee and yield to the others;
 * a mutable kind whose tag takes one value across pipelines (`branch-main`) moves to the next
 * pipeline's image, so it stays on one image at a time and the caller leaves it out of `kinds`.
 *
 * @param path the template's path (errors name `<path>/tags/<pipeline>[i]` of the later kind)
 * @param pipeline the pipeline kind whose list is checked
 * @param list the kind names as planned (for the error's index)
 * @param kinds the list's resolved kinds
 * @throws ValidationError for the first kind whose retention type differs from an earlier one's
 */
function assertOneRetentionType(path: string, pipeline: keyof PipelineTagPlan, list: readonly string[], kinds: readonly TagKind[]): void {
  const deciding = kinds.filter((k) => !k.protected && !k.secondary);
  const first = deciding[0];
  if (!first) return;
  for (const other of deciding.slice(1)) {
    const retentionOf = (k: TagKind) => ("maxCount" in k.retention! ? `count: the newest ${k.retention.maxCount}` : `age: ${k.retention!.maxAgeDays} days`);
    check(retentionType(other) === retentionType(first), {
      path: `${path}/tags/${pipeline}[${list.indexOf(other.name)}]`,
      subject: "tag kind",
      value: other.name,
      rule:
        `${pipeline} pipelines put this kind (${retentionOf(other)}) and "${first.name}" (${retentionOf(first)}) on one image; ` +
        "an image is expired only when every kind it carries would expire it, and no ECR lifecycle rule expires an image only when both a count and an age rule would, so every such image would be kept forever",
      fix: `give "${other.name}" and "${first.name}" the same retention type (both maxCount or both maxAgeDays), make "${other.name}" protected or \`secondary: true\` (then "${first.name}" decides alone), or leave it out of the plan`,
    });
  }
}

/**
 * The lifecycle policy has combination rules for at most `maxKindsPerImage` retained kinds of one
 * group (primary, secondary) on one image (see `lifecyclePolicyFromTagScheme`); an image carrying
 * more matches the rule of a smaller combination or of one kind first, and ECR applies the first
 * rule that selects an image ("Lifecycle policy evaluation rules", Amazon ECR User Guide), so a
 * shorter-lived kind would expire it before the longer-lived kinds' retention.
 *
 * Kinds are counted per manifest, as the image flow tags them (image-flow-script.ts): the build
 * writes the content image `inputs-<hash>` and then the commit image, `FROM` the content image plus
 * two labels, a manifest of its own (another digest); `platform_tag` copies the commit image's
 * manifest for the plan's further tags. So the commit image carries the pipeline's planned kinds
 * and every retained kind whose selector selects one of their tags (a pattern `*-*` selects
 * `sha-…`), never the content kind; the content image carries the one content tag, whose kinds the
 * tag scheme checks as it checks every single tag (`assertKindsPerTag`). Kinds that select every
 * tag (pattern `*`) ride on every combination and are not counted. With `maxKindsPerImage: 1`
 * there are no combination rules and age kinds' own rules come longest first, so an image carrying
 * only age kinds of the group gets its longest-lived kind's retention; that case is accepted.
 *
 * @param path the template's path (errors name `<path>/tags/<pipeline>`)
 * @param pipeline the pipeline kind whose list is checked
 * @param scheme the tag scheme
 * @param planned the list's resolved kinds (all on the commit image)
 * @param gitTags for Git tag pipelines, the release pattern their rule admits (`releaseTagPatternOf`):
 *   `${CI_COMMIT_TAG}` takes only its values, so a kind selecting other Git tags' tags is not carried
 *   (release kind `*.*.*` with `releaseTags: "1.*.*"` pushes `1.x.y`, which `sha-*` or `MR-*` never select)
 * @throws ValidationError when a group of retained kinds on the commit image is larger than `maxKindsPerImage`
 */
function assertKindsPerImage(path: string, pipeline: keyof PipelineTagPlan, scheme: TagScheme, planned: readonly TagKind[], gitTags?: string): void {
  const carried = new Set(planned.flatMap((k) => kindsSelectingTagsOf(scheme.retainedKinds, k, gitTags)).map((k) => k.name));
  for (const group of [scheme.primaryKinds, scheme.secondaryKinds]) {
    const counted = group.filter((k) => carried.has(k.name) && !selectsEveryTag(k));
    if (counted.length <= scheme.maxKindsPerImage) continue;
    if (scheme.maxKindsPerImage === 1 && counted.every((k) => retentionType(k) === "age")) continue;
    check(false, {
      path: `${path}/tags/${pipeline}`,
      subject: "tag kinds",
      value: planned.map((k) => k.name),
      rule:
        `${pipeline} pipelines put ${counted.length} retained ${group[0]!.secondary ? "secondary" : "primary"} kinds on the commit image (${counted.map((k) => k.name).join(", ")}: ` +
        `the planned kinds and the kinds whose selectors select their tags; the content image is a manifest of its own), but the tag scheme at ${scheme.path} has maxKindsPerImage ${scheme.maxKindsPerImage}; ` +
        "the lifecycle policy has no rule for that combination, and the first rule that selects the image (a shorter-lived kind's) would expire it before the other kinds' retention",
      fix:
        `raise maxKindsPerImage of the tag scheme to ${counted.length}, or drop a kind from the plan (or narrow the selector of a kind that selects its tags)` +
        (pipeline === "gitTag" ? `, or narrow identity.releaseTags (now ${JSON.stringify(gitTags)}: the Git tags these pipelines run for, whose tags the kinds select)` : ""),
    });
  }
}
