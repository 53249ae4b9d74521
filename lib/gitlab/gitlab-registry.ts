import { DeployToken } from "@cdktf/provider-gitlab/lib/deploy-token";
import { type ProjectContainerExpirationPolicy } from "@cdktf/provider-gitlab/lib/project";
import { ProjectContainerRepositoryProtection } from "@cdktf/provider-gitlab/lib/project-container-repository-protection";
import { Construct } from "constructs";
import { check, ValidationError } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { selectorRegex } from "../registry/glob";
import { type TagScheme } from "../registry/tag-scheme";
import { type DeployTokenCredentials, READ_REGISTRY_SCOPE } from "./docker-auth-config";
import { type CiTemplate } from "./image-reuse-template";
import { PLATFORM_VARIABLES } from "./platform-variables";

/**
 * The GitLab container registry option, for teams that use GitLab's
 * built-in registry instead of ECR: deploy tokens feeding DOCKER_AUTH_CONFIG,
 * and a cleanup policy derived from the same tag scheme as ECR's lifecycle rules.
 */

/** Deploy-token scopes (GitLab 18.x provider). */
export type DeployTokenScope =
  | "read_repository"
  | "read_registry"
  | "write_registry"
  | "read_virtual_registry"
  | "write_virtual_registry"
  | "read_package_registry"
  | "write_package_registry";

/** Scopes that give access to the container registry. */
export const REGISTRY_SCOPES: readonly DeployTokenScope[] = [READ_REGISTRY_SCOPE, "write_registry"];

/** Props of {@link RegistryDeployToken}. */
export interface RegistryDeployTokenProps {
  /** Project or group (full path or id) the token belongs to. */
  readonly target: { readonly project: string } | { readonly group: string };
  /** Token name shown in GitLab. */
  readonly name: string;
  /** GitLab registry host the token is for, e.g. `registry.gitlab.example.com`. */
  readonly registryHost: string;
  /**
   * Scopes; at least one registry scope.
   * @default ["read_registry"]
   */
  readonly scopes?: readonly DeployTokenScope[];
  /**
   * Expiry, RFC 3339.
   * @default never expires
   */
  readonly expiresAt?: string;
  /**
   * User name.
   * @default GitLab's `gitlab+deploy-token-<n>`
   */
  readonly username?: string;
}

/**
 * A GitLab deploy token for the container registry (`gitlab_deploy_token`).
 * Its value is a resource attribute (in Terraform state, never in the
 * synthesized JSON); pass the token to {@link DockerAuthConfig} `deployTokens`.
 *
 * Construct ids: `token`.
 */
export class RegistryDeployToken extends Construct implements DeployTokenCredentials {
  /** The `gitlab_deploy_token`. */
  public readonly resource: DeployToken;
  /** Registry host. */
  public readonly registry: string;
  /** Scopes. */
  public readonly scopes: readonly DeployTokenScope[];

  public constructor(scope: Construct, id: string, props: RegistryDeployTokenProps) {
    super(scope, id);
    this.scopes = props.scopes ?? [READ_REGISTRY_SCOPE];
    check(this.scopes.some((s) => REGISTRY_SCOPES.includes(s)), {
      path: this.node.path,
      subject: "scopes",
      value: this.scopes,
      rule: "a registry deploy token needs read_registry (pull) or write_registry (push)",
      fix: 'use scopes ["read_registry"] for pulling job images',
    });
    this.registry = props.registryHost;
    this.resource = new DeployToken(this, "token", {
      name: props.name,
      scopes: [...this.scopes],
      ...("project" in props.target ? { project: props.target.project } : { group: props.target.group }),
      ...(props.expiresAt ? { expiresAt: props.expiresAt } : {}),
      ...(props.username ? { username: props.username } : {}),
    });
  }

  /** The token's user name. */
  public get username(): string {
    return this.resource.username;
  }

  /** The token (sensitive attribute). */
  public get password(): string {
    return this.resource.token;
  }
}

/** Cleanup cadences GitLab accepts. */
export type CleanupCadence = "1d" | "7d" | "14d" | "1month" | "3month";
/** `keep_n` values GitLab accepts. */
export const CLEANUP_KEEP_N = [1, 5, 10, 25, 50, 100] as const;
/** `older_than` values GitLab accepts, in days (`ContainerExpirationPolicy.older_than_options`; 60d was added in 2021). */
export const CLEANUP_OLDER_THAN_DAYS = [7, 14, 30, 60, 90] as const;

/** Options of {@link cleanupPolicyFromTagScheme}. */
export interface CleanupPolicyOptions {
  /**
   * How often the policy runs.
   * @default "1d"
   */
  readonly cadence?: CleanupCadence;
  /**
   * Newest tags kept per image name whatever they match.
   * @default 10
   */
  readonly keepN?: (typeof CLEANUP_KEEP_N)[number];
  /**
   * Enable the policy.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * GitLab's container registry cleanup policy derived from a tag scheme:
 * - `name_regex_keep`: the protected kinds' selectors as a regex (GitLab
 *   anchors it with `\A` and `\Z` itself; keep wins over delete, and
 *   `latest` is always kept);
 * - `name_regex_delete`: the kinds retained by age;
 * - `older_than`: the smallest value GitLab offers that is at least the longest
 *   of those ages, so no tag is deleted earlier than the scheme promises.
 *
 * Kinds retained by count (`commit`, "keep the newest 100") are neither kept
 * nor deleted by name: GitLab's `keep_n` counts all tags of an image, so it
 * cannot keep the newest N of one kind. They are left out of the delete
 * regex, so GitLab keeps them (ECR expires them by count).
 *
 * @param path where the policy is configured, for error messages
 */
export function cleanupPolicyFromTagScheme(path: string, scheme: TagScheme, options: CleanupPolicyOptions = {}): ProjectContainerExpirationPolicy {
  const byAge = scheme.retainedKinds.flatMap((k) => (k.retention && "maxAgeDays" in k.retention ? [{ kind: k, days: k.retention.maxAgeDays }] : []));
  check(byAge.length > 0, {
    path,
    subject: "tag scheme",
    value: scheme.kinds.map((k) => k.name),
    rule: "GitLab's cleanup policy deletes by age, but no tag kind of the scheme is retained by age",
    fix: "give a kind such as pipeline or mergeRequest a { maxAgeDays } retention, or do not enable the cleanup policy",
  });
  const longest = Math.max(...byAge.map((a) => a.days));
  const olderThan = CLEANUP_OLDER_THAN_DAYS.find((d) => d >= longest);
  if (olderThan === undefined) {
    throw new ValidationError({
      path,
      subject: "tag retention",
      value: byAge.map((a) => `${a.kind.name}: ${a.days} days`),
      rule: `GitLab's cleanup policy offers older_than up to ${CLEANUP_OLDER_THAN_DAYS.at(-1)} days, so it cannot keep tags for ${longest} days before deleting them`,
      fix: `lower the maxAgeDays of the tag kinds to at most ${CLEANUP_OLDER_THAN_DAYS.at(-1)}`,
    });
  }
  const alternation = (regexes: readonly string[]) => regexes.map((r) => `(?:${r})`).join("|");
  const keep = scheme.protectedKinds.map((k) => selectorRegex(k.selector));
  return {
    enabled: options.enabled ?? true,
    cadence: options.cadence ?? "1d",
    keepN: options.keepN ?? 10,
    olderThan: `${olderThan}d`,
    nameRegexDelete: alternation(byAge.map((a) => selectorRegex(a.kind.selector))),
    ...(keep.length > 0 ? { nameRegexKeep: alternation(keep) } : {}),
  };
}

/**
 * The repositories of the project's GitLab registry that a generated template's
 * protected pipelines push and run: the `$CI_REGISTRY_IMAGE/<name>` values its
 * protected `workflow:rules` give the image variables (read from the template
 * itself, so protection rules follow the images it builds). Empty for an ECR template.
 */
export function protectedRegistryRepositoriesOf(template: CiTemplate): string[] {
  const prefix = "$CI_REGISTRY_IMAGE/";
  const names = (template.config.workflow?.rules ?? [])
    .filter((rule) => rule.variables?.[PLATFORM_VARIABLES.trust] === "protected")
    .flatMap((rule) => Object.values(rule.variables ?? {}))
    .filter((value): value is string => typeof value === "string" && value.startsWith(prefix))
    .map((value) => value.slice(prefix.length));
  return [...new Set(names)];
}

/** Roles GitLab accepts as the minimum to push to a protected container repository. */
export const CONTAINER_PUSH_ACCESS_LEVELS = ["maintainer", "owner", "admin"] as const;
/** A minimum role to push to a protected container repository. */
export type ContainerPushAccessLevel = (typeof CONTAINER_PUSH_ACCESS_LEVELS)[number];

/** Props of {@link ProtectedContainerRepositories}. */
export interface ProtectedContainerRepositoriesProps {
  /** Full path of the project, e.g. `acme/app` (its registry's repositories are `<path>/<name>`). */
  readonly projectPath: string;
  /**
   * The project as the provider's `project` argument (id or full path), e.g. a `gitlab_project` data source's `id`.
   * @default `projectPath`
   */
  readonly project?: string;
  /**
   * Repository names under the project's registry path that protected pipelines push and run,
   * e.g. `["app", "ci"]` for `$CI_REGISTRY_IMAGE/app` and `$CI_REGISTRY_IMAGE/ci`. Names may hold
   * `*` (GitLab's wildcard). Never list what unprotected pipelines push (`unprotected/...`).
   */
  readonly repositories: readonly string[];
  /**
   * The minimum role that may push to them.
   * @default "maintainer"
   */
  readonly minimumAccessLevelForPush?: ContainerPushAccessLevel;
}

/** Repository names: lower-case path segments of the GitLab registry, `*` allowed. */
const REPOSITORY_NAME = /^[a-z0-9*]+(?:[._-][a-z0-9*]+)*(?:\/[a-z0-9*]+(?:[._-][a-z0-9*]+)*)*$/;

/**
 * Protected container repositories for the GitLab-registry variant of the
 * image-reuse pipeline: one `gitlab_project_container_repository_protection`
 * per repository that protected pipelines push and run, so that only
 * Maintainers (by default) can push there. A CI job authenticates to the
 * registry with its job token, which acts as the user who runs the pipeline:
 * GitLab checks that user's role in the project against the matching rules
 * (`Auth::ContainerRegistryAuthenticationService#repository_path_push_protected?`),
 * so a merge request or branch pipeline run by a Developer can no longer push
 * an image a protected pipeline then reuses. A pipeline run by a Maintainer
 * still can, whatever its ref: the role, not the ref, decides (the ECR
 * variant decides by ref, through the ID token's `sub`).
 *
 * Needs GitLab 17.8 or later (protected container repositories generally
 * available, feature flag `container_registry_protected_containers` removed;
 * experiment since 16.7) and provider gitlabhq/gitlab 18.6.1
 * (`project_container_repository_protection`: `project`,
 * `repository_path_pattern`, `minimum_access_level_for_push` =
 * maintainer | owner | admin). Delete protection is left to GitLab's
 * default: its `minimum_access_level_for_delete` sits behind the
 * `container_registry_protected_containers_delete` feature flag.
 *
 * Construct ids: `repository-<n>` in `repositories` order.
 */
export class ProtectedContainerRepositories extends Construct {
  /** The protection rules, in `repositories` order. */
  public readonly rules: readonly ProjectContainerRepositoryProtection[];
  /** The protected repository path patterns (`<project path>/<name>`, lower case). */
  public readonly pathPatterns: readonly string[];

  /**
   * @throws ValidationError for an unknown access level, an empty list, or a repository name GitLab's registry cannot hold
   */
  public constructor(scope: Construct, id: string, props: ProtectedContainerRepositoriesProps) {
    super(scope, id);
    const level = props.minimumAccessLevelForPush ?? "maintainer";
    check((CONTAINER_PUSH_ACCESS_LEVELS as readonly string[]).includes(level), {
      path: `${this.node.path}/minimumAccessLevelForPush`,
      subject: "minimum access level for push",
      value: level,
      rule: `GitLab's container repository protection accepts ${CONTAINER_PUSH_ACCESS_LEVELS.join(" | ")}`,
      fix: 'use "maintainer"',
    });
    check(props.repositories.length > 0, {
      path: `${this.node.path}/repositories`,
      subject: "repositories",
      value: props.repositories,
      rule: "at least one repository is protected",
      fix: 'list the repositories protected pipelines push, e.g. ["app"]',
    });
    props.repositories.forEach((name, i) =>
      check(isUnresolved(name) || (REPOSITORY_NAME.test(name) && !name.split("/").includes("unprotected")), {
        path: `${this.node.path}/repositories[${i}]`,
        subject: "repository name",
        value: name,
        rule: "a protected repository is a lower-case registry path under the project (letters, digits, '.', '_', '-', '/', '*'), never the unprotected pipelines' unprotected/ namespace",
        fix: "use the image name the template pushes, e.g. app",
      }),
    );
    const base = isUnresolved(props.projectPath) ? props.projectPath : props.projectPath.toLowerCase();
    this.pathPatterns = props.repositories.map((name) => `${base}/${name}`);
    this.rules = this.pathPatterns.map(
      (pattern, n) =>
        new ProjectContainerRepositoryProtection(this, `repository-${n}`, {
          project: props.project ?? props.projectPath,
          repositoryPathPattern: pattern,
          minimumAccessLevelForPush: level,
        }),
    );
  }
}
