import { check } from "../core/errors";
import { selectorRegex } from "../registry/glob";
import { type TagKindName, type TagScheme } from "../registry/tag-scheme";
import { type CiConfig, type CiJob, type CiNeed, type CiRule, renderCiYaml } from "./ci-yaml";
import { imageVariable, PLATFORM_VARIABLES } from "./platform-variables";

/**
 * The image-reuse pipeline as a generated GitLab CI template: images are
 * built once per pipeline (or reused when their inputs did not change),
 * pushed with tags derived from the {@link TagScheme} the registry's
 * lifecycle rules use, and later jobs run inside them.
 */

/** Where the pipeline pushes images: ECR (login with the OIDC role) or the project's GitLab registry (job token). */
export type TemplateRegistry = "ecr" | "gitlab";

/** One image the pipeline builds. */
export interface TemplateImage {
  /** Image role, lower case (`app`, `ci`, `toolbox`): names the jobs (`build-<name>-image`) and, for ECR, the repository variable (`PLATFORM_<NAME>_IMAGE`). */
  readonly name: string;
  /**
   * Repository, as a CI expression.
   * @default ECR: `$PLATFORM_<NAME>_IMAGE`; GitLab registry: `$CI_REGISTRY_IMAGE/<name>`
   */
  readonly repository?: string;
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
   * Files whose change triggers a rebuild (`rules:changes`); otherwise the previous
   * image is reused. The base image's files are added automatically.
   * @default [dockerfile]
   */
  readonly changes?: readonly string[];
  /**
   * Another image of this pipeline that this one is built FROM: passed as
   * `--build-arg BASE_IMAGE=<repository>:<pipeline tag>` (the Dockerfile declares `ARG BASE_IMAGE`).
   * @default none
   */
  readonly baseImage?: string;
  /**
   * When the inputs did not change, retag the previous `latest` image instead of building.
   * Without reuse the image is built only when its inputs change.
   * @default true
   */
  readonly reuse?: boolean;
}

/**
 * Which tag kinds each kind of pipeline pushes, besides the `pipeline` kind that every
 * build pushes (later jobs of the pipeline use it). Every kind must be in the tag scheme.
 */
export interface PipelineTagPlan {
  /**
   * Merge-request pipelines.
   * @default ["mergeRequest"]
   */
  readonly mergeRequest?: readonly TagKindName[];
  /**
   * Default-branch pipelines.
   * @default ["commit", "latest"]
   */
  readonly defaultBranch?: readonly TagKindName[];
  /**
   * Git tag pipelines (none runs when empty).
   * @default ["release"] when the scheme uses it, else []
   */
  readonly gitTag?: readonly TagKindName[];
}

/** Review environments of merge requests: a deploy job and a manual stop job. */
export interface ReviewEnvironment {
  /** Commands that deploy the merge request's image (`$REVIEW_IMAGE`). */
  readonly deployScript: readonly string[];
  /** Commands that tear the environment down (run by the manual stop job). */
  readonly stopScript: readonly string[];
  /**
   * Image the review jobs run in.
   * @default the builder image
   */
  readonly image?: string;
  /**
   * The image deployed (`$REVIEW_IMAGE`): one of the pipeline's images.
   * @default the first image
   */
  readonly deployedImage?: string;
  /**
   * Stop the environment automatically after this period.
   * @default "1 week"
   */
  readonly autoStopIn?: string;
}

/** Props of {@link imageReuseTemplate}. */
export interface ImageReuseTemplateProps {
  /** The tag scheme; every pushed tag is derived from it. */
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
   * Image of the build jobs: needs the docker CLI (and the AWS CLI for ECR).
   * @default ECR: the toolbox image, `$PLATFORM_TOOLBOX_IMAGE:<latest tag>`; GitLab registry: {@link DOCKER_CLI_IMAGE}
   */
  readonly builderImage?: string;
  /**
   * Commands run first in build jobs, e.g. to install the AWS CLI into a bare docker image.
   * @default none
   */
  readonly builderSetup?: readonly string[];
  /**
   * Runner tags of every job.
   * @default none (untagged runners pick the jobs)
   */
  readonly runnerTags?: readonly string[];
  /**
   * Review environments for merge requests.
   * @default none
   */
  readonly review?: ReviewEnvironment;
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

/** CI expressions of the pipeline kinds. */
export const MERGE_REQUEST_PIPELINE = '$CI_PIPELINE_SOURCE == "merge_request_event"';
/** Default-branch pipelines. */
export const DEFAULT_BRANCH_PIPELINE = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";

/** Hidden job giving AWS credentials from the job's OIDC token (ECR only). */
export const AWS_JOB = ".platform-aws";
/** Hidden job of the build jobs: builder image, registry login. */
export const DOCKER_JOB = ".platform-docker";

/** Where jobs write the OIDC token for the AWS SDK (container-private /tmp). */
const TOKEN_FILE = "/tmp/gitlab-oidc-token";
const JOB_NAME = /^[a-z][a-z0-9-]{0,40}$/;

/** The job variables and commands that give a job AWS credentials from its GitLab OIDC token. */
export function awsOidcSetup(): Pick<CiJob, "id_tokens" | "variables" | "before_script"> {
  return {
    id_tokens: { GITLAB_OIDC_TOKEN: { aud: `$${PLATFORM_VARIABLES.audience}` } },
    variables: {
      AWS_ROLE_ARN: `$${PLATFORM_VARIABLES.roleArn}`,
      AWS_REGION: `$${PLATFORM_VARIABLES.region}`,
      AWS_DEFAULT_REGION: `$${PLATFORM_VARIABLES.region}`,
      AWS_ROLE_SESSION_NAME: "gitlab-${CI_PROJECT_ID}-${CI_JOB_ID}",
      AWS_WEB_IDENTITY_TOKEN_FILE: TOKEN_FILE,
    },
    before_script: [
      `printf '%s' "$GITLAB_OIDC_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"`,
      // The default branch and release tags assume the build role; other branches and
      // merge requests the branch role, whose trust policy accepts any branch.
      `if [ -z "\${CI_COMMIT_TAG:-}" ] && [ "\${CI_COMMIT_BRANCH:-}" != "$CI_DEFAULT_BRANCH" ]; then export AWS_ROLE_ARN="\${${PLATFORM_VARIABLES.branchRoleArn}:-$AWS_ROLE_ARN}"; fi`,
    ],
  };
}

/** Commands that log the docker CLI in to the registry. */
export function registryLogin(registry: TemplateRegistry): string[] {
  return registry === "ecr"
    ? [`aws ecr get-login-password | docker login --username AWS --password-stdin "$${PLATFORM_VARIABLES.registryHost}"`]
    : [`printf '%s' "$CI_REGISTRY_PASSWORD" | docker login --username "$CI_REGISTRY_USER" --password-stdin "$CI_REGISTRY"`];
}

interface PipelineKind {
  readonly name: keyof PipelineTagPlan;
  readonly if: string;
  readonly kinds: readonly TagKindName[];
  /** Whether `rules:changes` decides between build and reuse (not for Git tags, where changes are always true). */
  readonly changeAware: boolean;
}

/**
 * Generates the image-reuse pipeline template. Throws a ValidationError
 * (naming `path`) when a tag kind of the plan is not in the tag scheme, or
 * when images are inconsistent.
 *
 * @param path where the template is configured (construct or config path), for error messages
 */
export function imageReuseTemplate(path: string, props: ImageReuseTemplateProps): CiTemplate {
  const scheme = props.tagScheme;
  const registry = props.registry ?? "ecr";
  const images = props.images ?? DEFAULT_TEMPLATE_IMAGES;
  const ciTag = (kind: TagKindName, where: string) => scheme.kind(kind, `${path}/${where}`).ciTag;
  const pipelineTag = ciTag("pipeline", "pipelineTag");
  const plan = pipelineKinds(path, scheme, props.tags ?? {});
  const runnerTags = props.runnerTags && props.runnerTags.length > 0 ? { tags: [...props.runnerTags] } : {};
  const builderImage = props.builderImage ?? (registry === "ecr" ? `$${imageVariable("toolbox")}:${ciTag("latest", "builderImage")}` : DOCKER_CLI_IMAGE);
  const aws = registry === "ecr" ? awsOidcSetup() : undefined;

  validateImages(path, images);
  const byName = new Map(images.map((image) => [image.name, image]));
  const repositoryOf = (image: TemplateImage) => image.repository ?? (registry === "ecr" ? `$${imageVariable(image.name)}` : `$CI_REGISTRY_IMAGE/${image.name}`);
  const changesOf = (image: TemplateImage): string[] => {
    const own = image.changes ?? [image.dockerfile ?? "Dockerfile"];
    return [...new Set([...(image.baseImage ? changesOf(byName.get(image.baseImage)!) : []), ...own])];
  };
  const needsOf = (name: string): CiNeed[] => {
    const image = byName.get(name)!;
    return [{ job: `build-${name}-image`, optional: true }, ...(image.reuse === false ? [] : [{ job: `reuse-${name}-image`, optional: true }])];
  };
  const latestTag = (image: TemplateImage, where: string) => (image.reuse === false ? undefined : ciTag("latest", where));

  const jobs: Record<string, CiJob> = {
    ...(aws ? { [AWS_JOB]: aws } : {}),
    [DOCKER_JOB]: {
      ...(aws ? { extends: AWS_JOB } : {}),
      stage: TEMPLATE_STAGES[0],
      image: builderImage,
      ...runnerTags,
      interruptible: true,
      before_script: [...(props.builderSetup ?? []), ...(aws?.before_script ?? []), ...registryLogin(registry)],
    },
  };
  for (const image of images) {
    const where = `images/${image.name}`;
    const repository = repositoryOf(image);
    const reuseFrom = latestTag(image, `${where}/reuse`);
    const changes = changesOf(image);
    const tagVariables = (kind: PipelineKind) => ({ EXTRA_TAGS: kind.kinds.map((k) => ciTag(k, `tags/${kind.name}`)).join(" ") });
    const cacheTag = (kind: PipelineKind) => (kind.kinds.includes("mergeRequest") ? ciTag("mergeRequest", `tags/${kind.name}`) : ciTag("latest", `${where}/cacheFrom`));
    const base = {
      extends: DOCKER_JOB,
      variables: { IMAGE_REPOSITORY: repository },
      needs: image.baseImage ? needsOf(image.baseImage) : [],
    } satisfies CiJob;
    const pushTags = [
      `docker push "$IMAGE_REPOSITORY:${pipelineTag}"`,
      `for tag in $EXTRA_TAGS; do docker tag "$IMAGE_REPOSITORY:${pipelineTag}" "$IMAGE_REPOSITORY:$tag"; docker push "$IMAGE_REPOSITORY:$tag"; done`,
    ];
    const baseArg = image.baseImage ? ` --build-arg "BASE_IMAGE=${repositoryOf(byName.get(image.baseImage)!)}:${pipelineTag}"` : "";
    jobs[`build-${image.name}-image`] = {
      ...base,
      variables: { ...base.variables, DOCKERFILE: image.dockerfile ?? "Dockerfile", BUILD_CONTEXT: image.context ?? "." },
      rules: plan.map((kind) => ({
        if: kind.if,
        ...(kind.changeAware ? { changes } : {}),
        variables: { ...tagVariables(kind), CACHE_TAG: cacheTag(kind) },
      })),
      script: [
        `docker build --cache-from "$IMAGE_REPOSITORY:${ciTag("latest", `${where}/cacheFrom`)}" --cache-from "$IMAGE_REPOSITORY:$CACHE_TAG" --build-arg BUILDKIT_INLINE_CACHE=1${baseArg} --file "$DOCKERFILE" --tag "$IMAGE_REPOSITORY:${pipelineTag}" "$BUILD_CONTEXT"`,
        ...pushTags,
      ],
    };
    if (reuseFrom !== undefined) {
      const reusable = plan.filter((kind) => kind.changeAware);
      jobs[`reuse-${image.name}-image`] = {
        ...base,
        rules: [
          ...reusable.map((kind): CiRule => ({ if: kind.if, changes, when: "never" })),
          ...reusable.map((kind): CiRule => ({ if: kind.if, variables: tagVariables(kind) })),
        ],
        script: [
          `docker pull "$IMAGE_REPOSITORY:${reuseFrom}"`,
          `docker tag "$IMAGE_REPOSITORY:${reuseFrom}" "$IMAGE_REPOSITORY:${pipelineTag}"`,
          ...pushTags,
        ],
      };
    }
    jobs[`.in-${image.name}-image`] = {
      image: `${repository}:${pipelineTag}`,
      ...runnerTags,
      interruptible: true,
      needs: needsOf(image.name),
    };
  }
  if (props.review) Object.assign(jobs, reviewJobs(path, props.review, { scheme, images, repositoryOf, needsOf, builderImage, aws: aws !== undefined, runnerTags }));

  const config: CiConfig = {
    stages: [...TEMPLATE_STAGES],
    workflow: { rules: plan.map((kind) => ({ if: kind.if })) },
    jobs,
  };
  return {
    fileName: props.fileName ?? "image-reuse.yml",
    config,
    content: renderCiYaml(config, templateHeader(scheme, plan)),
  };
}

/** The header comment of generated templates: what they are and which tags they push. */
function templateHeader(scheme: TagScheme, plan: readonly PipelineKind[]): string[] {
  return [
    "Generated by gitlab-ci-platform from the registry's tag scheme. Do not edit: regenerate.",
    `Every build pushes ${scheme.kind("pipeline").ciTag}; then, per pipeline:`,
    ...plan.map((kind) => `  ${kind.name}: ${kind.kinds.map((k) => scheme.kind(k).ciTag).join(", ") || "(nothing else)"}`),
  ];
}

/** Resolves the tag plan into pipeline kinds, validating every kind against the scheme. */
function pipelineKinds(path: string, scheme: TagScheme, tags: PipelineTagPlan): PipelineKind[] {
  const planned: Record<keyof PipelineTagPlan, readonly TagKindName[]> = {
    mergeRequest: tags.mergeRequest ?? ["mergeRequest"],
    defaultBranch: tags.defaultBranch ?? ["commit", "latest"],
    gitTag: tags.gitTag ?? (scheme.has("release") ? ["release"] : []),
  };
  for (const [name, kinds] of Object.entries(planned)) {
    kinds.forEach((kind, i) => {
      const where = `${path}/tags/${name}[${i}]`;
      scheme.kind(kind, where);
      check(kind !== "pipeline", {
        path: where,
        subject: "tag kind",
        value: kind,
        rule: "every build pushes the pipeline kind already (later jobs use it)",
        fix: "leave `pipeline` out of the tag plan",
      });
      check(kinds.indexOf(kind) === i, { path: where, subject: "tag kind", value: kind, rule: "a pipeline pushes each tag kind once", fix: "remove the duplicate" });
    });
  }
  const release = planned.gitTag.includes("release") ? scheme.kind("release") : undefined;
  const gitTagIf = release ? `$CI_COMMIT_TAG =~ /^${selectorRegex(release.selector)}$/` : "$CI_COMMIT_TAG";
  return [
    { name: "mergeRequest" as const, if: MERGE_REQUEST_PIPELINE, kinds: planned.mergeRequest, changeAware: true },
    { name: "defaultBranch" as const, if: DEFAULT_BRANCH_PIPELINE, kinds: planned.defaultBranch, changeAware: true },
    ...(planned.gitTag.length > 0 ? [{ name: "gitTag" as const, if: gitTagIf, kinds: planned.gitTag, changeAware: false }] : []),
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
    seen.add(image.name);
  });
}

interface ReviewContext {
  readonly scheme: TagScheme;
  readonly images: readonly TemplateImage[];
  readonly repositoryOf: (image: TemplateImage) => string;
  readonly needsOf: (name: string) => CiNeed[];
  readonly builderImage: string;
  readonly aws: boolean;
  readonly runnerTags: { tags?: string[] };
}

/** The review deploy job and its manual stop job, for merge requests. */
function reviewJobs(path: string, review: ReviewEnvironment, ctx: ReviewContext): Record<string, CiJob> {
  const deployed = review.deployedImage ?? ctx.images[0]!.name;
  const image = ctx.images.find((i) => i.name === deployed);
  check(image !== undefined, {
    path: `${path}/review`,
    subject: "deployedImage",
    value: deployed,
    rule: `the deployed image must be one of the pipeline's images (${ctx.images.map((i) => i.name).join(", ")})`,
    fix: "name one of the images",
  });
  const environment = "review/mr-$CI_MERGE_REQUEST_IID";
  const common = {
    ...(ctx.aws ? { extends: AWS_JOB } : {}),
    stage: TEMPLATE_STAGES[2],
    image: review.image ?? ctx.builderImage,
    ...ctx.runnerTags,
    interruptible: false,
    variables: { REVIEW_IMAGE: `${ctx.repositoryOf(image)}:${ctx.scheme.kind("mergeRequest", `${path}/review`).ciTag}` },
  } satisfies CiJob;
  return {
    "deploy-review": {
      ...common,
      needs: ctx.needsOf(deployed),
      environment: { name: environment, on_stop: "stop-review", auto_stop_in: review.autoStopIn ?? "1 week" },
      rules: [{ if: MERGE_REQUEST_PIPELINE }],
      script: [...review.deployScript],
    },
    "stop-review": {
      ...common,
      needs: ["deploy-review"],
      environment: { name: environment, action: "stop" },
      rules: [{ if: MERGE_REQUEST_PIPELINE, when: "manual", allow_failure: true }],
      script: [...review.stopScript],
    },
  };
}
