import { type Project } from "@cdktf/provider-gitlab/lib/project";
import { type RepositoryFile } from "@cdktf/provider-gitlab/lib/repository-file";
import { Construct } from "constructs";
import { check } from "../core/errors";
import { type TagScheme } from "../registry/tag-scheme";
import { managedProject, publishFile } from "./ci-templates-project";
import { type CleanupPolicyOptions, cleanupPolicyFromTagScheme } from "./gitlab-registry";
import { renderCiYaml } from "./ci-yaml";
import { type CiTemplate, DOCKER_CLI_IMAGE, imageReuseTemplate, type TemplateRegistry } from "./image-reuse-template";
import { TOOLBOX_TAG_PLAN } from "./image-reuse-plan";
import { imageVariable } from "./platform-variables";
import { type ToolboxPromotionEnvironment, toolboxPromotionJobs } from "./deploy-toolbox";

/**
 * The default toolbox Dockerfile: terraform, the AWS CLI and the docker CLI
 * (with buildx), each from a version-pinned official image. Build jobs of the
 * image-reuse template run in this image (ECR login needs the AWS CLI,
 * builds need docker), deploy jobs use terraform.
 */
export const DEFAULT_TOOLBOX_DOCKERFILE = [
  "# syntax=docker/dockerfile:1",
  "# Toolbox image: terraform, AWS CLI and docker CLI, pinned by version.",
  "FROM hashicorp/terraform:1.9.8 AS terraform",
  `FROM ${DOCKER_CLI_IMAGE} AS docker`,
  "FROM amazon/aws-cli:2.17.0",
  "COPY --from=terraform /bin/terraform /usr/local/bin/terraform",
  "COPY --from=docker /usr/local/bin/docker /usr/local/bin/docker",
  "COPY --from=docker /usr/local/libexec/docker/cli-plugins/docker-buildx /usr/local/libexec/docker/cli-plugins/docker-buildx",
  "# GitLab runs job scripts through a shell: no aws entrypoint.",
  "ENTRYPOINT []",
  'CMD ["/bin/bash"]',
  "",
].join("\n");

/** Commands that make the bare docker CLI image able to log in to ECR (bootstrap: the toolbox cannot build itself). */
export const BOOTSTRAP_BUILDER_SETUP: readonly string[] = ["apk add --no-cache aws-cli"];

/** Props of {@link ToolboxImageProject}. */
export interface ToolboxImageProjectProps {
  /** Numeric id of the group the project is created in (tokens fine). */
  readonly namespaceId: number;
  /** Project path (last URL segment), e.g. `toolbox`. */
  readonly path: string;
  /** The tag scheme the pushed tags come from (the `pipeline` and `latest` kinds; `mergeRequest` for MR builds). */
  readonly tagScheme: TagScheme;
  /**
   * Dockerfile content.
   * @default {@link DEFAULT_TOOLBOX_DOCKERFILE}
   */
  readonly dockerfile?: string;
  /**
   * Registry the image is pushed to: ECR (`$PLATFORM_TOOLBOX_IMAGE`, OIDC role) or the project's GitLab registry.
   * @default "ecr"
   */
  readonly registry?: TemplateRegistry;
  /**
   * Cleanup policy of the project's GitLab registry (only with `registry: "gitlab"`).
   * @default derived from the tag scheme with GitLab's defaults
   */
  readonly cleanupPolicy?: CleanupPolicyOptions;
  /**
   * Runner tags of the build job, instead of the platform's tag variables (`[]`: untagged).
   * @default `[$PLATFORM_BUILD_RUNNER_TAG]`, set by the platform per trust level
   */
  readonly runnerTags?: readonly string[];
  /**
   * Default branch.
   * @default "main"
   */
  readonly branch?: string;
  /**
   * The environments that deploy (the deploy template's, in promotion order): the CI file copies
   * the toolbox image by digest into each (`promote-toolbox-<environment>`, see
   * `toolboxPromotionJobs`), where the deploy jobs run it. Only with `registry: "ecr"`.
   * @default none
   */
  readonly promoteTo?: readonly ToolboxPromotionEnvironment[];
  /**
   * Project visibility.
   * @default "private"
   */
  readonly visibility?: "private" | "internal" | "public";
}

/**
 * A GitLab project that builds the toolbox image: a Dockerfile
 * (yours, or a pinned default with terraform and the AWS CLI) and a CI file
 * that builds it with `--cache-from` and pushes it to its registry, tagged
 * with the scheme's pipeline kind and `latest` on the default branch (and
 * the merge-request kind in merge requests). With the GitLab registry the
 * project gets a cleanup policy derived from the same tag scheme.
 *
 * Construct ids: `project`, `dockerfile`, `ci-file`.
 */
export class ToolboxImageProject extends Construct {
  /** The `gitlab_project`. */
  public readonly project: Project;
  /** The generated CI file. */
  public readonly ciFile: CiTemplate;
  /** The committed files. */
  public readonly files: readonly RepositoryFile[];
  /** The project's default branch, where the Dockerfile and CI file are committed. */
  public readonly branch: string;

  public constructor(scope: Construct, id: string, props: ToolboxImageProjectProps) {
    super(scope, id);
    const path = this.node.path;
    const registry = props.registry ?? "ecr";
    const branch = props.branch ?? "main";
    this.branch = branch;
    check(props.cleanupPolicy === undefined || registry === "gitlab", {
      path,
      subject: "cleanupPolicy",
      value: props.cleanupPolicy,
      rule: "the cleanup policy applies to the GitLab registry; ECR repositories expire images by their lifecycle policy",
      fix: 'drop cleanupPolicy, or set registry: "gitlab"',
    });
    this.ciFile = toolboxCiFile(path, props.tagScheme, registry, props.runnerTags, props.promoteTo);
    this.project = managedProject(this, "project", {
      path: props.path,
      namespaceId: props.namespaceId,
      description: "Toolbox image (terraform, AWS CLI, docker CLI) for CI jobs; CI file managed by Terraform",
      visibilityLevel: props.visibility ?? "private",
      defaultBranch: branch,
      containerRegistryAccessLevel: registry === "gitlab" ? "private" : "disabled",
      ...(registry === "gitlab" ? { containerExpirationPolicy: cleanupPolicyFromTagScheme(`${path}/cleanupPolicy`, props.tagScheme, props.cleanupPolicy) } : {}),
    });
    this.files = [
      publishFile(this, "dockerfile", { project: this.project.id, branch, filePath: "Dockerfile", content: props.dockerfile ?? DEFAULT_TOOLBOX_DOCKERFILE }),
      publishFile(this, "ci-file", { project: this.project.id, branch, filePath: ".gitlab-ci.yml", content: this.ciFile.content }),
    ];
  }
}

/**
 * The toolbox project's CI file: one image, rebuilt when the Dockerfile or
 * the CI file changes (its inputs hash), with a bootstrap builder (the bare docker CLI image,
 * plus the AWS CLI for ECR) because the toolbox cannot build itself; with `promoteTo`, the
 * jobs that copy it by digest into the deploying environments (`toolboxPromotionJobs`).
 * @throws ValidationError for `promoteTo` with the GitLab registry (deploy jobs run the ECR toolbox)
 */
export function toolboxCiFile(path: string, tagScheme: TagScheme, registry: TemplateRegistry = "ecr", runnerTags?: readonly string[], promoteTo?: readonly ToolboxPromotionEnvironment[]): CiTemplate {
  const file = imageReuseTemplate(path, {
    tagScheme,
    registry,
    images: [
      {
        name: "toolbox",
        repository: registry === "ecr" ? `$${imageVariable("toolbox")}` : "$CI_REGISTRY_IMAGE",
        ...(registry === "gitlab" ? { unprotectedRepository: "$CI_REGISTRY_IMAGE/unprotected" } : {}),
        changes: [".gitlab-ci.yml"],
      },
    ],
    tags: TOOLBOX_TAG_PLAN,
    builderImage: DOCKER_CLI_IMAGE,
    builderSetup: registry === "ecr" ? BOOTSTRAP_BUILDER_SETUP : [],
    ...(runnerTags ? { runnerTags } : {}),
    fileName: ".gitlab-ci.yml",
  });
  if (promoteTo === undefined || promoteTo.length === 0) return file;
  check(registry === "ecr", {
    path: `${path}/promoteTo`,
    subject: "promoteTo",
    value: promoteTo.map((e) => e.name),
    rule: "the deploy jobs run the toolbox image from each environment's ECR toolbox repository; a toolbox in the GitLab registry is not promoted",
    fix: 'use registry: "ecr", or leave promoteTo unset',
  });
  const promotion = toolboxPromotionJobs(path, { tagScheme, environments: promoteTo, setup: BOOTSTRAP_BUILDER_SETUP });
  const config = { ...file.config, stages: [...(file.config.stages ?? []), ...promotion.stages], jobs: { ...file.config.jobs, ...promotion.jobs } };
  return {
    ...file,
    config,
    content: renderCiYaml(config, [
      ...headerOf(file.content),
      `Then the image is promoted by digest to ${promoteTo.filter((e) => e.promoteFrom !== undefined).map((e) => e.name).join(", ")}, where deploy jobs run it.`,
    ]),
  };
}

/** The leading comment lines of a rendered CI file, without their `# `. */
function headerOf(content: string): string[] {
  const lines = content.split("\n");
  const end = lines.findIndex((l) => !l.startsWith("#"));
  return lines.slice(0, end < 0 ? lines.length : end).map((l) => l.replace(/^# ?/, ""));
}
