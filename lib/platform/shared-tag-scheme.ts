/*
 * Environments of one GitLab instance share the files it publishes: the instance's `gitlab-shared`
 * stack publishes one `image-reuse.yml` and one `deploy.yml`, built from the tag scheme of the
 * environment that declares `gitlab.ciTemplates`, and one toolbox project CI file, built from the
 * scheme of the environment that declares `gitlab.toolboxProject` (docs/configuration.md). Every
 * environment's ECR lifecycle policy and tag-mutability exclusions are built from its own
 * `registry.tagScheme`. So the kinds those files push must agree, or another environment's policy
 * selects tags nobody pushes and misses the ones they do push.
 */
import { check, type Violation } from "../core/errors";
import { describeSelector } from "../registry/glob";
import { type TagKind } from "../registry/tag-kinds";
import { type TagScheme } from "../registry/tag-scheme";
import { type EnvironmentConfig } from "./environment-config";
import { configuredSchemeOf, type PublishedFile, publishedFilesOf, planViolationsWith, sameSelection } from "./published-tag-plans";

/**
 * Per GitLab URL, the index of the environment the instance's published CI templates are built
 * from: the first environment on that URL declaring `gitlab.ciTemplates` (the one whose templates
 * project the `gitlab-shared` stack publishes). URLs without published templates are absent.
 */
export function templatesEnvironmentsOf(environments: readonly EnvironmentConfig[]): ReadonlyMap<string, number> {
  const templatesOf = new Map<string, number>();
  environments.forEach((env, i) => {
    if (env.gitlab.ciTemplates !== undefined && !templatesOf.has(env.gitlab.url)) templatesOf.set(env.gitlab.url, i);
  });
  return templatesOf;
}

/**
 * Per GitLab URL, the environment the agreement of tag kinds is judged against: the one declaring
 * `gitlab.ciTemplates` (the first on the URL), else the one declaring `gitlab.toolboxProject`;
 * with the declarers of both and whether an environment on the URL deploys. URLs with neither
 * declaration are absent (each project's own CI decides what it pushes).
 */
export interface InstanceReference {
  /** Index of the reference environment. */
  readonly reference: number;
  /** Index of the first environment declaring `gitlab.ciTemplates`, if any. */
  readonly templates?: number;
  /** Index of the first environment declaring `gitlab.toolboxProject`, if any. */
  readonly toolbox?: number;
  /** Whether an environment on the URL deploys (`deploy.yml` published, toolbox promoted). */
  readonly deploys: boolean;
}

/** {@link InstanceReference} per GitLab URL (URLs as configured). */
export function instanceReferencesOf(environments: readonly EnvironmentConfig[]): ReadonlyMap<string, InstanceReference> {
  const templatesOf = templatesEnvironmentsOf(environments);
  const out = new Map<string, InstanceReference>();
  for (const url of new Set(environments.map((e) => e.gitlab.url))) {
    const templates = templatesOf.get(url);
    const toolboxAt = environments.findIndex((e) => e.gitlab.url === url && e.gitlab.toolboxProject !== undefined);
    const toolbox = toolboxAt < 0 ? undefined : toolboxAt;
    const reference = templates ?? toolbox;
    if (reference === undefined) continue;
    const deploys = environments.some((e) => e.gitlab.url === url && e.deploy !== undefined);
    out.set(url, { reference, ...(templates !== undefined ? { templates } : {}), ...(toolbox !== undefined ? { toolbox } : {}), deploys });
  }
  return out;
}

/** What of a kind the published files and an environment's registry must agree on: what the plan checks cannot see. */
function pushedShapeOf(kind: TagKind): { selector: string; ciTag: string | null; mutable: boolean; protected: boolean } {
  return { selector: describeSelector(kind.selector), ciTag: kind.ciTag ?? null, mutable: kind.mutable, protected: kind.protected };
}

/** Whether two kinds agree on {@link pushedShapeOf}, selectors compared by the tags they select. */
function sameShape(a: TagKind, b: TagKind): boolean {
  return sameSelection(a.selector, b.selector) && a.ciTag === b.ciTag && a.mutable === b.mutable && a.protected === b.protected;
}

/**
 * One `gitlab.ciTemplates` and one `gitlab.toolboxProject` per GitLab instance: the instance's
 * `gitlab-shared` stack publishes those of the first environment declaring them (the same project
 * declared twice is reported by the ownership check instead).
 */
function validateOneDeclarerPerInstance(environments: readonly EnvironmentConfig[]): void {
  const declarations = [
    { key: "ciTemplates", what: "CI templates", of: (e: EnvironmentConfig) => e.gitlab.ciTemplates?.project },
    { key: "toolboxProject", what: "toolbox project", of: (e: EnvironmentConfig) => e.gitlab.toolboxProject?.path },
  ] as const;
  for (const { key, what, of } of declarations) {
    const first = new Map<string, number>();
    environments.forEach((env, i) => {
      const project = of(env);
      if (project === undefined) return;
      const j = first.get(env.gitlab.url);
      if (j === undefined) {
        first.set(env.gitlab.url, i);
        return;
      }
      const theirs = of(environments[j]!);
      if (theirs === project) return;
      check(false, {
        path: `config/environments[${i}]/gitlab/${key}`,
        subject: key,
        value: project,
        rule: `one ${key} per GitLab instance: the shared GitLab stack of ${env.gitlab.url} publishes the ${what} of the first environment declaring it, environments[${j}] (${environments[j]!.name}: ${theirs}), so this one would never be published`,
        fix: `declare gitlab.${key} in one environment per GitLab instance: remove it here (every environment on ${env.gitlab.url} uses ${theirs}), or move it to environments[${j}] in place of ${theirs}`,
      });
    });
  }
}

/**
 * On a GitLab instance with published CI templates or a toolbox project, every environment's tag
 * scheme must fit what the published files push into its registry:
 * - the kinds they push ({@link publishedFilesOf}: the templates' tag plan, the content kind, the
 *   build cache kind, `deploy.yml`'s commit and deployed kinds, the toolbox project's plan and the
 *   kinds it promotes) exist in the environment with the same selector (compared by the tags it
 *   selects: `{ prefix: "sha-" }` and `{ pattern: "sha-*" }` agree), CI tag, mutability and
 *   protection as in the reference environment ({@link instanceReferencesOf}: the `ciTemplates`
 *   declarer, else the `toolboxProject` declarer). Retention, counts, ages and `secondary` may differ, and kinds
 *   the files never push (`pipeline`, or kinds without a CI tag pushed by a release tool) may live in one environment only;
 * - the files' checks of what one pipeline pushes (`pipelineKinds`: one per-commit kind, one retention
 *   type per image, at most `maxKindsPerImage` retained kinds per image, the Git tag rule) hold with
 *   the environment's own scheme and `identity.releaseTags`: those checks ran with the declarer's
 *   scheme only, and the environment's lifecycle policy, built from its own scheme, judges the
 *   images they push there (the declarer is checked too, so the configuration pass reports it
 *   before the `gitlab-shared` stack is built).
 * And one `ciTemplates` and one `toolboxProject` per instance (only the first is published).
 *
 * Why: with production protecting `live-*` while the shared `deploy.yml` pushes `deployed-production`
 * (or the reverse), the image production runs is selected only by the commit kind's count rule and
 * can expire; with production's commit kind `commit-*`, the templates' `sha-…` tags match no rule
 * and the count retention never applies (AWS ECR User Guide, "Lifecycle policy evaluation rules":
 * an image is judged by the rules whose tag selection matches it); with production alone at
 * `maxKindsPerImage` 1, or with kinds of its own (without a CI tag) selecting the pushed tags, its
 * policy has no rule for the kinds a release image carries and expires it by one kind's rule early.
 *
 * @param environments the configuration's environments, in order (paths `config/environments[i]`)
 * @throws ValidationError at `config/environments[i]/registry/tagScheme` (or `…/kinds/<name>`) of each
 *   environment whose kinds differ from the reference environment's on the same GitLab URL or fail the
 *   published files' plan checks, and at `config/environments[i]/gitlab/ciTemplates` (or `…/toolboxProject`)
 *   of a second declaration on one instance
 */
export function validateSharedTagSchemes(environments: readonly EnvironmentConfig[]): void {
  validateOneDeclarerPerInstance(environments);
  const schemes = new Map<number, TagScheme | undefined>();
  const schemeOf = (i: number): TagScheme | undefined => {
    if (!schemes.has(i)) schemes.set(i, configuredSchemeOf(environments[i]!, i));
    return schemes.get(i);
  };
  for (const [url, instance] of instanceReferencesOf(environments)) {
    const files = publishedFilesOf(environments, instance, schemeOf);
    const j = instance.reference;
    const theirs = schemeOf(j);
    if (theirs === undefined || files.length === 0) continue;
    const reference = `environments[${j}] (${environments[j]!.name})`;
    const pushed = [...new Set(files.flatMap((f) => f.pushes))].filter((name) => theirs.has(name));
    environments.forEach((env, i) => {
      if (env.gitlab.url !== url) return;
      const mine = schemeOf(i);
      if (mine === undefined) return;
      const path = `config/environments[${i}]/registry/tagScheme`;
      const publishing = files.map((f) => f.name).join(" and ");
      // The reference is compared with nothing, but checked against a file built from another scheme (the toolbox's).
      const missing = i === j ? [] : pushed.filter((name) => !mine.has(name));
      check(missing.length === 0, {
        path,
        subject: "tag kinds",
        value: mine.kinds.map((k) => k.name),
        rule: `every environment on one GitLab instance has the tag kinds whose tags are pushed into its registry by ${publishing} of ${url}, as ${reference} has them: ${pushed.join(", ")}; missing ${missing.join(", ")}`,
        fix: `add ${missing.join(", ")} (registry.tagScheme.use and kinds) as in ${reference}; retention may differ`,
      });
      let agree = missing.length === 0;
      for (const name of i === j ? [] : pushed) {
        const kind = mine.kinds.find((k) => k.name === name);
        const other = theirs.kind(name);
        if (kind === undefined) continue;
        agree = sameShape(kind, other) && agree;
        check(sameShape(kind, other), {
          path: `${path}/kinds/${name}`,
          subject: "tag kind",
          value: pushedShapeOf(kind),
          rule: `a kind whose tags are pushed into this environment's registry by ${publishing} of ${url} selects the same tags and has the CI tag, mutability and protection it has in ${reference} (${JSON.stringify(pushedShapeOf(other))}), or this environment's lifecycle policy selects tags nobody pushes, misses the pushed ones, or lets a protected or immutable tag move or expire`,
          fix: `give kind ${name} the same prefix or pattern (as far as the tags it selects), ciTag, mutable and protected in every environment on ${url}; the retention may differ`,
        });
      }
      // With the kinds in place, the files' own checks with this environment's scheme (its counts, types, limits).
      if (!agree) return;
      // The declarer too: its own templates are checked again when the stack is built, at the construct path.
      for (const file of files) {
        for (const v of planViolationsWith(file, mine, env.identity?.releaseTags)) check(false, relocated(v, file, path, url, environments));
      }
    });
  }
}

/** A violation of a published file's plan check, found with another environment's scheme, reported at that environment's scheme. */
function relocated(v: Violation, file: PublishedFile, path: string, url: string, environments: readonly EnvironmentConfig[]): Violation {
  const declarer = `environments[${file.declarer}] (${environments[file.declarer]!.name})`;
  const where = v.path.startsWith(`${file.path}/`) ? v.path.slice(file.path.length + 1) : v.path;
  return {
    path,
    subject: v.subject,
    value: v.value,
    rule:
      `images tagged by ${file.name} of ${url} (built from the tag scheme of ${declarer}) land in this environment's registry, whose lifecycle policy comes from this scheme, ` +
      `so the checks of what one pipeline pushes must hold with it too; with this scheme, ${where}: ${v.rule}`,
    fix: `${v.fix} (in this environment's registry.tagScheme or identity.releaseTags; the files' plan is that of ${declarer})`,
  };
}
