/**
 * Names of the CI/CD variables of promotion and deploy jobs. The deploy template
 * references exactly these names and the tenants' project variables define them
 * (`tenantVariables` in lib/platform/tenant-variables.ts), so the two cannot drift.
 * Each is a project variable with the environment's scope, so a job with
 * `environment: <name>` receives that environment's value (a more specific environment scope
 * takes priority over `*`: GitLab's design of environment-scoped variables, gitlab-ee#2302;
 * `environment:action: prepare|verify` jobs receive them too, gitlab#351510).
 */
export const DEPLOY_VARIABLES = {
  /** The tenant's own deployment role in the environment, assumed (`sts:AssumeRole`) from the tenant's protected role alone; a protected variable. */
  deployRoleArn: "PLATFORM_DEPLOY_ROLE_ARN",
  /** The SSM parameter holding the tenant's last good digest in the environment; a protected variable. */
  lastGoodDigestParameter: "PLATFORM_LAST_GOOD_DIGEST_PARAMETER",
  /**
   * The name the deploy jobs report the deploy hook under (the command that deploys `<image>@sha256:…`,
   * its first argument, also `$PLATFORM_DEPLOY_IMAGE`). The command itself is a literal of the
   * deploy template's scripts (`DeployTemplateProps.hooks`), not read from this variable: a pipeline
   * variable would override it.
   */
  deployHook: "PLATFORM_DEPLOY_HOOK",
  /** The name the smoke-test hook is reported under (a non-zero exit fails the deploy); its command is a literal, like the deploy hook's. */
  smokeTestHook: "PLATFORM_SMOKE_TEST_HOOK",
  /** What the hooks receive: `<repository>@sha256:<digest>`. */
  deployImage: "PLATFORM_DEPLOY_IMAGE",
} as const;

/** The variable holding the protected repository an image role is promoted from (e.g. `app` -> `PLATFORM_APP_PROMOTE_FROM`). */
export function promoteFromVariable(role: string): string {
  return `PLATFORM_${role.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}_PROMOTE_FROM`;
}
