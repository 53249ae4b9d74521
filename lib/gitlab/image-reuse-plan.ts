import { check } from "../core/errors";
import { selectorRegex } from "../registry/glob";
import { INPUTS_HASH_VARIABLE, type TagKind, type TagScheme } from "../registry/tag-scheme";
import { type TrustLevel } from "../platform/tenancy";

/**
 * Which tag kinds each kind of pipeline pushes. Each list names exactly one per-commit kind
 * (an immutable kind whose tag contains `CI_COMMIT_SHA`: the image the pipeline's jobs run),
 * plus tags put on that image (moving ones like `latest`, release tags). The content kind
 * `inputs` is pushed by every build and is not listed. Every kind must be in the tag scheme.
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
 *   pipelines `${CI_COMMIT_TAG}` counts as per commit), or a list without exactly one per-commit kind
 */
export function pipelineKinds(path: string, scheme: TagScheme, tags: PipelineTagPlan): PipelineKind[] {
  const planned: Record<keyof PipelineTagPlan, readonly string[]> = {
    mergeRequest: tags.mergeRequest ?? ["mergeRequest"],
    defaultBranch: tags.defaultBranch ?? ["commit", "latest"],
    gitTag: tags.gitTag ?? (scheme.has("release") ? ["commit", "release"] : []),
  };
  const resolved = {} as Record<keyof PipelineTagPlan, { commitKind?: TagKind; extraKinds: TagKind[] }>;
  for (const [name, list] of Object.entries(planned) as Array<[keyof PipelineTagPlan, readonly string[]]>) {
    const entry: { commitKind?: TagKind; extraKinds: TagKind[] } = { extraKinds: [] };
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
      if (COMMIT_VARIABLE.test(ciTag) && !kind.mutable && entry.commitKind === undefined) entry.commitKind = kind;
      else entry.extraKinds.push(kind);
    });
    check(list.length === 0 || entry.commitKind !== undefined, {
      path: `${path}/tags/${name}`,
      subject: "tag kinds",
      value: list,
      rule: "jobs run the image of their commit, so each pipeline pushes one immutable kind whose tag contains ${CI_COMMIT_SHA}",
      fix: `add a per-commit kind first, e.g. ${name === "mergeRequest" ? '"mergeRequest"' : '"commit"'}`,
    });
    resolved[name] = entry;
  }
  const release = planned.gitTag.includes("release") ? scheme.kind("release") : undefined;
  const gitTagIf = release ? `$CI_COMMIT_TAG =~ /^${selectorRegex(release.selector)}$/` : "$CI_COMMIT_TAG";
  const kind = (name: keyof PipelineTagPlan, ifExpression: string, trust: TrustLevel): PipelineKind[] =>
    planned[name].length === 0 ? [] : [{ name, if: ifExpression, trust, commitKind: resolved[name].commitKind!, extraKinds: resolved[name].extraKinds }];
  return [...kind("mergeRequest", MERGE_REQUEST_PIPELINE, "unprotected"), ...kind("defaultBranch", DEFAULT_BRANCH_PIPELINE, "protected"), ...kind("gitTag", gitTagIf, "protected")];
}
