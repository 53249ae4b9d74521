/*
 * Environments of one GitLab instance share its published CI templates: the instance's
 * `gitlab-shared` stack publishes one `image-reuse.yml` and one `deploy.yml`, built from the tag
 * scheme of the environment that declares `gitlab.ciTemplates` (docs/configuration.md). Every
 * environment's ECR lifecycle policy and tag-mutability exclusions are built from its own
 * `registry.tagScheme`. So the kinds must agree, or another environment's policy selects tags the
 * templates never push and misses the ones they do push.
 *
 * This module imports only configuration types and the tag scheme resolver.
 */
import { check, ValidationError } from "../core/errors";
import { resolveTagScheme } from "../registry/tag-scheme";
import { type TagKind } from "../registry/tag-kinds";
import { type EnvironmentConfig } from "./environment-config";

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

/** What of a kind the published templates and the environment's registry must agree on. */
function pushedShapeOf(kind: TagKind): string {
  const retentionBy = kind.retention === undefined ? null : "maxCount" in kind.retention ? "count" : "age";
  return JSON.stringify({ selector: kind.selector, ciTag: kind.ciTag ?? null, mutable: kind.mutable, protected: kind.protected, retentionBy, secondary: kind.secondary });
}

/** The environment's resolved kinds by name, or undefined when its scheme is invalid (reported by its own check). */
function kindsOf(env: EnvironmentConfig, i: number): { kinds: Map<string, TagKind>; maxKindsPerImage: number } | undefined {
  try {
    const scheme = resolveTagScheme(`config/environments[${i}]/registry/tagScheme`, env.registry.tagScheme ?? {});
    return { kinds: new Map(scheme.kinds.map((k) => [k.name, k])), maxKindsPerImage: scheme.maxKindsPerImage };
  } catch (error) {
    if (error instanceof ValidationError) return undefined;
    throw error;
  }
}

/**
 * On a GitLab instance with published CI templates, every environment's tag kinds must match the
 * kinds of the environment that declares `gitlab.ciTemplates` (the templates are built from its
 * scheme): the same kinds with a CI tag (what the templates push), per such kind the same
 * selector (prefix or pattern), CI tag, mutability, protection, `secondary` flag and type of
 * retention (count or age), and the same `maxKindsPerImage`: the templates' checks of the kinds
 * one image carries run on the templates' scheme only. The count or age itself may differ per
 * environment, and a kind without a CI tag (tags pushed outside the templates, e.g. by a release
 * tool) may exist in one environment only.
 *
 * Why: with production protecting `live-*` while the shared `deploy.yml` pushes `deployed-production`
 * (or the reverse), the image production runs is selected only by the commit kind's count rule and
 * can expire; with production's commit kind `commit-*`, the templates' `sha-…` tags match no rule
 * and the count retention never applies (AWS ECR User Guide, "Lifecycle policy evaluation rules":
 * an image is judged by the rules whose tag selection matches it).
 *
 * @param environments the configuration's environments, in order (paths `config/environments[i]`)
 * @throws ValidationError at `config/environments[i]/registry/tagScheme` (or `…/kinds/<name>`) of each
 *   environment whose kinds differ from the templates' environment on the same GitLab URL
 */
export function validateSharedTagSchemes(environments: readonly EnvironmentConfig[]): void {
  const templatesOf = templatesEnvironmentsOf(environments);
  environments.forEach((env, i) => {
    const j = templatesOf.get(env.gitlab.url);
    if (j === undefined || j === i) return;
    const mineScheme = kindsOf(env, i);
    const theirScheme = kindsOf(environments[j]!, j);
    if (mineScheme === undefined || theirScheme === undefined) return;
    const mine = mineScheme.kinds;
    const theirs = theirScheme.kinds;
    const reference = `environments[${j}] (${environments[j]!.name}), whose tag scheme the published CI templates of ${env.gitlab.url} are built from`;
    // A kind without a CI tag names tags pushed outside the templates (a release tool): it may live in one environment only.
    const missing = [...theirs.values()].filter((k) => k.ciTag !== undefined && !mine.has(k.name)).map((k) => k.name);
    const extra = [...mine.values()].filter((k) => k.ciTag !== undefined && !theirs.has(k.name)).map((k) => k.name);
    check(missing.length === 0 && extra.length === 0, {
      path: `config/environments[${i}]/registry/tagScheme`,
      subject: "tag kinds",
      value: [...mine.keys()],
      rule: `every environment on one GitLab instance has the tag kinds the templates push, those of ${reference}: ${[...theirs.values()].filter((k) => k.ciTag !== undefined).map((k) => k.name).join(", ")}${missing.length > 0 ? `; missing ${missing.join(", ")}` : ""}${extra.length > 0 ? `; not pushed by the templates: ${extra.join(", ")}` : ""}`,
      fix: `use the same kinds (registry.tagScheme.use and kinds) in every environment on ${env.gitlab.url}; retention may differ`,
    });
    // The templates' checks of the kinds one image carries (count next to age kinds, maxKindsPerImage,
    // the rule order for overlapping kinds) run on the templates' scheme only: they hold here when the
    // kinds' retention types, secondary flags and maxKindsPerImage are the same (counts and ages may differ).
    check(mineScheme.maxKindsPerImage === theirScheme.maxKindsPerImage, {
      path: `config/environments[${i}]/registry/tagScheme`,
      subject: "maxKindsPerImage",
      value: mineScheme.maxKindsPerImage,
      rule: `maxKindsPerImage is that of ${reference} (${theirScheme.maxKindsPerImage}): the templates are checked to put at most that many retained kinds on one image, and a lower limit here would let this environment's policy expire an image by one kind's rule while another kind it carries still keeps it`,
      fix: `set registry.tagScheme.maxKindsPerImage to ${theirScheme.maxKindsPerImage} in every environment on ${env.gitlab.url}`,
    });
    for (const [name, kind] of mine) {
      const other = theirs.get(name);
      if (other === undefined || (kind.ciTag === undefined && other.ciTag === undefined)) continue;
      check(pushedShapeOf(kind) === pushedShapeOf(other), {
        path: `config/environments[${i}]/registry/tagScheme/kinds/${name}`,
        subject: "tag kind",
        value: JSON.parse(pushedShapeOf(kind)) as unknown,
        rule: `a kind's selector, CI tag, mutability, protection, retention type (count or age) and secondary flag are those of ${reference} (${pushedShapeOf(other)}): the templates push those tags and are checked with those kinds, and this environment's lifecycle policy would otherwise select tags nobody pushes, miss the pushed ones, or expire an image carrying several kinds early`,
        fix: `give kind ${name} the same prefix or pattern, ciTag, mutable, protected, secondary and kind of retention (maxCount or maxAgeDays) in every environment on ${env.gitlab.url}; only the count or age may differ`,
      });
    }
  });
}
