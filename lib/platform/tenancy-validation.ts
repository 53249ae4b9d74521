import { check } from "../core/errors";
import { isTenantProjectPath } from "../gitlab/project-path";
import { tenantRoleName, projectConfigOf, type TenancyEnvironment, type TenancyPlatform, tenantsOf, TRUST_LEVELS } from "./tenancy";

/** The tenant project path rule, defined in the GitLab layer (the deploy jobs' pinned rows read it too). */
export { isTenantProjectPath } from "../gitlab/project-path";

/** Tenant short names: 1-20 of `a-z0-9-`, starting with a letter (they name repositories, roles and outputs). */
const TENANT_NAME = /^[a-z][a-z0-9-]{0,19}$/;

/** IAM role names hold at most 64 characters (IAM User Guide, "IAM and AWS STS quotas"). */
const ROLE_NAME_MAX = 64;

/**
 * Checks the tenants of an environment: every project path is a GitLab
 * project path (`<group>[/<subgroup>...]/<project>`), no project is listed
 * twice, tenant names are well-formed and unique, default branches are exact
 * names, `protectedRefs` is a known mode, and every CI role name
 * (`<project>-<environment>-<tenant>-<trust>`) fits IAM's 64 characters (and with it every
 * deployment role name, `<project>-<environment>-<tenant>-deployment`, one character shorter than
 * the unprotected role's, which is checked in every environment).
 *
 * @param path config path of the environment, e.g. `config/environments[0]`
 * @throws ValidationError naming `<path>/gitlab/projects[<i>]`
 */
export function validateTenancy(path: string, platform: TenancyPlatform, env: TenancyEnvironment): void {
  const paths = new Map<string, number>();
  const names = new Map<string, number>();
  tenantsOf(env, path).forEach((tenant, i) => {
    const where = tenant.configPath;
    check(isTenantProjectPath(tenant.path), {
      path: where,
      subject: "project path",
      value: tenant.path,
      rule: "a GitLab project path is <group>[/<subgroup>...]/<project>, each part letters, digits, '_', '.', '-' (not starting with '-', no '.git')",
      fix: "copy the path from the project's URL, e.g. acme/app",
    });
    const samePath = paths.get(tenant.path.toLowerCase());
    check(samePath === undefined, {
      path: where,
      subject: "project",
      value: tenant.path,
      rule: `a project is listed once (it is also projects[${samePath}]; GitLab paths are case-insensitive): two entries would create two sets of roles for one sub claim`,
      fix: "remove the duplicate entry",
    });
    paths.set(tenant.path.toLowerCase(), i);
    check(TENANT_NAME.test(tenant.name), {
      path: where,
      subject: "tenant name",
      value: tenant.name,
      rule: "a tenant name is 1-20 lower-case letters, digits and '-', starting with a letter (it names repositories, roles and outputs)",
      fix: "give the project entry a name, e.g. { path: \"acme/my_app\", name: \"my-app\" }",
    });
    const sameName = names.get(tenant.name);
    check(sameName === undefined, {
      path: where,
      subject: "tenant name",
      value: tenant.name,
      rule: `tenant names are unique in an environment (projects[${sameName}] has the same name): they name the repositories and roles`,
      fix: "give one of the entries its own name, e.g. { path: \"acme/team-b/app\", name: \"team-b-app\" }",
    });
    names.set(tenant.name, i);
    // An inherited default branch is checked where it is configured (identity.defaultBranch).
    const ownBranch = projectConfigOf(env.gitlab.projects[i]!).defaultBranch !== undefined;
    check(!ownBranch || (typeof tenant.defaultBranch === "string" && tenant.defaultBranch.length > 0 && !/[*?\s:~^[\\]/.test(tenant.defaultBranch)), {
      path: `${where}/defaultBranch`,
      subject: "default branch",
      value: tenant.defaultBranch,
      rule: "the default branch is one exact branch name (the protected CI role trusts it with StringEquals, and GitLab protects exactly it)",
      fix: "name the project's default branch, e.g. main",
    });
    check(tenant.protectedRefs === "manage" || tenant.protectedRefs === "check", {
      path: `${where}/protectedRefs`,
      subject: "protectedRefs",
      value: tenant.protectedRefs,
      rule: 'protectedRefs is "manage" (the platform creates the protections) or "check" (it checks them at plan time)',
      fix: 'use "manage", or "check" for a project whose settings are kept elsewhere',
    });
    for (const trust of TRUST_LEVELS) {
      const roleName = tenantRoleName(platform, env, tenant, trust);
      check(roleName.length <= ROLE_NAME_MAX, {
        path: where,
        subject: `${trust} CI role name`,
        value: roleName,
        rule: `IAM role names hold at most ${ROLE_NAME_MAX} characters (<project>-<environment>-<tenant>-<trust>)`,
        fix: `shorten the tenant name (name: ...) or the environment or project name by ${roleName.length - ROLE_NAME_MAX} characters`,
      });
    }
  });
}
