/*
 * Promotion and deployment across environments: which environment an image
 * moves to next (by digest), where it is copied from, and the checks that span
 * environments (promotion sources, one deploy template per GitLab instance).
 * Pure functions of the configuration, like tenancy.ts: the constructs, the
 * variables and the deploy template derive every name from here and from
 * deploy-config.ts (one environment's deploy section).
 */
import { isWellFormedRegion, mayBeAccount, partitionOf } from "../core/aws";
import { check } from "../core/errors";
import { type EnvironmentConfig, imageRolesOf, isTopLevelGroupPath, type PlatformInfo } from "./config";
import { deployedImageOf } from "./deploy-config";
import { registryHostOf, type Tenant, tenantRepositoryName, tenantsOf } from "./tenancy";
import { hasRepository, toolboxBuilderOf } from "./toolbox-source";

export { type DeployConfig, type PromotionConfig } from "./promotion-config";
/** The deploy section of one environment (deploy-config.ts), re-exported where it was first defined. */
export {
  type DeployRoute,
  deployedImageOf,
  deployRouteOf,
  lastGoodDigestParameterArn,
  lastGoodDigestParameterName,
  protectsDeployEnvironment,
  recordsLastGoodDigest,
  rollsBack,
  validateDeployConfig,
} from "./deploy-config";

/**
 * The name of the environment an environment's images are promoted from.
 * @param environments every environment of the configuration, in order
 * @returns undefined when the environment has no `promotion` (it builds its own images)
 */
export function promotionSourceName(
  environments: readonly Pick<EnvironmentConfig, "name" | "promotion">[],
  env: Pick<EnvironmentConfig, "name" | "promotion">,
): string | undefined {
  if (env.promotion === undefined) return undefined;
  if (env.promotion.from !== undefined) return env.promotion.from;
  const index = environments.findIndex((e) => e.name === env.name);
  return index > 0 ? environments[index - 1]!.name : undefined;
}

/** The protected repository URL a tenant's image role is promoted from, in the source environment. */
export function promotionSourceUrl(source: EnvironmentConfig, tenant: Tenant, repositoryId: string): string {
  const own = tenantsOf(source).find((t) => t.path === tenant.path) ?? tenant;
  return `${registryHostOf(source)}/${tenantRepositoryName(source, own, repositoryId, "protected")}`;
}

/** The ARN of that repository. */
export function promotionSourceArn(source: EnvironmentConfig, tenant: Tenant, repositoryId: string): string {
  const own = tenantsOf(source).find((t) => t.path === tenant.path) ?? tenant;
  return `arn:${partitionOf(source.region)}:ecr:${source.region}:${source.accountId}:repository/${tenantRepositoryName(source, own, repositoryId, "protected")}`;
}

/** The environments and accounts {@link validatePromotion} reads (`PlatformConfig` fits). */
export interface PromotionConfigView extends PlatformInfo {
  readonly accounts: readonly {
    readonly accountId: string;
    readonly region: string;
  }[];
  readonly environments: readonly EnvironmentConfig[];
}

/**
 * The checks of every environment's `promotion` that span environments: the source exists,
 * comes earlier (no cycles), is on the same GitLab instance and in the same partition, has an
 * account stack like the target (both accounts need grants), lists every tenant of the target
 * with the repositories the target promotes (else there is nothing to pull and no role to
 * pull with), and records its deployments if the target deploys a promoted image.
 * @param each runs the checks of one environment (default: at once); a caller collecting every
 *   problem passes its section wrapper, so that one environment's broken field (a missing
 *   `gitlab.url`) stops the checks of that environment only
 * @throws ValidationError naming `config/environments[i]/promotion`
 */
export function validatePromotion(config: PromotionConfigView, each: (body: () => void) => void = (body) => body()): void {
  const images = new Map<string, { image: string; index: number }>();
  config.environments.forEach((env, i) => each(() => {
    if (env.deploy === undefined) return;
    const first = images.get(env.gitlab.url);
    check(first === undefined || first.image === deployedImageOf(env), {
      path: `config/environments[${i}]/deploy/image`,
      subject: "image role",
      value: deployedImageOf(env),
      rule: `the published deploy template deploys one image role per GitLab instance, and environments[${first?.index}] deploys ${first?.image}`,
      fix: "deploy the same image role in every environment of the instance",
    });
    // Only a well-formed role is compared with (one of another type is reported at its own field).
    if (!first && typeof deployedImageOf(env) === "string") images.set(env.gitlab.url, { image: deployedImageOf(env), index: i });
  }));
  validateDeployJobImages(config, each);
  config.environments.forEach((env, i) => each(() => {
    if (env.promotion === undefined) return;
    const at = `config/environments[${i}]/promotion`;
    const name = promotionSourceName(config.environments, env);
    if (name === undefined) {
      check(false, {
        path: at,
        subject: "promotion source",
        value: env.promotion,
        rule: "the first environment has no environment before it to promote from",
        fix: 'name the source with promotion: { from: "<environment>" }, or remove promotion from the first environment (it builds its images)',
      });
      return;
    }
    const index = config.environments.findIndex((e) => e.name === name);
    const names = config.environments.map((e) => e.name);
    if (index < 0 || index >= i) {
      check(false, {
        path: `${at}/from`,
        subject: "promotion source",
        value: name,
        rule: `images are promoted from an environment listed before this one (${names.slice(0, i).join(", ") || "none"}), so promotion never forms a cycle`,
        fix: "name an earlier environment, or reorder the environments (build environment first)",
      });
      return;
    }
    const source = config.environments[index]!;
    // A malformed region is reported at its own field, not again as a mismatch here.
    const regions = isWellFormedRegion(source.region) && isWellFormedRegion(env.region);
    check(!regions || partitionOf(source.region) === partitionOf(env.region), {
      path: `${at}/from`,
      subject: "promotion source",
      value: name,
      rule: `IAM grants do not cross AWS partitions (${partitionOf(source.region)} vs ${partitionOf(env.region)}), so the target's role cannot pull the source's images`,
      fix: "promote between environments of one partition, and copy across partitions with credentials of both",
    });
    check(!regions || partitionOf(source.region) !== partitionOf(env.region) || source.region === env.region, {
      path: `${at}/from`,
      subject: "promotion source",
      value: name,
      rule: `the promote job looks the image up and pulls it with the target's region (${env.region}), and the source's registry is in ${source.region}: the lookup would report the image missing`,
      fix: "promote between environments of one region (cross-region promotion is not supported yet), or give the environments one region",
    });
    for (const [e, at] of [[source, index], [env, i]] as const) {
      check(
        // An entry whose id or region is malformed may be it once fixed (its own check reports it).
        config.accounts.some((a) => mayBeAccount(a, e)),
        {
          // At the environment's own fields, as the configuration's account-stack check reports the
          // same missing entry: one line per environment, not one more per promotion that reads it.
          path: `config/environments[${at}]`,
          subject: "account and region",
          value: `${e.accountId}/${e.region}`,
          rule: `promotion from ${source.name} to ${env.name} needs grants in both accounts (the source repository's policy, the target role's identity policy), and ${e === source ? "the source" : "the target"} account ${e.accountId} in ${e.region} has no entry in config.accounts`,
          fix: `add { name: "...", accountId: "${e.accountId}", region: "${e.region}" } to config.accounts`,
        },
      );
    }
    const sourceTenants = tenantsOf(source);
    const image = env.gitlab.imageRoles ?? undefined;
    const promoted = Object.entries(imageRolesOf(env)).filter(([role]) => image === undefined || image[role] !== undefined);
    tenantsOf(env, `config/environments[${i}]`).forEach((tenant) => {
      const from = sourceTenants.find((t) => t.path === tenant.path);
      if (from === undefined) {
        check(false, {
          path: tenant.configPath,
          subject: "promoted project",
          value: tenant.path,
          rule: `${env.name} promotes ${tenant.path}'s images from ${source.name}, which does not list the project: there is no source repository, and no role of ${source.name} grants ${env.name}'s protected role pull`,
          fix: `add ${tenant.path} to ${source.name}'s gitlab.projects, or promote this environment from one that lists it`,
        });
        return;
      }
      const ids = new Set(from.repositories.map((r) => r.id));
      const own = new Set(tenant.repositories.map((r) => r.id));
      for (const [role, id] of promoted) {
        if (!own.has(id)) continue;
        check(ids.has(id), {
          path: tenant.configPath,
          subject: "promoted repository",
          value: `${tenant.path} ${role} (${id})`,
          rule: `${env.name} promotes the ${role} image of ${tenant.path} from ${source.name}, which has no repository ${id} for the project`,
          fix: `give ${tenant.path} the repository ${id} in ${source.name}, or drop it from this environment`,
        });
      }
    });
    // Last, after the checks that need no GitLab URL: a missing url (its shape line) leaves them standing.
    // A malformed group is reported at its own field, not again as a mismatch here.
    const groups = !isTopLevelGroupPath(source.gitlab.group) || !isTopLevelGroupPath(env.gitlab.group) || source.gitlab.group === env.gitlab.group;
    check(instanceOf(source.gitlab.url) === instanceOf(env.gitlab.url) && groups, {
      path: `${at}/from`,
      subject: "promotion source",
      value: name,
      rule: `a promotion copies a project's own images, so both environments serve the same GitLab group (${source.gitlab.url}/${source.gitlab.group} vs ${env.gitlab.url}/${env.gitlab.group})`,
      fix: "promote between environments of one GitLab group",
    });
  }));
}

/**
 * The GitLab instance a URL names, by host, for grouping environments: a malformed URL
 * (`http://`, a port, credentials, a path, query or trailing slash, upper case) is reported by the
 * URL check alone, not again by every check that groups environments by instance (an environment
 * split off its instance would find no toolbox project there).
 */
function instanceOf(url: string): string {
  const authority = url.replace(/^[a-z]+:\/\//i, "").split(/[/?#]/, 1)[0] ?? "";
  return authority
    .replace(/^[^@]*@/, "")
    .replace(/:\d*$/, "")
    .toLowerCase();
}

/**
 * The image deploy jobs run must be filled: without `deploy.jobImage` they run
 * `$PLATFORM_TOOLBOX_URL:latest` of their environment, which only the toolbox project's CI file
 * fills (it promotes its image into every deploying environment and moves `latest` there). So a
 * deploying environment must list the toolbox project (`gitlab.toolboxProject` of an environment
 * of the same GitLab instance) with the `toolbox` image role's repository; otherwise every deploy
 * would fail at image pull. A configuration without any toolbox project is refused too (nothing
 * would fill the image at all); an operator who maintains the deploy jobs' image outside the
 * platform says so explicitly with `deploy.jobImage`. Deploying environments of one instance
 * share one template, so their `jobImage` must agree.
 * @param each runs the checks of one environment (default: at once), as in {@link validatePromotion}
 * @throws ValidationError naming `config/environments[i]/deploy/jobImage`
 */
export function validateDeployJobImages(config: Pick<PromotionConfigView, "environments">, each: (body: () => void) => void = (body) => body()): void {
  const first = new Map<string, { jobImage: string | undefined; index: number }>();
  config.environments.forEach((env, i) => each(() => {
    if (env?.deploy === undefined || env.gitlab === undefined) return;
    const at = `config/environments[${i}]/deploy/jobImage`;
    const jobImage = env.deploy.jobImage;
    const seen = first.get(instanceOf(env.gitlab.url));
    check(seen === undefined || seen.jobImage === jobImage, {
      path: at,
      subject: "deploy job image",
      value: jobImage,
      rule: `the published deploy template runs one job image per GitLab instance, and environments[${seen?.index}] sets ${JSON.stringify(seen?.jobImage)}`,
      fix: "set the same deploy.jobImage (or none) in every deploying environment of the instance",
    });
    check(jobImage === undefined || (typeof jobImage === "string" && jobImage.trim() !== "" && !jobImage.includes("$")), {
      path: at,
      subject: "deploy job image",
      value: jobImage,
      rule: "an image reference (a non-empty string without CI/CD variables): an empty one would leave deploy jobs on the toolbox image the option exists to replace, and a variable would let a pipeline variable choose the image that runs with the deployment role",
      fix: "name the image deploy jobs run (e.g. registry.example.com/tools/deploy:1.4), or leave deploy.jobImage unset to run the toolbox image",
    });
    // Only a job image of its type is compared with (one of another type is reported at its own field).
    if (!seen && (jobImage === undefined || typeof jobImage === "string")) first.set(instanceOf(env.gitlab.url), { jobImage, index: i });
    if (jobImage !== undefined) return;
    // The toolbox project of this GitLab instance only: the stacks fill the image from the toolbox project of the same instance.
    const declaring = config.environments.find((e) => typeof e?.gitlab?.url === "string" && instanceOf(e.gitlab.url) === instanceOf(env.gitlab!.url) && e.gitlab.toolboxProject);
    const toolboxProject = declaring?.gitlab?.toolboxProject?.path;
    const repositoryId = imageRolesOf(env).toolbox;
    const builder = toolboxBuilderOf(env, toolboxProject);
    const fills = builder !== undefined && hasRepository(builder, repositoryId);
    check(fills, {
      path: at,
      subject: "deploy job image",
      value: { jobImage: "$PLATFORM_TOOLBOX_URL:latest", toolboxProject: toolboxProject ?? null, toolboxRepository: repositoryId ?? null },
      rule:
        toolboxProject === undefined
          ? "deploy jobs run the toolbox image the toolbox project promotes into the environment, and no environment of this GitLab instance declares gitlab.toolboxProject: nothing fills it, so every deploy would fail at image pull"
          : builder === undefined
            ? `deploy jobs run the toolbox image the toolbox project promotes into the environment, and ${toolboxProject} is not one of ${env.name}'s gitlab.projects: nothing fills it there, so every deploy would fail at image pull`
            : `deploy jobs run the toolbox image ${toolboxProject} promotes into its ${repositoryId ?? "toolbox"} repository, and ${env.name} gives it no such repository (gitlab.imageRoles.toolbox ${repositoryId === undefined ? "is unset" : `names ${repositoryId}`}): nothing fills it there`,
      fix:
        toolboxProject === undefined
          ? `declare the toolbox project (gitlab.toolboxProject, e.g. { path: "${env.gitlab.group}/toolbox" } in the environment that creates the shared GitLab pieces) and list it with its toolbox repository in ${env.name}'s gitlab.projects, or set deploy.jobImage to an image you maintain with sh, the AWS CLI and docker buildx (the explicit choice of an image the platform does not fill)`
          : `list ${toolboxProject} with its toolbox repository in ${env.name}'s gitlab.projects (and declare gitlab.toolboxProject), or set deploy.jobImage to an image with sh, the AWS CLI and docker buildx`,
    });
  }));
}
