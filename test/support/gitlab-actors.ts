/*
 * GitLab's actors, as the attack-path suite models them: who starts a
 * pipeline, on which ref, whether GitLab protects that ref, and the claims of
 * the ID token GitLab issues to its jobs.
 *
 * Claims follow GitLab's ID token reference (docs/ci/secrets/id_token_authentication.md):
 * `sub` is `project_path:<path>:ref_type:<branch|tag>:ref:<name>` by default
 * (`ci_id_token_sub_claim_components` can change which parts it carries);
 * `aud` is what the job requested in `id_tokens`; `ref_protected` is "true"
 * only for protected branches and tags. A merge request from a fork that runs
 * in the parent project carried the parent's `project_path` and the fork's
 * branch name before GitLab 18.2.2 (and its backports). A merge-request
 * pipeline's `sub` names the merge request's source branch
 * (`lib/gitlab/ci/jwt_v2.rb`: `ref:#{source_ref}`), also for a merged-results
 * pipeline, which runs the merge of source and target (the target's CI file
 * included).
 */
import { type TrustLevel } from "../../lib/platform/tenancy";

/** Who starts a pipeline, and how. */
export type ActorKind =
  | "fork-merge-request"
  | "branch-merge-request"
  | "merged-results-from-protected-branch"
  | "unprotected-branch-push"
  | "unprotected-tag-push"
  | "protected-default-branch"
  | "protected-release-tag"
  | "scheduled-pipeline";

/** Every actor kind, in the order of the security matrix. */
export const ACTOR_KINDS: readonly ActorKind[] = [
  "fork-merge-request",
  "branch-merge-request",
  "merged-results-from-protected-branch",
  "unprotected-branch-push",
  "unprotected-tag-push",
  "protected-default-branch",
  "protected-release-tag",
  "scheduled-pipeline",
];

/** One pipeline an actor can start, with the facts GitLab derives from it. */
export interface Actor {
  readonly kind: ActorKind;
  /** Project the pipeline runs in (the parent project for a fork MR run in the parent). */
  readonly projectPath: string;
  readonly refType: "branch" | "tag";
  /** The ref name GitLab puts in `sub` (for a fork MR before 18.2.2: the fork's branch name). */
  readonly ref: string;
  /** Whether GitLab protects the ref (`ref_protected`), given the platform's protections are in place. */
  readonly refProtected: boolean;
  /** The platform's trust level of the pipeline. */
  readonly trust: TrustLevel;
  /**
   * Whether GitLab's protection of `ref` keeps this actor out: true when the actor has to push
   * the ref its `sub` names (a protected branch or tag refuses the push). False for a
   * merged-results pipeline, whose `sub` names its merge request's source branch, a ref it never
   * pushes: the protection of `main` does not stop a merge request from `main`.
   * @default true
   */
  readonly stoppedByRefProtection?: boolean;
}

/** Options of {@link actorsFor}. */
export interface ActorOptions {
  /** Default branch of the project. */
  readonly defaultBranch: string;
  /** A release tag the templates would push, e.g. `v1.2.3`. */
  readonly releaseTag: string;
  /**
   * The branch name an attacker picks for a fork MR or an unprotected push: the default
   * branch's name is the interesting case (a fork's `main` looked like the parent's `main`).
   */
  readonly attackerBranch?: string;
  /** An unprotected tag an attacker pushes, e.g. `v0-x` (something near the release pattern). */
  readonly attackerTag?: string;
  /**
   * The fork's own project path. From GitLab 18.2.2 (and its backports) the ID token of a fork MR
   * pipeline run in the parent carries the fork's `project_path` (the security fix, gitlab-org/gitlab
   * commit 7e9f329e, referenced from gitlab-org/gitlab#563038; !202241 and its backport !205705 then
   * added the `job_project_*` claims); give it to model a fixed instance. Without it the fork MR
   * carries the parent's path.
   * @default the parent's path (GitLab before 18.2.2)
   */
  readonly forkProjectPath?: string;
  /**
   * Whether the project can run merged-results pipelines (`merge_pipelines_enabled` or
   * `merge_trains_enabled`, GitLab Premium). Only then does the actor
   * `merged-results-from-protected-branch` exist: a Developer opens a merge request from the
   * default branch into a branch of theirs, and the merged-results pipeline runs their CI file
   * with the default branch's `sub`. The attack-path suite derives it from the synthesized stacks
   * (`mergedResultsPossible`): false when every stack whose roles trust the project's branches
   * fails its plan while the setting is on, or the project resource turns it off.
   * @default false: the actor does not exist
   */
  readonly mergedResultsPipelines?: boolean;
}

/** The actors of one project. */
export function actorsFor(projectPath: string, options: ActorOptions): readonly Actor[] {
  const attackerBranch = options.attackerBranch ?? options.defaultBranch;
  const attackerTag = options.attackerTag ?? "v0-x";
  return [
    // A fork MR run in the parent: parent project_path, fork's branch name (GitLab < 18.2.2).
    { kind: "fork-merge-request", projectPath: options.forkProjectPath ?? projectPath, refType: "branch", ref: attackerBranch, refProtected: false, trust: "unprotected" },
    { kind: "branch-merge-request", projectPath, refType: "branch", ref: "feature/x", refProtected: false, trust: "unprotected" },
    // A merge request from the protected default branch into the attacker's branch, run as a merged-results
    // pipeline: the attacker's CI file, the default branch's sub (the merge ref is not protected).
    ...(options.mergedResultsPipelines === true
      ? [{ kind: "merged-results-from-protected-branch", projectPath, refType: "branch", ref: options.defaultBranch, refProtected: false, trust: "unprotected", stoppedByRefProtection: false } as const]
      : []),
    { kind: "unprotected-branch-push", projectPath, refType: "branch", ref: "wip", refProtected: false, trust: "unprotected" },
    { kind: "unprotected-tag-push", projectPath, refType: "tag", ref: attackerTag, refProtected: false, trust: "unprotected" },
    { kind: "protected-default-branch", projectPath, refType: "branch", ref: options.defaultBranch, refProtected: true, trust: "protected" },
    { kind: "protected-release-tag", projectPath, refType: "tag", ref: options.releaseTag, refProtected: true, trust: "protected" },
    { kind: "scheduled-pipeline", projectPath, refType: "branch", ref: options.defaultBranch, refProtected: true, trust: "protected" },
  ];
}

/** Which parts the `sub` claim carries (GitLab's `ci_id_token_sub_claim_components`). */
export type SubClaimComponent = "project_path" | "ref_type" | "ref";

/** GitLab's default `sub` components. */
export const DEFAULT_SUB_COMPONENTS: readonly SubClaimComponent[] = ["project_path", "ref_type", "ref"];

/** The `sub` claim GitLab issues to an actor's jobs. */
export function subClaimOf(actor: Actor, components: readonly SubClaimComponent[] = DEFAULT_SUB_COMPONENTS): string {
  const value: Record<SubClaimComponent, string> = { project_path: actor.projectPath, ref_type: actor.refType, ref: actor.ref };
  return components.map((c) => `${c}:${value[c]}`).join(":");
}

/** The claims of an ID token an actor's job requests with audience `aud`, keyed as IAM sees them (`<host>:sub`, `<host>:aud`). */
export function tokenContext(actor: Actor, host: string, aud: string, components?: readonly SubClaimComponent[]): Record<string, string> {
  return { [`${host}:sub`]: subClaimOf(actor, components), [`${host}:aud`]: aud };
}
