import { check } from "../../core/errors";
import { isUnresolved } from "../../core/tokens";

const SECRET_LITERAL = /glrt-[A-Za-z0-9_.-]{8,}|AKIA[0-9A-Z]{16}|"auths"|PRIVATE KEY/;

/**
 * The job environment of a manager's runner: the given variables (no secrets:
 * they are written into user data) plus `DOCKER_AUTH_CONFIG` with
 * `credHelpers` `ecr-login` for each ECR registry host. With the
 * docker-autoscaler executor the manager resolves image credentials (the
 * helper runs there) and hands them to the worker's daemon per pull, so the
 * workers need no credentials of their own.
 * @throws ValidationError for a `DOCKER_AUTH_CONFIG` of the caller's own or a secret-looking value
 */
export function jobEnvironment(path: string, given: Readonly<Record<string, string>> | undefined, registryHosts: readonly string[]): Record<string, string> {
  const environment = { ...given };
  check(!("DOCKER_AUTH_CONFIG" in environment), {
    path,
    subject: "environment DOCKER_AUTH_CONFIG",
    value: "(set)",
    rule: "DOCKER_AUTH_CONFIG is derived from the fleet's repositories (credHelpers ecr-login, no secret); static credentials would be a secret in user data",
    fix: "pass the repositories to the fleet; keep static registry credentials in a masked CI/CD variable",
  });
  for (const [key, value] of Object.entries(environment)) {
    check(isUnresolved(value) || !SECRET_LITERAL.test(value), {
      path,
      subject: `environment ${key}`,
      value: "(a secret-looking value, not shown)",
      rule: "job environment variables are written into user data, so they must not hold secrets (runner tokens, access keys, registry credentials, keys)",
      fix: "store the secret as a masked CI/CD variable in GitLab instead",
    });
  }
  if (registryHosts.length > 0) {
    environment.DOCKER_AUTH_CONFIG = JSON.stringify({ credHelpers: Object.fromEntries(registryHosts.map((h) => [h, "ecr-login"])) });
  }
  return environment;
}
