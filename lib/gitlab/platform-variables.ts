import { check } from "../core/errors";
import { validateRegion } from "../core/aws";
import { type CiAwsAccess } from "../identity/ci-access";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { validateBuildpackVariableName } from "./buildpack-variables";
import { type CiVariableOptions, validateVariableKey } from "./ci-variable";


/** A container repository as CI needs it: its URL (tokens fine). `ContainerRepository` fits. */
export interface ImageRepositoryRef {
  /** `<registry host>/<name>`. */
  readonly repositoryUrl: string;
}

/**
 * Names of the platform's CI/CD variables. The templates reference exactly
 * these names and {@link platformVariables} defines them, so the two cannot drift.
 */
export const PLATFORM_VARIABLES = {
  /** Registry host jobs log in to, e.g. `<acct>.dkr.ecr.<region>.amazonaws.com`. */
  registryHost: "PLATFORM_REGISTRY_HOST",
  /** AWS region. */
  region: "PLATFORM_AWS_REGION",
  /** Role ARN jobs of the default branch and of release tags assume with their OIDC token. */
  roleArn: "PLATFORM_AWS_ROLE_ARN",
  /**
   * Role ARN jobs of other branches and of merge requests assumed with the older templates.
   * @deprecated the templates read {@link PLATFORM_VARIABLES.unprotectedRoleArn} (and fall back to this one)
   */
  branchRoleArn: "PLATFORM_AWS_BRANCH_ROLE_ARN",
  /** Role ARN of the tenant's unprotected pipelines (merge requests, other branches and tags); an unprotected variable. */
  unprotectedRoleArn: "PLATFORM_AWS_UNPROTECTED_ROLE_ARN",
  /** `protected` or `unprotected`: set per pipeline by the templates' workflow rules. */
  trust: "PLATFORM_TRUST",
  /** The per-commit tag of the pipeline's images, set by the templates' workflow rules. */
  imageTag: "PLATFORM_IMAGE_TAG",
  /** The runner pool's image builder, `docker`, `buildkit-rootless` or `none` (set on the runner: `IMAGE_BUILDER_VARIABLE`). */
  imageBuilder: "PLATFORM_IMAGE_BUILDER",
  /** Audience of the OIDC token (`id_tokens:aud`). */
  audience: "PLATFORM_OIDC_AUDIENCE",
  /** First `registry-mirrors` entry of the mirror (Docker Hub mirror URL). */
  registryMirror: "PLATFORM_REGISTRY_MIRROR",
  /**
   * Runner tag of the jobs of a pipeline's trust level (jobs running the pipeline's images, review jobs):
   * a protected **project** variable of each tenant holds the protected pool's tag, and an
   * unprotected **group** variable of the same name the unprotected pool's tag. GitLab gives
   * project variables precedence over group variables and passes protected variables to
   * protected refs only, so protected pipelines of a tenant get the protected pool's tag and
   * every other pipeline the unprotected pool's.
   */
  runnerTag: "PLATFORM_RUNNER_TAG",
  /** Runner tag of the image build jobs (a runner of the pool with an image builder); set like {@link PLATFORM_VARIABLES.runnerTag}. */
  buildRunnerTag: "PLATFORM_BUILD_RUNNER_TAG",
  /**
   * Repository URL of the toolbox image that build and review jobs run (`:latest` of it): the
   * protected toolbox repository of the tenant that builds the toolbox, the same for every
   * tenant (each tenant's CI roles may pull it, none may push it but the toolbox tenant's protected role).
   */
  toolboxUrl: "PLATFORM_TOOLBOX_URL",
  /** Auto DevOps: the variables the build job forwards into the build. */
  autoDevOpsForwarded: "AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES",
} as const;

/** The variable holding the repository URL of image role `role` (e.g. `app` -> `PLATFORM_APP_IMAGE`). */
export function imageVariable(role: string): string {
  return `PLATFORM_${role.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_IMAGE`;
}

/** The variable holding the unprotected repository URL of image role `role` (e.g. `app` -> `PLATFORM_APP_UNPROTECTED_IMAGE`). */
export function unprotectedImageVariable(role: string): string {
  return `PLATFORM_${role.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_UNPROTECTED_IMAGE`;
}

/** The pipeline variable (set by the templates' workflow rules) holding the repository a pipeline of either trust level uses for image role `role`. */
export function repositoryVariable(role: string): string {
  return `PLATFORM_${role.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_REPOSITORY`;
}

/** The variable holding the mirror's image prefix for an upstream registry host (e.g. `registry.gitlab.com` -> `PLATFORM_MIRROR_PREFIX_REGISTRY_GITLAB_COM`). */
export function mirrorPrefixVariable(upstreamHost: string): string {
  return `PLATFORM_MIRROR_PREFIX_${upstreamHost.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/** A CI variable pointing at a file behind one of the mirror's raw proxies (e.g. `JVM_COMMON_BUILDPACK` → `buildpack-registry` + `buildpacks/heroku/jvm.tgz`). */
export interface RawProxyVariable {
  /** Name of the raw proxy in {@link MirrorEndpoint.rawProxyUrls}, e.g. `lang-common`. */
  readonly proxy: string;
  /**
   * Path appended to the proxy's base URL, without leading slash.
   * @default "" (the base URL itself)
   */
  readonly path?: string;
}

/** Props of {@link platformVariables}. */
export interface PlatformVariablesProps {
  /** OIDC access for jobs of the default branch and of release tags. */
  readonly aws: CiAwsAccess;
  /**
   * OIDC access for jobs of other branches and of merge requests (a role trusted by any branch, with less to push).
   * @default `aws`: those jobs assume the same role
   */
  readonly branchAws?: CiAwsAccess;
  /** Registry host jobs log in to (e.g. `ContainerRepository.registryHost`). */
  readonly registryHost: string;
  /** Repositories by image role (`app`, `ci`, `toolbox` …): one `PLATFORM_<ROLE>_IMAGE` variable each. */
  readonly images: Readonly<Record<string, ImageRepositoryRef>>;
  /**
   * Registry mirror (Nexus host or ECR pull-through).
   * @default none: no mirror variables
   */
  readonly mirror?: MirrorEndpoint;
  /**
   * Variables pointing at files behind the mirror's raw proxies, by variable key.
   * Requires `mirror`.
   * @default none
   */
  readonly rawProxyVariables?: Readonly<Record<string, RawProxyVariable>>;
  /**
   * Build-time variables of buildpacks (names in `BUILDPACK_VARIABLES`, e.g. `JVM_COMMON_BUILDPACK`)
   * pointing at files behind the mirror's raw proxies. They hold no secret, so they are
   * unprotected and scoped `*` whatever `protected` and `environmentScope` say: Auto DevOps'
   * build job has no `environment:` and runs on every branch, so a scoped or protected
   * variable never reaches it. Requires `mirror`.
   * @default none
   * @throws ValidationError for a name no supported buildpack reads
   */
  readonly buildpackVariables?: Readonly<Record<string, RawProxyVariable>>;
  /**
   * Projects use Auto DevOps: also set `AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES` (unprotected,
   * scope `*`) to the buildpack and raw-proxy variable keys, so the build job passes them to the
   * buildpacks (`pack build --env`).
   * @default false
   */
  readonly autoDevOps?: boolean;
  /**
   * Environment scope of every variable.
   * @default "*"
   */
  readonly environmentScope?: string;
  /**
   * Make every variable protected (only protected branches and tags get them).
   * @default false
   */
  readonly protected?: boolean;
  /**
   * The role ARNs, the audience and the image URLs are project variables of each tenant
   * (`tenantVariables`), so the group keeps only what every project shares: registry host,
   * region and the mirror. A group-level image URL would send every project to one repository.
   * @default false
   */
  readonly tenantScoped?: boolean;
}

/**
 * The platform variables the CI templates need, derived from the
 * constructs (repositories, CI role, mirror) rather than typed by hand.
 * None of them is secret, so none is masked.
 *
 * @param path where they are configured (construct or config path), for error messages
 */
export function platformVariables(path: string, props: PlatformVariablesProps): CiVariableOptions[] {
  validateRegion(path, "aws.region", props.aws.region);
  const common = { environmentScope: props.environmentScope ?? "*", protected: props.protected ?? false, raw: true };
  const variable = (key: string, value: string, description: string): CiVariableOptions => ({ key, value, description, ...common });

  const images = Object.entries(props.images).map(([role, repo]) => {
    validateVariableKey(`${path}/images/${role}`, imageVariable(role));
    return variable(imageVariable(role), repo.repositoryUrl, `Repository of the ${role} image`);
  });
  const mirror = props.mirror;
  const rawProxies = Object.entries(props.rawProxyVariables ?? {});
  const buildpacks = Object.entries(props.buildpackVariables ?? {});
  for (const [field, entries] of [["rawProxyVariables", rawProxies], ["buildpackVariables", buildpacks]] as const) {
    check(entries.length === 0 || mirror !== undefined, {
      path,
      subject: field,
      value: entries.map(([key]) => key),
      rule: "raw-proxy variables point into the mirror's raw proxies, so they need a mirror",
      fix: `pass \`mirror\`, or drop \`${field}\``,
    });
  }
  buildpacks.forEach(([key]) => validateBuildpackVariableName(`${path}/buildpackVariables/${key}`, key));
  const rawUrl = (field: string, key: string, ref: RawProxyVariable): string => {
    const where = `${path}/${field}/${key}`;
    validateVariableKey(where, key);
    const base = mirror!.rawProxyUrls[ref.proxy];
    check(base !== undefined, {
      path: where,
      subject: "proxy",
      value: ref.proxy,
      rule: `the mirror has no raw proxy of that name (it has ${Object.keys(mirror!.rawProxyUrls).join(", ") || "none"})`,
      fix: "use one of the mirror's raw proxy names, or add the proxy to the mirror",
    });
    check(ref.path === undefined || !ref.path.startsWith("/"), {
      path: where,
      subject: "path",
      value: ref.path,
      rule: "the path is appended to the proxy's base URL, so it is relative",
      fix: `drop the leading '/': ${JSON.stringify((ref.path ?? "").replace(/^\/+/, ""))}`,
    });
    return ref.path ? new URL(ref.path, base.endsWith("/") ? base : `${base}/`).toString() : base;
  };
  const raw = rawProxies.map(([key, ref]) => variable(key, rawUrl("rawProxyVariables", key, ref), `Raw proxy ${ref.proxy} of the mirror`));
  // Build-time variables reach every job, Auto DevOps' build included: no environment, any branch.
  const unscoped = { environmentScope: "*", protected: false, raw: true };
  const buildpack = buildpacks.map(([key, ref]): CiVariableOptions => ({ key, value: rawUrl("buildpackVariables", key, ref), description: `Buildpack download through the mirror's raw proxy ${ref.proxy}`, ...unscoped }));
  const forwardedKeys = [...buildpack, ...raw].map((v) => v.key);
  const forwarded: CiVariableOptions[] =
    props.autoDevOps && forwardedKeys.length > 0 ? [{ key: PLATFORM_VARIABLES.autoDevOpsForwarded, value: forwardedKeys.join(","), description: "Variables Auto DevOps forwards into the build", ...unscoped }] : [];

  const perTenant = props.tenantScoped ?? false;
  check(!perTenant || images.length === 0, {
    path,
    subject: "images",
    value: Object.keys(props.images),
    rule: "with tenantScoped, image URLs are project variables of each tenant (tenantVariables); a group-level image URL would send every project to one repository",
    fix: "pass images: {} (or drop tenantScoped)",
  });
  const shared = perTenant
    ? []
    : [
        variable(PLATFORM_VARIABLES.roleArn, props.aws.roleArn, "Role default-branch and release-tag jobs assume with their GitLab OIDC token"),
        variable(PLATFORM_VARIABLES.branchRoleArn, (props.branchAws ?? props.aws).roleArn, "Role jobs of other branches and merge requests assume"),
        variable(PLATFORM_VARIABLES.audience, props.aws.audience, "Audience of the GitLab OIDC token"),
        ...images,
      ];
  return [
    variable(PLATFORM_VARIABLES.registryHost, props.registryHost, "Registry host jobs log in to"),
    variable(PLATFORM_VARIABLES.region, props.aws.region, "AWS region"),
    ...shared,
    ...(mirror && mirror.registryMirrors.length > 0 ? [variable(PLATFORM_VARIABLES.registryMirror, mirror.registryMirrors[0]!, "Docker Hub mirror")] : []),
    ...Object.entries(mirror?.imagePrefixes ?? {}).map(([host, prefix]) => variable(mirrorPrefixVariable(host), prefix, `Image prefix serving ${host} through the mirror`)),
    ...raw,
    ...buildpack,
    ...forwarded,
  ];
}
