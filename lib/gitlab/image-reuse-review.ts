import { check } from "../core/errors";
import { type CiJob, type CiNeed } from "./ci-yaml";
import { AWS_JOB } from "./ci-job-credentials";
import { MERGE_REQUEST_PIPELINE } from "./image-reuse-plan";

/*
 * Review environments of the image-reuse template: a manual deploy job for a merge request's
 * commit image and its manual stop job.
 */

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

/** What the review jobs take from the template being generated. */
export interface ReviewContext {
  /** The pipeline's images, in build order. */
  readonly images: readonly { readonly name: string }[];
  /** The stage of the review jobs. */
  readonly stage: string;
  /** The `needs:` of a job that runs in image `name` (its build job). */
  readonly needsOf: (name: string) => CiNeed[];
  /** The reference of image `name` in this pipeline (its commit image). */
  readonly inPipeline: (name: string) => string;
  /** The build jobs' image, the review jobs' default. */
  readonly builderImage: string;
  /** Whether the jobs extend the AWS credentials job (ECR). */
  readonly aws: boolean;
  /** The `tags:` of the template's non-build jobs. */
  readonly runnerTags: { tags?: string[] };
}

/**
 * The review deploy job and its manual stop job, for merge requests: they deploy the merge request's commit image.
 * @throws ValidationError (path `<path>/review`) when the deployed image is not one of the pipeline's images
 */
export function reviewJobs(path: string, review: ReviewEnvironment, ctx: ReviewContext): Record<string, CiJob> {
  const deployed = review.deployedImage ?? ctx.images[0]!.name;
  check(
    ctx.images.some((i) => i.name === deployed),
    {
      path: `${path}/review`,
      subject: "deployedImage",
      value: deployed,
      rule: `the deployed image must be one of the pipeline's images (${ctx.images.map((i) => i.name).join(", ")})`,
      fix: "name one of the images",
    },
  );
  const environment = "review/mr-$CI_MERGE_REQUEST_IID";
  const common = {
    ...(ctx.aws ? { extends: AWS_JOB } : {}),
    stage: ctx.stage,
    image: review.image ?? ctx.builderImage,
    ...ctx.runnerTags,
    interruptible: false,
    variables: { REVIEW_IMAGE: ctx.inPipeline(deployed) },
  } satisfies CiJob;
  return {
    "deploy-review": {
      ...common,
      needs: ctx.needsOf(deployed),
      environment: { name: environment, on_stop: "stop-review", auto_stop_in: review.autoStopIn ?? "1 week" },
      // Optional: started by hand, and a failure does not block the merge request.
      rules: [{ if: MERGE_REQUEST_PIPELINE, when: "manual", allow_failure: true }],
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
