/**
 * Which Git tags release: one `*` pattern over Git tag names, derived once from the tag scheme's
 * `release` kind and the environment's `identity.releaseTags`, and used by every consumer:
 * - the tenants' protected CI roles trust it (`sub` `project_path:<p>:ref_type:tag:ref:<pattern>`);
 * - GitLab protects it (`gitlab_tag_protection` per trusted pattern, `ProtectedRefs`);
 * - the image-reuse templates run their Git tag pipelines for it (`$CI_COMMIT_TAG =~ /^…$/`,
 *   `pipelineKinds`), so no Git tag pipeline starts that the roles would refuse (failing closed at
 *   `AssumeRoleWithWebIdentity`), and every Git tag the roles trust gets its pipeline unless its
 *   image tag would not be a valid Docker tag (the rule's wildcards match only `[A-Za-z0-9_.-]`,
 *   {@link gitTagRuleRegex}: `v1.2.3+build.7` is trusted and protected but starts no pipeline; and
 *   {@link gitTagImageTagRegex} bounds the image tag's first character and length).
 * The pattern must lie within the Git tags the release kind can release: those for which its tag
 * template (`<before>${CI_COMMIT_TAG}<after>`) gives a tag its selector selects.
 */
import { DEFAULT_RELEASE_TAG_PATTERN } from "../core/trust";
import { patternRegex, quotientPatterns, selectorPattern } from "./glob";
import { DEFAULT_TAG_KINDS, resolveKind, type TagKind, type TagKindOptions, type TagKindName } from "./tag-kinds";

/** A tag template that is the Git tag with literal text around it: `<before>${CI_COMMIT_TAG}<after>`. */
export const AROUND_GIT_TAG = /^([^$]*)(?:\$\{CI_COMMIT_TAG\}|\$CI_COMMIT_TAG(?![A-Za-z0-9_]))([^$]*)$/;

/**
 * The Git tags for which `kind`'s tag template gives a tag its selector selects, as a union of `*`
 * patterns (the selector's quotient by the template's literal text, `quotientPatterns`): the
 * built-in release kind (`pattern: "v*.*.*"`, `ciTag: "${CI_COMMIT_TAG}"`) gives `["v*.*.*"]`,
 * `prefix: "release-", ciTag: "release-${CI_COMMIT_TAG}"` gives `["*"]` (every Git tag: `v1.2.3`
 * pushes `release-v1.2.3`), and `[]` when no Git tag can meet the selector.
 * @returns undefined when the template is not the Git tag with literal text around it (no
 *   `${CI_COMMIT_TAG}`, another variable next to it, or it twice): the Git tags cannot be derived
 */
export function gitTagsOf(kind: TagKind): string[] | undefined {
  const parts = kind.ciTag === undefined ? null : AROUND_GIT_TAG.exec(kind.ciTag);
  if (!parts) return undefined;
  return quotientPatterns(selectorPattern(kind.selector), parts[1]!, parts[2]!);
}

/** Whether a pattern is one a protected role may trust as it stands: not wildcards only, no `?` (see `validateReleaseTagPattern`). */
const trustable = (pattern: string) => /[^*?]/.test(pattern) && !pattern.includes("?");

/**
 * The Git tags that release (see the module comment): `releaseTags` when the configuration gives
 * it; else the Git tags the release kind releases when that is one pattern a role may trust
 * (`v*.*.*` for the built-in kind, `*.*.*` for `pattern: "*.*.*"`); else
 * {@link DEFAULT_RELEASE_TAG_PATTERN} (`v*.*.*`: with `prefix: "release-", ciTag:
 * "release-${CI_COMMIT_TAG}"` every Git tag would give a tag the kind selects, and a role may not
 * trust every tag). The result, not the kind's selector, is what Git tag pipelines run for: their
 * rule admits only its Git tags, so checks of what those pipelines push (`pipelineKinds`: kinds
 * per image, selectors met) read `${CI_COMMIT_TAG}` as a value of it.
 * Not checked here: `validateReleaseTagPattern` with {@link releasableGitTags} checks the result.
 *
 * @param release the tag scheme's release kind (undefined when the scheme does not use it)
 * @param releaseTags `identity.releaseTags` of the environment, if set
 */
export function releaseTagPatternOf(release: TagKind | undefined, releaseTags?: string): string {
  if (releaseTags !== undefined) return releaseTags;
  const derived = release ? gitTagsOf(release) : undefined;
  return derived?.length === 1 && trustable(derived[0]!) ? derived[0]! : DEFAULT_RELEASE_TAG_PATTERN;
}

/**
 * The Git tags the release kind can release, which the release pattern must lie within: the
 * kind's {@link gitTagsOf}; its selector when those cannot be derived (the templates refuse such a
 * kind in Git tag pipelines); {@link DEFAULT_RELEASE_TAG_PATTERN} when the scheme has no release kind.
 */
export function releasableGitTags(release: TagKind | undefined): string[] {
  if (!release) return [DEFAULT_RELEASE_TAG_PATTERN];
  return gitTagsOf(release) ?? [selectorPattern(release.selector)];
}

/**
 * The release kind of tag scheme props, resolved as `TagScheme` resolves it (the built-in kind with
 * the configured options over it), for configuration checks that run before any construct exists.
 * @param path the props' path (e.g. `config/environments[0]/registry/tagScheme`)
 * @param props the tag scheme props (`kinds`, `use`)
 * @returns undefined when `use` leaves the release kind out
 * @throws ValidationError for release kind options the tag scheme refuses
 */
export function releaseKindOf(path: string, props: { readonly kinds?: Readonly<Record<string, TagKindOptions>>; readonly use?: readonly TagKindName[] } = {}): TagKind | undefined {
  if (props.use !== undefined && !props.use.includes("release")) return undefined;
  return resolveKind(path, "release", props.kinds?.release, DEFAULT_TAG_KINDS.release);
}

/** The characters a wildcard of the Git tag rule matches: the Docker tag alphabet (distribution/reference, `tag` = `[\w][\w.-]{0,127}`). */
export const GIT_TAG_RULE_WILDCARD = "[A-Za-z0-9_.-]*";

/**
 * The release pattern as the unanchored RE2 body of the templates' Git tag rule
 * (`$CI_COMMIT_TAG =~ /^…$/`): literal characters escaped, each `*` as {@link GIT_TAG_RULE_WILDCARD},
 * so the rule matches only Git tags that the pattern matches AND whose characters an image tag may
 * hold (distribution/reference, reference.go: `tag := /[\w][\w.-]{0,127}/`; OCI distribution-spec,
 * "Pulling manifests": `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`). `v*.*.*` gives
 * `v[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*`: `v1.2.3` starts a release pipeline,
 * `v1.2.3+build.7` (SemVer build metadata) does not, though GitLab protects it and the protected
 * roles trust it (their OIDC `sub` pattern, IAM `StringLike`, cannot restrict the alphabet); its
 * image tag `v1.2.3+build.7` would be refused by the registry. The image tag's first character and
 * its 128-character limit are the second half of the rule ({@link gitTagImageTagRegex}): one RE2
 * expression without lookarounds cannot hold both a `*` pattern and a length bound.
 * The literal characters are checked by `validateReleaseTagPattern` (Docker tag alphabet only).
 */
export function gitTagRuleRegex(pattern: string): string {
  return pattern
    .split("*")
    .map((part) => patternRegex(part))
    .join(GIT_TAG_RULE_WILDCARD);
}

/** The longest image tag a registry accepts: distribution/reference, reference.go, `tag = [\w][\w.-]{0,127}` (128 characters). */
export const DOCKER_TAG_MAX_LENGTH = 128;

/** The literal text around `${CI_COMMIT_TAG}` in a tag template (`<before>${CI_COMMIT_TAG}<after>`), or undefined when it is not of that form ({@link AROUND_GIT_TAG}). */
export function gitTagTemplateOf(ciTag: string): { readonly before: string; readonly after: string } | undefined {
  const parts = AROUND_GIT_TAG.exec(ciTag);
  return parts ? { before: parts[1]!, after: parts[2]! } : undefined;
}

/**
 * The second half of the templates' Git tag rule (`… && $CI_COMMIT_TAG =~ /^…$/`): the Git tags whose
 * every image tag built from them is a Docker tag, `[\w][\w.-]{0,127}` (distribution/reference,
 * reference.go, `tag`; OCI distribution-spec, "Pulling manifests": `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`).
 * A template `<before>${CI_COMMIT_TAG}<after>` with nothing before the Git tag makes the Git tag's first
 * character the image tag's, so it must be a letter, digit or `_` (a Git tag `-rc1` or `.hidden`
 * under the pattern `*`-anything would push an image tag the registry refuses); and the Git tag may be
 * at most 128 minus the longest literal text around it long (`release-${CI_COMMIT_TAG}`: 120 characters).
 * The alphabet of the rest is the Git tag rule's wildcard alphabet. RE2 syntax, bounded repetition
 * only (RE2 allows counts up to 1000); GitLab evaluates `=~` with RE2 and `&&` as conjunction (GitLab
 * docs, "Choose when to run jobs", "Join variable expressions together with `&&` or `||`", since 12.0).
 *
 * @param templates the literal text around `${CI_COMMIT_TAG}` of each tag Git tag pipelines build from the Git tag
 * @returns the unanchored RE2 body, or undefined when no tag is built from the Git tag (no bound
 *   applies) or the literal text leaves no room (128 characters or more: the caller refuses it)
 */
export function gitTagImageTagRegex(templates: readonly { readonly before: string; readonly after: string }[]): string | undefined {
  if (templates.length === 0) return undefined;
  const room = gitTagRoom(templates);
  if (room < 1) return undefined;
  const first = templates.some((t) => t.before === "") ? "[A-Za-z0-9_]" : "[A-Za-z0-9_.-]";
  return room === 1 ? first : `${first}[A-Za-z0-9_.-]{0,${room - 1}}`;
}

/** The most characters a Git tag may have so that every image tag built from it by `templates` is at most {@link DOCKER_TAG_MAX_LENGTH} long. */
export function gitTagRoom(templates: readonly { readonly before: string; readonly after: string }[]): number {
  return DOCKER_TAG_MAX_LENGTH - Math.max(0, ...templates.map((t) => t.before.length + t.after.length));
}
