import { ProjectProtectedEnvironment } from "@cdktf/provider-gitlab/lib/project-protected-environment";
import { Construct } from "constructs";
import { check } from "../core/errors";

/**
 * Who may run the deploy jobs of a protected environment (GitLab's deploy access levels of the
 * protected environments API: 30 Developer, 40 Maintainer; the Terraform provider takes
 * `developer` or `maintainer`).
 */
export const DEPLOY_ACCESS_LEVELS = ["maintainer", "developer"] as const;

/** See {@link DEPLOY_ACCESS_LEVELS}. */
export type DeployAccessLevel = (typeof DEPLOY_ACCESS_LEVELS)[number];

/** Props of {@link ProtectedDeployEnvironments}. */
export interface ProtectedDeployEnvironmentsProps {
  /** The GitLab environment the deploy jobs name (`environment: <name>`), e.g. `production`. */
  readonly environment: string;
  /** The projects whose environment of that name is protected (full paths; tokens fine). */
  readonly projects: readonly { readonly path: string; readonly name: string }[];
  /**
   * Who may deploy: GitLab runs a job with `environment: <name>` only for a user with this role or above.
   * @default "maintainer"
   */
  readonly deployAccess?: DeployAccessLevel;
}

/**
 * GitLab protected environments (Premium and Ultimate: GitLab docs, "Protected environments")
 * for the deploy jobs of one environment: per project a `gitlab_project_protected_environment`
 * with `deploy_access_levels_attribute = [{ access_level = <deployAccess> }]` (the nested
 * attribute of the GitLab provider; its older `deploy_access_levels` block is deprecated,
 * terraform-provider-gitlab!2472 and !2762). With it, GitLab runs a deploy job of the environment
 * only for a user with that role (GitLab docs, "Protected environments": "only users with the
 * appropriate privileges can deploy"), on top of what the platform enforces on every tier
 * (protected refs, protected variables, the protected role's trust, a runner taking protected
 * refs only). The protection is by environment name (the API's `name`); it was not tried on a
 * GitLab instance whether an environment that has had no deployment yet can be protected.
 *
 * Construct ids: `protected-environment-<project name>`.
 */
export class ProtectedDeployEnvironments extends Construct {
  /** The protections by project name. */
  public readonly protections: ReadonlyMap<string, ProjectProtectedEnvironment>;

  /**
   * @throws ValidationError for an unknown deploy access level or no project
   */
  public constructor(scope: Construct, id: string, props: ProtectedDeployEnvironmentsProps) {
    super(scope, id);
    const path = this.node.path;
    const access = props.deployAccess ?? "maintainer";
    check((DEPLOY_ACCESS_LEVELS as readonly string[]).includes(access), {
      path: `${path}/deployAccess`,
      subject: "deploy access level",
      value: access,
      rule: `who may deploy to a protected environment is one of ${DEPLOY_ACCESS_LEVELS.join(", ")} (GitLab's deploy access levels 40 and 30)`,
      fix: 'use "maintainer" (the default) or "developer"',
    });
    check(props.projects.length > 0, {
      path: `${path}/projects`,
      subject: "projects",
      value: [],
      rule: "a protected environment belongs to a project",
      fix: "pass the projects that deploy to the environment",
    });
    this.protections = new Map(
      props.projects.map((project) => [
        project.name,
        new ProjectProtectedEnvironment(this, `protected-environment-${project.name}`, {
          project: project.path,
          environment: props.environment,
          deployAccessLevelsAttribute: [{ accessLevel: access }],
        }),
      ]),
    );
  }
}
