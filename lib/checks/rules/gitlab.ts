import { DOCKER_AUTH_CONFIG, UNPROTECTED_PULL_DESCRIPTION } from "../../gitlab/docker-auth-config";
import { type SecurityRule } from "../rule";
import { expressionSpans, isRecord, isTrue, referencesIn, type StackModel } from "../stack-model";
import { findSecrets, findTokens } from "../secrets";
import { evaluateString, localReferences } from "../terraform-eval";
import { violationsOf } from "./violations";

/**
 * Attributes that hold secrets, by Terraform type (`data.` prefix for data sources); a value
 * that references one of them carries a secret. Besides these, `var.<name>` of a variable
 * declared `sensitive = true` is a secret.
 */
export const SECRET_SOURCES: Readonly<Record<string, readonly string[]>> = {
  gitlab_deploy_token: ["token"],
  gitlab_group_deploy_token: ["token"],
  gitlab_project_deploy_token: ["token"],
  gitlab_group_access_token: ["token"],
  gitlab_project_access_token: ["token"],
  gitlab_personal_access_token: ["token"],
  gitlab_group_service_account_access_token: ["token"],
  gitlab_user_impersonation_token: ["token"],
  gitlab_user_runner: ["token"],
  gitlab_runner: ["authentication_token"],
  gitlab_pipeline_trigger: ["token"],
  gitlab_cluster_agent_token: ["token"],
  aws_iam_access_key: ["secret", "ses_smtp_password_v4"],
  random_password: ["result", "bcrypt_hash"],
  tls_private_key: ["private_key_pem", "private_key_openssh", "private_key_pem_pkcs8"],
  aws_ssm_parameter: ["value", "insecure_value"],
  "data.aws_ssm_parameter": ["value", "insecure_value"],
  aws_secretsmanager_secret_version: ["secret_string", "secret_binary"],
  "data.aws_secretsmanager_secret_version": ["secret_string", "secret_binary"],
  "data.aws_secretsmanager_random_password": ["random_password"],
};

/**
 * The secret sources `value` references, as Terraform expressions (e.g. `gitlab_deploy_token.x.token`,
 * `var.token`), following `local.<name>` references through the stack's locals: passing a secret
 * through a local does not hide it.
 */
export function secretReferences(model: StackModel, value: unknown, seen: Set<string> = new Set()): string[] {
  const found = referencesIn(value).flatMap((ref) => {
    if (ref.kind === "variable") return model.isSensitiveVariable(ref.name) ? [ref.address] : [];
    const attributes = SECRET_SOURCES[`${ref.kind === "data" ? "data." : ""}${ref.type}`];
    return attributes && (ref.attribute === undefined || attributes.includes(ref.attribute)) ? [`${ref.address}${ref.attribute ? `.${ref.attribute}` : ""}`] : [];
  });
  for (const name of expressionTexts(value).flatMap(localReferences)) {
    if (seen.has(name)) continue;
    seen.add(name);
    const local = model.get(`local.${name}`);
    if (local) found.push(...secretReferences(model, local.config.value, seen).map((s) => `${s} (through local.${name})`));
  }
  return [...new Set(found)];
}

/** The `${...}` expressions of every string inside a value. */
function expressionTexts(value: unknown): string[] {
  if (typeof value === "string") return expressionSpans(value);
  if (Array.isArray(value)) return value.flatMap(expressionTexts);
  return isRecord(value) ? Object.values(value).flatMap(expressionTexts) : [];
}

/**
 * A variable whose value, known at synth (locals followed), is itself a secret: a token format
 * (glpat-, AKIA…), a private key, or a literal assigned to a secret-named key (`DB_PASSWORD`).
 */
function literalSecrets(model: StackModel, key: unknown, value: unknown): string[] {
  if (typeof value !== "string") return [];
  const known = evaluateString(model, value, 0, "text");
  const text = known.known && typeof known.value === "string" ? known.value : value;
  const matches = [...findTokens(text), ...(typeof key === "string" && !text.includes("\n") ? findSecrets(`${key}=${text}`) : [])];
  return [...new Set(matches.map((m) => `a literal secret (${m.kind}, ${m.excerpt})`))];
}

const VARIABLE_TYPES = ["gitlab_project_variable", "gitlab_group_variable", "gitlab_instance_variable"];

/**
 * True when an unprotected variable may hold these secrets: it is DOCKER_AUTH_CONFIG and every
 * secret is a sensitive variable (referenced directly, not through a local) declared a pull-only
 * credential for every job (its description starts with {@link UNPROTECTED_PULL_DESCRIPTION}:
 * `externalRegistries[].unprotectedPull`, a read-only robot the configuration opts in).
 */
function pullOnlyCredentials(model: StackModel, key: unknown, sources: readonly string[]): boolean {
  const declared = (source: string) => /^var\.[A-Za-z_][A-Za-z0-9_-]*$/.test(source) && String(model.get(source)?.config.description ?? "").startsWith(UNPROTECTED_PULL_DESCRIPTION);
  return key === DOCKER_AUTH_CONFIG && sources.length > 0 && sources.every(declared);
}

/** GL001: CI/CD variables carrying secrets are masked (or hidden) and protected. */
export const secretVariableExposed: SecurityRule = {
  id: "GL001",
  title: "GitLab CI/CD variable with a secret is not masked and protected",
  rationale: "An unmasked secret is printed in job logs, and an unprotected one reaches every branch, so any developer's pipeline can read and exfiltrate it.",
  severity: "error",
  resourceTypes: [...VARIABLE_TYPES, ...Object.keys(SECRET_SOURCES), "variable"],
  fix: "set masked = true (or hidden = true) and protected = true on the variable; jobs on unprotected branches should use credentials that hold no secret (e.g. a credHelpers-only DOCKER_AUTH_CONFIG)",
  check: (model) =>
    violationsOf(model.resources(...VARIABLE_TYPES), (e) => {
      const sources = [...secretReferences(model, e.config.value), ...literalSecrets(model, e.config.key, e.config.value)];
      if (sources.length === 0) return [];
      const missing = [
        ...(isTrue(e.config.masked) || isTrue(e.config.hidden) ? [] : ["not masked or hidden"]),
        ...(isTrue(e.config.protected) || pullOnlyCredentials(model, e.config.key, sources) ? [] : ["not protected"]),
      ];
      return missing.length > 0 ? [`the value of ${JSON.stringify(e.config.key)} comes from ${sources.join(", ")} but the variable is ${missing.join(" and ")}`] : [];
    }),
};
