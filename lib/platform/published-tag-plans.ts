/*
 * What the files one GitLab instance publishes push into its environments' registries, and the
 * checks of what one pipeline pushes (`pipelineKinds`) run with another environment's tag scheme.
 *
 * The instance's `gitlab-shared` stack publishes the CI templates (`image-reuse.yml`,
 * `image-reuse-gitlab-registry.yml` and, when an environment deploys, `deploy.yml`), built from
 * the tag scheme of the environment declaring `gitlab.ciTemplates`, and the toolbox project's
 * `.gitlab-ci.yml`, built from the scheme of the environment declaring `gitlab.toolboxProject`.
 * Their tags land in every environment's repositories, whose lifecycle policies come from each
 * environment's own `registry.tagScheme`.
 */
import { type Violation, violationsIn } from "../core/errors";
import { recall } from "../core/memo";
import { buildCacheKind } from "../gitlab/build-cache";
import { movingKindOf, pipelineKinds, type PipelineTagPlan, plannedTagsOf, TOOLBOX_TAG_PLAN } from "../gitlab/image-reuse-plan";
import { type TagSelector, selectorPattern } from "../registry/glob";
import { globIncludes } from "../identity/ref-patterns";
import { TagScheme } from "../registry/tag-scheme";
import { type EnvironmentConfig } from "./environment-config";

/** One file an instance publishes, as far as the tags it pushes go. */
export interface PublishedFile {
  /** What it is, for messages, e.g. `the published CI templates`. */
  readonly name: string;
  /** Index of the environment whose tag scheme it is built from (its config path `config/environments[i]`). */
  readonly declarer: number;
  /** Config path of the declaration, e.g. `config/environments[0]/gitlab/ciTemplates`. */
  readonly path: string;
  /** Its tag plan, defaults resolved with the declarer's scheme: the kinds each kind of pipeline pushes onto its commit image. */
  readonly plan: Record<keyof PipelineTagPlan, readonly string[]>;
  /** Every kind it pushes into some environment's registry: the plan's, and the others (content, build cache, deployed, promoted). */
  readonly pushes: readonly string[];
}

/** What the files published on one GitLab instance are built from. */
export interface PublishedFilesInput {
  /** Index of the environment declaring `gitlab.ciTemplates`, if any (the first on the instance). */
  readonly templates?: number;
  /** Index of the environment declaring `gitlab.toolboxProject`, if any (the first on the instance). */
  readonly toolbox?: number;
  /** Whether an environment on the instance deploys (`deploy` set): then `deploy.yml` is published and the toolbox is promoted. */
  readonly deploys: boolean;
}

/**
 * The files the instance publishes and the kinds each pushes, read from their declarers' schemes:
 * - the CI templates (`platformCiTemplates`): the default tag plan (`plannedTagsOf`: merge request,
 *   commit and `latest`, commit and release when the scheme uses release), the content kind
 *   `inputs` (every build), the build cache kind when the scheme has one with a fixed tag
 *   (`buildCacheKind`: every build exports it), and with deployments `deploy.yml`'s commit kind
 *   (promoted by digest into each environment) and `deployed` (moved onto what runs);
 * - the toolbox project's CI file (`toolboxCiFile`): {@link TOOLBOX_TAG_PLAN}, the content kind, the
 *   build cache kind, and with deployments the commit kind and the moving kind (`movingKindOf`,
 *   `latest`) it promotes into every deploying environment (`toolboxPromotionJobs`).
 * The `pipeline` kind is pushed by neither (the plan refuses per-pipeline tags).
 *
 * @param environments the configuration's environments
 * @param input the declarers on the instance
 * @param schemeOf the resolved tag scheme of an environment, undefined when it is invalid (its own check reports that)
 */
export function publishedFilesOf(environments: readonly EnvironmentConfig[], input: PublishedFilesInput, schemeOf: (i: number) => TagScheme | undefined): PublishedFile[] {
  const files: PublishedFile[] = [];
  const extrasOf = (scheme: TagScheme): string[] => ["inputs", ...(buildCacheKind(scheme) ? [buildCacheKind(scheme)!.name] : [])];
  if (input.templates !== undefined) {
    const scheme = schemeOf(input.templates);
    if (scheme) {
      const plan = plannedTagsOf(scheme);
      const deploy = input.deploys ? ["commit", "deployed"] : [];
      files.push({
        name: `the published CI templates (image-reuse.yml${input.deploys ? ", deploy.yml" : ""})`,
        declarer: input.templates,
        path: `config/environments[${input.templates}]/gitlab/ciTemplates`,
        plan,
        pushes: distinct([...Object.values(plan).flat(), ...extrasOf(scheme), ...deploy]),
      });
    }
  }
  if (input.toolbox !== undefined) {
    const scheme = schemeOf(input.toolbox);
    if (scheme) {
      const moving = movingKindOf(scheme);
      const promoted = input.deploys ? ["commit", ...(moving ? [moving.name] : [])] : [];
      files.push({
        name: `the toolbox project's CI file (${environments[input.toolbox]!.gitlab.toolboxProject?.path ?? "toolbox"}/.gitlab-ci.yml)`,
        declarer: input.toolbox,
        path: `config/environments[${input.toolbox}]/gitlab/toolboxProject`,
        plan: { ...TOOLBOX_TAG_PLAN },
        pushes: distinct([...Object.values(TOOLBOX_TAG_PLAN).flat(), ...extrasOf(scheme), ...promoted]),
      });
    }
  }
  return files;
}

/**
 * The violations of the file's plan checks (`pipelineKinds`: per-commit kinds, one retention type
 * per image, kinds per image against `maxKindsPerImage`, the Git tag rule) run with `scheme` and
 * `releaseTags` instead of the declarer's: what the file pushes into that environment's registry,
 * judged by that environment's lifecycle policy. Paths are `<file.path>/tags/<pipeline>…`.
 */
export function planViolationsWith(file: PublishedFile, scheme: TagScheme, releaseTags: string | undefined): readonly Violation[] {
  const answers = planAnswers.get(scheme) ?? new Map<string, readonly Violation[]>();
  planAnswers.set(scheme, answers);
  return recall(answers, JSON.stringify([file.path, file.plan, releaseTags ?? null]), () => violationsIn(() => pipelineKinds(file.path, scheme, file.plan, releaseTags)));
}

/** Answers of {@link planViolationsWith} per scheme (schemes are immutable; {@link configuredSchemeOf} hands out the same one for the same props). */
const planAnswers = new WeakMap<TagScheme, Map<string, readonly Violation[]>>();

/**
 * Whether two selectors select the same tags. ECR reads `tagPrefixList` entries as prefixes and
 * `tagPatternList` entries as whole-tag patterns whose `*` matches any run of characters, none
 * included (Amazon ECR User Guide, "Lifecycle policy properties", `tagPatternList`), so
 * `{ prefix: "sha-" }` and `{ pattern: "sha-*" }` select the same tags; decided on the patterns
 * (`selectorPattern`) by inclusion both ways (`globIncludes`).
 */
export function sameSelection(a: TagSelector, b: TagSelector): boolean {
  const [pa, pb] = [selectorPattern(a), selectorPattern(b)];
  if (pa === pb) return true;
  // globIncludes reads `?` as one character (IAM); an ECR pattern's `?` is literal: compare such patterns as text.
  if (pa.includes("?") || pb.includes("?")) return false;
  return globIncludes(pa, pb) && globIncludes(pb, pa);
}

/** The resolved tag scheme of `env`, or undefined when it is invalid (its own configuration check reports that). */
export function configuredSchemeOf(env: EnvironmentConfig, i: number): TagScheme | undefined {
  const path = `config/environments[${i}]/registry/tagScheme`;
  const props = env.registry.tagScheme ?? {};
  // A configuration check runs many times over the same schemes (every configuration of a test sweep): resolved once per path and props.
  return recall(schemes, JSON.stringify([path, props]), () => {
    let scheme: TagScheme | undefined;
    const found = violationsIn(() => {
      // The path form names the configuration path in the plan checks' messages (`the tag scheme at …`).
      scheme = new TagScheme(path, props);
    });
    return found.length === 0 ? scheme : undefined;
  });
}

/** Resolved schemes by path and props (see {@link configuredSchemeOf}). Bounded. */
const schemes = new Map<string, TagScheme | undefined>();

const distinct = (names: readonly string[]): string[] => [...new Set(names)];
