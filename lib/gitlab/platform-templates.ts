import { type TagScheme } from "../registry/tag-scheme";
import { deployTemplate, type DeployTemplateEnvironment } from "./deploy-template";
import { type CiTemplate, imageReuseTemplate, type ReviewEnvironment } from "./image-reuse-template";

/**
 * Review environments deployed with terraform from the project's
 * `deploy/review` directory: the deploy job applies with the merge request's image, the
 * manual stop job destroys.
 *
 * @deprecated Not published any more, and not safe to pass as `review`: `terraform init` has
 * no backend (the state lives in the job's workspace, so the stop job destroys nothing), and
 * the jobs run under the merge-request role, which may push images but create nothing else.
 * Review environments are out of the platform's scope (see docs/build-speed.md, "Review
 * environments"); projects that want them define their own jobs with their own role and state.
 */
export const TERRAFORM_REVIEW_ENVIRONMENT: ReviewEnvironment = {
  deployScript: [
    "terraform -chdir=deploy/review init -input=false",
    'terraform -chdir=deploy/review apply -input=false -auto-approve -var "image=$REVIEW_IMAGE" -var "name=mr-$CI_MERGE_REQUEST_IID"',
  ],
  stopScript: [
    "terraform -chdir=deploy/review init -input=false",
    'terraform -chdir=deploy/review destroy -input=false -auto-approve -var "image=$REVIEW_IMAGE" -var "name=mr-$CI_MERGE_REQUEST_IID"',
  ],
};

/** File name of the ECR image-reuse template. */
export const IMAGE_REUSE_TEMPLATE = "image-reuse.yml";
/** File name of the GitLab-registry image-reuse template. */
export const IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE = "image-reuse-gitlab-registry.yml";

/**
 * The templates the platform publishes for projects to include: the
 * image-reuse pipeline for ECR and the same pipeline for GitLab's container
 * registry. Both derive their tags from `tagScheme`. Neither carries review
 * environments: a merge-request pipeline runs the build and the project's own
 * jobs only (review environments need a role and state of their own, which the
 * platform does not provision). With `deploy`, also the deploy template (`deploy.yml`, see
 * `deployTemplate`): promotion by digest, deploy, smoke test and rollback per environment.
 *
 * @param path where the templates are configured, for error messages
 * @param deploy the environments with deploy jobs, in promotion order, and the image they deploy
 * @param releaseTags the Git tags that release (`identity.releaseTags` of the environment the templates
 *   are published from): Git tag pipelines run for exactly these (see `ImageReuseTemplateProps.releaseTags`)
 */
export function platformCiTemplates(
  path: string,
  tagScheme: TagScheme,
  deploy?: { readonly environments: readonly DeployTemplateEnvironment[]; readonly image?: string; readonly jobImage?: string },
  releaseTags?: string,
): CiTemplate[] {
  const release = releaseTags !== undefined ? { releaseTags } : {};
  const reuse = imageReuseTemplate(`${path}/${IMAGE_REUSE_TEMPLATE}`, { tagScheme, fileName: IMAGE_REUSE_TEMPLATE, ...release });
  return [
    reuse,
    imageReuseTemplate(`${path}/${IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE}`, { tagScheme, registry: "gitlab", fileName: IMAGE_REUSE_GITLAB_REGISTRY_TEMPLATE, ...release }),
    ...(deploy && deploy.environments.length > 0
      ? [deployTemplate(`${path}/deploy.yml`, { tagScheme, environments: deploy.environments, workflowRules: reuse.config.workflow?.rules ?? [], ...(deploy.image ? { image: deploy.image } : {}), ...(deploy.jobImage !== undefined ? { jobImage: deploy.jobImage } : {}) })]
      : []),
  ];
}
