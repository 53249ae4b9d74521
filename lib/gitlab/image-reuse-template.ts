import { check } from "../core/errors";
import { type TagScheme } from "../registry/tag-scheme";
import { BUILD_CACHE_FUNCTIONS, BUILD_CACHE_KIND, buildCacheVariables, DEFAULT_DEPENDENCY_CACHES, type DependencyCache, dependencyCacheJobs } from "./build-cache";
import { type CiConfig, type CiJob, type CiNeed, renderCiYaml } from "./ci-yaml";
import { AWS_JOB, awsOidcSetup, registryLogin, type TemplateRegistry } from "./ci-job-credentials";
import { IMAGE_FLOW_FUNCTIONS } from "./image-flow-script";
import { pipelineKinds, type PipelineKind, type PipelineTagPlan } from "./image-reuse-plan";
import { type ReviewEnvironment, reviewJobs } from "./image-reuse-review";
import { imageVariable, PLATFORM_VARIABLES, repositoryVariable, unprotectedImageVariable } from "./platform-variables";

export { DEFAULT_BRANCH_PIPELINE, MERGE_REQUEST_PIPELINE, type PipelineTagPlan } from "./image-reuse-plan";
export { AWS_JOB, awsOidcRole, awsOidcSetup, registryLogin, type TemplateRegistry } from "./ci-job-credentials";
export { type ReviewEnvironment } from "./image-reuse-review";

/**
 * The image-reuse pipeline as a generated GitLab CI template. Every pipeline
 * runs one build job per image; the job hashes the image's inputs and reuses
 * or builds idempotently (see image-flow-script.ts): the image a job runs is
 * named by its commit (`sha-<commit>` on protected pipelines, `MR-<iid>-<commit>`
 * on merge requests), built only when its inputs changed. Protected pipelines
 * (default branch, release tags) use the tenant's protected repositories;
 * merge requests its unprotected ones, and never the other way round. Tags
 * come from the {@link TagScheme} the registry's lifecycle rules use.
 */

/** One image the pipeline builds. */
export interface TemplateImage {
  /** Image role, lower case (`app`, `ci`, `toolbox`): names the jobs (`build-<name>-image`) and, for ECR, the repository variables (`PLATFORM_<NAME>_IMAGE`, `PLATFORM_<NAME>_UNPROTECTED_IMAGE`). */
  readonly name: string;
  /**
   * Repository of protected pipelines, as a CI expression.
   * @default ECR: `$PLATFORM_<NAME>_IMAGE`; GitLab registry: `$CI_REGISTRY_IMAGE/<name>`
   */
  readonly repository?: string;
  /**
   * Repository of unprotected pipelines (merge requests), as a CI expression.
   * @default ECR: `$PLATFORM_<NAME>_UNPROTECTED_IMAGE`; GitLab registry: `$CI_REGISTRY_IMAGE/unprotected/<name>`
   */
  readonly unprotectedRepository?: string;
  /**
   * Dockerfile path.
   * @default "Dockerfile"
   */
  readonly dockerfile?: string;
  /**
   * Build context.
   * @default "."
   */
  readonly context?: string;
  /**
   * Extra paths hashed into the image's inputs, besides the Dockerfile, the files its
   * `COPY`/`ADD` instructions and `RUN --mount=type=bind` mounts take from the context, the
   * `.dockerignore` files, the build platform and the base image's inputs (image-flow-script.ts).
   * @default none
   */
  readonly changes?: readonly string[];
  /**
   * Another image of this pipeline that this one is built FROM: passed as
   * `--build-arg BASE_IMAGE=<repository>:inputs-<its hash>` (the Dockerfile declares `ARG BASE_IMAGE`),
   * always from the same trust level's repository.
   * @default none
   */
  readonly baseImage?: string;
  /**
   * Reuse a content image built for the same inputs by an earlier commit (or pushed by another
   * pipeline). With false, every commit without its commit image builds the image straight into its
   * commit tag (`sha-<commit>`, `MR-<iid>-<commit>`) and the image has no content image: no
   * `inputs-<hash>` is looked up or pushed, so an existing one (immutable, and a rebuild has another
   * digest) neither stands in for the build nor fails it, and every pipeline succeeds whether its
   * inputs changed or not. Re-runs and retries of a commit still reuse its commit image. An image built
   * FROM it names this pipeline's commit image of it as its base, and must set `reuse: false` too
   * (refused otherwise: its inputs hash would not change with the base). The cost is one build per commit.
   * @default true
   */
  readonly reuse?: boolean;
}

/** Props of {@link imageReuseTemplate}. */
export interface ImageReuseTemplateProps {
  /** The tag scheme; every pushed tag is derived from it. It must use the content kind `inputs`. */
  readonly tagScheme: TagScheme;
  /**
   * Registry.
   * @default "ecr"
   */
  readonly registry?: TemplateRegistry;
  /**
   * Images, in build order (a base image before the images built from it).
   * @default DEFAULT_TEMPLATE_IMAGES (app, and ci built FROM app)
   */
  readonly images?: readonly TemplateImage[];
  /**
   * Tag kinds per pipeline kind.
   * @default see {@link PipelineTagPlan}
   */
  readonly tags?: PipelineTagPlan;
  /**
   * The Git tags that release: Git tag pipelines run for exactly these. Give the `identity.releaseTags`
   * of the environments whose protected roles the pipelines assume: the roles trust, and GitLab
   * protects, the same pattern (`releaseTagPatternOf`, registry/release-tags.ts), so no Git tag pipeline
   * starts that the roles refuse. It must lie within the Git tags whose tag the release kind selects.
   * @default derived from the tag scheme's release kind as the roles derive it: `v*.*.*` by default
   */
  readonly releaseTags?: string;
  /**
   * Image of the build jobs: needs the docker CLI (and the AWS CLI for ECR; `buildctl-daemonless.sh`
   * where the pool's builder is `buildkit-rootless`), `awk`, `find` and `sha256sum`.
   * @default ECR: the toolbox image, `$PLATFORM_TOOLBOX_URL:latest` (the toolbox project's protected repository, which every tenant's roles may pull); GitLab registry: {@link DOCKER_CLI_IMAGE}
   */
  readonly builderImage?: string;
  /**
   * Commands run first in build jobs, e.g. to install the AWS CLI into a bare docker image.
   * @default none
   */
  readonly builderSetup?: readonly string[];
  /**
   * Runner tags of every job, instead of the platform's tag variables. `[]` leaves the jobs
   * untagged (only runners that take untagged jobs pick them).
   * @default build jobs `[$PLATFORM_BUILD_RUNNER_TAG]`, every other job `[$PLATFORM_RUNNER_TAG]`:
   *   the platform sets both per trust level (the protected pool's tags as protected project
   *   variables of each tenant, the unprotected pool's as group variables), see {@link RUNNER_TAG_EXPRESSIONS}
   */
  readonly runnerTags?: readonly string[];
  /**
   * Review environments for merge requests. The deploy job is manual and may fail (a review
   * environment never blocks a merge request); both jobs run under the merge-request role
   * (`PLATFORM_AWS_UNPROTECTED_ROLE_ARN`), which may push images and nothing else, so the
   * scripts must bring their own credentials and remote state for what they create. The
   * published templates (`platformCiTemplates`) carry none.
   * @default none
   */
  readonly review?: ReviewEnvironment;
  /**
   * Dependency caches offered as hidden jobs (`.platform-cache-<name>`) that test jobs extend.
   * @default DEFAULT_DEPENDENCY_CACHES (npm, pip, maven, go)
   */
  readonly dependencyCaches?: readonly DependencyCache[];
  /**
   * File name of the template in the templates project.
   * @default "image-reuse.yml"
   */
  readonly fileName?: string;
}

/** A generated CI template. */
export interface CiTemplate {
  /** File path inside the templates project, e.g. `image-reuse.yml`. */
  readonly fileName: string;
  /** The typed configuration. */
  readonly config: CiConfig;
  /** The rendered YAML. */
  readonly content: string;
}

/** The bare docker CLI image (pinned) for build jobs that need no AWS CLI. */
export const DOCKER_CLI_IMAGE = "docker:27.3.1-cli";
/** Default images: the application image, and the CI image built FROM it. */
export const DEFAULT_TEMPLATE_IMAGES: readonly TemplateImage[] = [
  { name: "app", dockerfile: "Dockerfile" },
  { name: "ci", dockerfile: "Dockerfile.ci", baseImage: "app" },
];
/** Stages of the generated pipeline. */
export const TEMPLATE_STAGES = ["build-images", "test", "review"] as const;

/**
 * The `tags:` entries of the templates' jobs when no static `runnerTags` are given: one CI/CD
 * variable each, expanded by GitLab when it creates the job (one level: the variable's value is
 * the tag itself; GitLab docs, "Where variables can be used", row `tags`, since 14.1).
 */
export const RUNNER_TAG_EXPRESSIONS = {
  /** Image build jobs: a runner of the pipeline's pool with an image builder. */
  builds: `$${PLATFORM_VARIABLES.buildRunnerTag}`,
  /** Every other job: a runner of the pipeline's pool. */
  jobs: `$${PLATFORM_VARIABLES.runnerTag}`,
} as const;

/** Hidden job of the build jobs: builder image, registry login, the image flow functions. */
export const DOCKER_JOB = ".platform-docker";

const JOB_NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** The pipeline variable naming the protected repository an unprotected pipeline may reuse content images from (empty in protected pipelines). */
const trustedVariable = (name: string) => `${repositoryVariable(name)}_TRUSTED`;

/**
 * The content image arguments of `platform_base` and `platform_image`: the image's content image in the
 * pipeline's repository and in the protected one (unprotected pipelines only); `"" ""` for an image with
 * `reuse: false`, which has no content image (image-flow-script.ts).
 */
const contentArguments = (image: TemplateImage, contentTag: string, repository = `$${repositoryVariable(image.name)}`) =>
  image.reuse === false ? `"" ""` : `"${repository}:${contentTag}" "\${${trustedVariable(image.name)}:+$${trustedVariable(image.name)}:${contentTag}}"`;

/** Shell-quotes a literal for a generated script line. */
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Generates the image-reuse pipeline template. Throws a ValidationError
 * (naming `path`) when a tag kind of the plan is not in the tag scheme or cannot be
 * pushed per commit, when the scheme lacks the content kind, or when images are inconsistent.
 *
 * @param path where the template is configured (construct or config path), for error messages
 */
export function imageReuseTemplate(path: string, props: ImageReuseTemplateProps): CiTemplate {
  const scheme = props.tagScheme;
  const registry = props.registry ?? "ecr";
  const images = props.images ?? DEFAULT_TEMPLATE_IMAGES;
  const contentTag = scheme.kind("inputs", `${path}/tagScheme`).ciTag!;
  const plan = pipelineKinds(path, scheme, props.tags ?? {}, props.releaseTags);
  const tagsOf = (variable: string): { tags?: string[] } =>
    props.runnerTags === undefined ? { tags: [variable] } : props.runnerTags.length > 0 ? { tags: [...props.runnerTags] } : {};
  const runnerTags = tagsOf(RUNNER_TAG_EXPRESSIONS.jobs);
  const moving = scheme.kinds.find((k) => k.mutable && k.name !== BUILD_CACHE_KIND && k.ciTag !== undefined && !k.ciTag.includes("$"));
  const builderImage = props.builderImage ?? (registry === "ecr" ? `$${PLATFORM_VARIABLES.toolboxUrl}:${moving?.ciTag ?? "latest"}` : DOCKER_CLI_IMAGE);
  const aws = registry === "ecr" ? awsOidcSetup() : undefined;

  validateImages(path, images);
  const byName = new Map(images.map((image) => [image.name, image]));
  const repositoryOf = (image: TemplateImage, trust: "protected" | "unprotected") =>
    trust === "protected"
      ? (image.repository ?? (registry === "ecr" ? `$${imageVariable(image.name)}` : `$CI_REGISTRY_IMAGE/${image.name}`))
      : (image.unprotectedRepository ?? (registry === "ecr" ? `$${unprotectedImageVariable(image.name)}` : `$CI_REGISTRY_IMAGE/unprotected/${image.name}`));
  const chainOf = (image: TemplateImage): TemplateImage[] => [...(image.baseImage ? chainOf(byName.get(image.baseImage)!) : []), image];
  const needsOf = (name: string): CiNeed[] => [{ job: `build-${name}-image` }];
  const inPipeline = (name: string) => `$${repositoryVariable(name)}:$${PLATFORM_VARIABLES.imageTag}`;
  const hashLine = (image: TemplateImage, base: string) =>
    `PLATFORM_INPUTS_HASH=$(platform_inputs_hash ${quote(image.dockerfile ?? "Dockerfile")} ${quote(image.context ?? ".")} "${base}"${(image.changes ?? []).map((c) => ` ${quote(c)}`).join("")})`;

  const jobs: Record<string, CiJob> = {
    ...(aws ? { [AWS_JOB]: aws } : {}),
    [DOCKER_JOB]: {
      ...(aws ? { extends: AWS_JOB } : {}),
      stage: TEMPLATE_STAGES[0],
      image: builderImage,
      ...tagsOf(RUNNER_TAG_EXPRESSIONS.builds),
      interruptible: true,
      before_script: [...(props.builderSetup ?? []), ...(aws?.before_script ?? []), ...registryLogin(registry), IMAGE_FLOW_FUNCTIONS, BUILD_CACHE_FUNCTIONS],
    },
    ...dependencyCacheJobs(path, props.dependencyCaches ?? DEFAULT_DEPENDENCY_CACHES),
  };
  // BuildKit cache variables per image: its own build job's, and what a later image's job needs to build it again.
  const cacheOf = new Map(
    images.map((image, i) => [
      image.name,
      buildCacheVariables(
        `${path}/images[${i}]`,
        scheme,
        { protected: repositoryOf(image, "protected"), unprotected: repositoryOf(image, "unprotected") },
        `$${repositoryVariable(image.name)}`,
        `$${trustedVariable(image.name)}`,
        `${repositoryOf(image, "protected")}:${moving?.ciTag ?? contentTag}`,
      ),
    ]),
  );
  for (const image of images) {
    const chain = chainOf(image);
    const script: string[] = [];
    chain.forEach((link, i) => {
      script.push(hashLine(link, i === 0 ? "" : "$PLATFORM_INPUTS_HASH"));
      if (i < chain.length - 1) {
        // The base by digest: its content image, else this pipeline's commit image of it, else built again (platform_base).
        const cache = cacheOf.get(link.name)!;
        script.push(
          `platform_base ${contentArguments(link, contentTag)} "${inPipeline(link.name)}" ` +
            `${quote(link.dockerfile ?? "Dockerfile")} ${quote(link.context ?? ".")} "${cache.CACHE_IMAGE}" "${cache.CACHE_TRUSTED_REPOSITORY}" "${i === 0 ? "" : "$BASE_IMAGE_REF"}" "$PLATFORM_INPUTS_HASH"`,
          "BASE_IMAGE_REF=$PLATFORM_BASE",
        );
      }
    });
    script.push(
      `echo "platform-image: inputs of ${image.name}: $PLATFORM_INPUTS_HASH"`,
      `platform_image "$IMAGE_REPOSITORY:$${PLATFORM_VARIABLES.imageTag}" ${contentArguments(image, contentTag, "$IMAGE_REPOSITORY")} "$DOCKERFILE" "$BUILD_CONTEXT" "$CACHE_IMAGE" "${image.baseImage ? "$BASE_IMAGE_REF" : ""}" ${image.reuse === false ? 0 : 1}`,
      `for tag in $PLATFORM_MOVING_TAGS; do platform_tag "$IMAGE_REPOSITORY:$${PLATFORM_VARIABLES.imageTag}" "$tag" 1; done`,
      `for tag in $PLATFORM_FIXED_TAGS; do platform_tag "$IMAGE_REPOSITORY:$${PLATFORM_VARIABLES.imageTag}" "$tag" 0; done`,
    );
    jobs[`build-${image.name}-image`] = {
      extends: DOCKER_JOB,
      variables: {
        IMAGE_REPOSITORY: `$${repositoryVariable(image.name)}`,
        DOCKERFILE: image.dockerfile ?? "Dockerfile",
        BUILD_CONTEXT: image.context ?? ".",
        // BuildKit cache in this pipeline's own repository; unprotected pipelines also import the protected one (build-cache.ts).
        ...cacheOf.get(image.name)!,
      },
      needs: image.baseImage ? needsOf(image.baseImage) : [],
      script,
    };
    jobs[`.in-${image.name}-image`] = {
      image: inPipeline(image.name),
      ...runnerTags,
      interruptible: true,
      needs: needsOf(image.name),
    };
  }
  if (props.review) Object.assign(jobs, reviewJobs(path, props.review, { images, stage: TEMPLATE_STAGES[2], needsOf, inPipeline, builderImage, aws: aws !== undefined, runnerTags }));

  const config: CiConfig = {
    stages: [...TEMPLATE_STAGES],
    variables: { PLATFORM_REGISTRY_KIND: registry },
    workflow: {
      rules: plan.map((kind) => ({
        if: kind.if,
        variables: {
          [PLATFORM_VARIABLES.trust]: kind.trust,
          [PLATFORM_VARIABLES.imageTag]: kind.commitKind.ciTag!,
          PLATFORM_MOVING_TAGS: kind.extraKinds.filter((k) => k.mutable).map((k) => k.ciTag!).join(" "),
          PLATFORM_FIXED_TAGS: kind.extraKinds.filter((k) => !k.mutable).map((k) => k.ciTag!).join(" "),
          ...Object.fromEntries(images.map((image) => [repositoryVariable(image.name), repositoryOf(image, kind.trust)])),
          // Unprotected pipelines may start from protected content images (never the reverse).
          ...Object.fromEntries(images.map((image) => [trustedVariable(image.name), kind.trust === "protected" ? "" : repositoryOf(image, "protected")])),
        },
      })),
    },
    jobs,
  };
  return {
    fileName: props.fileName ?? "image-reuse.yml",
    config,
    content: renderCiYaml(config, templateHeader(contentTag, plan, images.filter((image) => image.reuse === false).map((image) => image.name))),
  };
}

/** The header comment of generated templates: what they are and which tags they push. */
function templateHeader(contentTag: string, plan: readonly PipelineKind[], withoutReuse: readonly string[]): string[] {
  return [
    "Generated by gitlab-ci-platform from the registry's tag scheme. Do not edit: regenerate.",
    `A build pushes ${contentTag} only when no image of the same inputs exists; then, per pipeline:`,
    ...plan.map((kind) => `  ${kind.name} (${kind.trust}): ${[kind.commitKind, ...kind.extraKinds].map((k) => k.ciTag).join(", ")}`),
    ...(withoutReuse.length > 0 ? [`Built for every commit, with no ${contentTag} (reuse: false): ${withoutReuse.join(", ")}.`] : []),
  ];
}

/** Checks image names, uniqueness and base-image references (a base comes earlier). */
function validateImages(path: string, images: readonly TemplateImage[]): void {
  check(images.length > 0, { path, subject: "images", value: images, rule: "a pipeline builds at least one image", fix: "give one image or more" });
  const seen = new Set<string>();
  images.forEach((image, i) => {
    const where = `${path}/images[${i}]`;
    check(JOB_NAME.test(image.name), {
      path: where,
      subject: "image name",
      value: image.name,
      rule: "an image name is 1-41 lower-case letters, digits and '-', starting with a letter (it names jobs and the PLATFORM_<NAME>_IMAGE variable)",
      fix: "use e.g. app, ci or toolbox",
    });
    check(!seen.has(image.name), { path: where, subject: "image name", value: image.name, rule: "image names are unique", fix: "rename one of the images" });
    check(image.baseImage === undefined || seen.has(image.baseImage), {
      path: where,
      subject: "baseImage",
      value: image.baseImage,
      rule: `a base image must be one of the images listed before this one (${[...seen].join(", ") || "none"})`,
      fix: "list the base image first, or fix its name",
    });
    // A base without reuse is rebuilt by every commit, but the derived image's inputs hash names only
    // the base's inputs: the derived image would be reused across commits, built FROM an older base.
    const base = image.baseImage === undefined ? undefined : images.find((other) => other.name === image.baseImage);
    check(base === undefined || base.reuse !== false || image.reuse === false, {
      path: `${where}/reuse`,
      subject: "reuse",
      value: image.reuse ?? true,
      rule: `image ${image.name} is built FROM ${base?.name}, which has reuse: false (rebuilt by every commit), so ${image.name} cannot be reused by its inputs: its content image would be built FROM an older commit's ${base?.name}`,
      fix: `set reuse: false on ${image.name} too, or reuse ${base?.name}`,
    });
    seen.add(image.name);
  });
}

