import { GroupVariable } from "@cdktf/provider-gitlab/lib/group-variable";
import { ProjectVariable } from "@cdktf/provider-gitlab/lib/project-variable";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { findTokens } from "../core/secret-tokens";
import { check, checkOneOf } from "../core/errors";
import { isUnresolved } from "../core/tokens";

/**
 * GitLab CI/CD variables with the validation GitLab's API applies, done at
 * synth so that a request GitLab would reject fails here first.
 *
 * Masking rules implemented: those of GitLab 17.x and 18.x (server side,
 * `Ci::Maskable`):
 * - masked and expanded (`raw: false`): at least 8 characters, all from the
 *   Base64 alphabet plus `@ : . ~` (the regex `[a-zA-Z0-9_+=/@:.~-]{8,}`);
 * - masked and raw (`raw: true`): at least 8 characters, no white space (`\S{8,}`);
 * - masked and hidden (GitLab 17.4+): `hidden` requires `masked`.
 * GitLab instances older than the raw relaxation (the feature flag
 * `ci_remove_character_limitation_raw_masked_var`) apply the alphabet to raw
 * values too: set `strictMaskAlphabet` for them.
 */

/** `env_var` (the default) or `file` (the runner writes the value to a file and puts its path in the variable). */
export type CiVariableType = "env_var" | "file";

/** One CI/CD variable. */
export interface CiVariableOptions {
  /** Variable name: letters, digits and `_`, at most 255 characters. */
  readonly key: string;
  /** The value (a token is fine; masking rules are then checked only where the shape is known). */
  readonly value: string;
  /**
   * Mask the value in job logs. The value must meet GitLab's masking rules (see the module documentation).
   * @default false
   */
  readonly masked?: boolean;
  /**
   * Masked and hidden: the value is never shown again in the UI (GitLab 17.4+). Requires `masked`.
   * @default false
   */
  readonly hidden?: boolean;
  /**
   * Pass the variable only to pipelines on protected branches and tags.
   * @default false
   */
  readonly protected?: boolean;
  /**
   * Treat the value as a raw string: `$VAR` references in it are not expanded.
   * @default false
   */
  readonly raw?: boolean;
  /**
   * Variable type.
   * @default "env_var"
   */
  readonly variableType?: CiVariableType;
  /**
   * Environment scope: `*`, an environment name, or a wildcard such as `review/*`.
   * Jobs get the variable only when their `environment:` matches (`*` matches every job).
   * @default "*"
   */
  readonly environmentScope?: string;
  /**
   * Description shown in the UI.
   * @default none
   */
  readonly description?: string;
  /**
   * Apply the masked-and-expanded alphabet to raw values too, as GitLab versions
   * before the raw-value relaxation do.
   * @default false
   */
  readonly strictMaskAlphabet?: boolean;
}

/** Where variables are defined: a project or a group, by full path or numeric id. */
export type CiVariableTarget = { readonly project: string } | { readonly group: string };

/** Props of {@link CiVariables}. */
export interface CiVariablesProps {
  /** The project or group that holds the variables. */
  readonly target: CiVariableTarget;
  /** The variables; (key, environment scope) pairs must be unique. */
  readonly variables: readonly CiVariableOptions[];
}

/** GitLab variable keys: one line, letters, digits and `_` only. */
export const VARIABLE_KEY = /^[A-Za-z0-9_]+$/;
/** GitLab's limit on key length. */
export const MAX_VARIABLE_KEY_LENGTH = 255;
/** GitLab's limit on value length (characters). */
export const MAX_VARIABLE_VALUE_LENGTH = 10_000;
/** Masked and expanded values (`Ci::Maskable::REGEX`). */
export const MASKED_EXPANDED_VALUE = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
/** Masked and raw values (`Ci::Maskable::MASK_AND_RAW_REGEX`). */
export const MASKED_RAW_VALUE = /^\S{8,}$/;
/** Minimum length of a masked value. */
export const MIN_MASKED_LENGTH = 8;

/** Checks a variable key: letters, digits and `_`, 1 to 255 characters. */
export function validateVariableKey(path: string, key: string): void {
  if (isUnresolved(key)) return;
  check(key.length >= 1 && key.length <= MAX_VARIABLE_KEY_LENGTH, {
    path,
    subject: "variable key",
    value: key.length > 60 ? `${key.slice(0, 40)}... (${key.length} characters)` : key,
    rule: `a GitLab CI/CD variable key is 1 to ${MAX_VARIABLE_KEY_LENGTH} characters long`,
    fix: `shorten the key to at most ${MAX_VARIABLE_KEY_LENGTH} characters`,
  });
  check(VARIABLE_KEY.test(key), {
    path,
    subject: "variable key",
    value: key,
    rule: "a GitLab CI/CD variable key uses only letters, digits and '_' (one line, no spaces)",
    fix: `use e.g. ${JSON.stringify(key.replace(/[^A-Za-z0-9_]+/g, "_") || "MY_VARIABLE")}`,
  });
}

/** What may be said about a secret in an error message: its length and the offending characters, never the value. */
function redacted(value: string): string {
  return `<${value.length} characters, hidden>`;
}

/** The characters of `value` that `allowed` (a single-character class) rejects, for messages. */
function offendingCharacters(value: string, allowed: RegExp): string {
  const bad = [...new Set([...value].filter((c) => !allowed.test(c)))];
  return bad.map((c) => (c === " " ? "space" : /\s/.test(c) ? JSON.stringify(c).slice(1, -1) : c)).join(" ");
}

/** Options of {@link validateMaskedValue}. */
export interface MaskRuleOptions {
  /**
   * The variable is raw (not expanded).
   * @default false
   */
  readonly raw?: boolean;
  /**
   * Apply the expanded alphabet to raw values too (older GitLab).
   * @default false
   */
  readonly strictMaskAlphabet?: boolean;
}

/**
 * Checks a value against GitLab's masking rules (tokens pass). The error
 * message never repeats the value: it names its length and the offending characters.
 */
export function validateMaskedValue(path: string, subject: string, value: string, options: MaskRuleOptions = {}): void {
  if (isUnresolved(value)) return;
  check(value.length >= MIN_MASKED_LENGTH, {
    path,
    subject,
    value: redacted(value),
    rule: `GitLab masks only values of at least ${MIN_MASKED_LENGTH} characters`,
    fix: "use a longer secret, or drop `masked` if the value is not secret",
  });
  const expanded = !options.raw || options.strictMaskAlphabet === true;
  if (expanded) {
    check(MASKED_EXPANDED_VALUE.test(value), {
      path,
      subject,
      value: redacted(value),
      rule:
        `a masked value that GitLab expands may hold only letters, digits and _ + = / @ : . ~ - (GitLab 17.x/18.x Ci::Maskable); ` +
        `it contains: ${offendingCharacters(value, /[a-zA-Z0-9_+=/@:.~-]/)}`,
      fix: options.raw ? "base64-encode the value, or drop `strictMaskAlphabet` on GitLab versions with the raw relaxation" : "set `raw: true` (no expansion; then any non-space character is allowed), or base64-encode the value",
    });
  } else {
    check(MASKED_RAW_VALUE.test(value), {
      path,
      subject,
      value: redacted(value),
      rule: `a masked raw value must be one line without white space (GitLab 17.x/18.x Ci::Maskable); it contains: ${offendingCharacters(value, /\S/)}`,
      fix: "remove spaces and line breaks (e.g. compact JSON, or base64-encode the value)",
    });
  }
}

/** Every {@link CiVariableType} (for run-time checks of plain-JavaScript input). */
export const CI_VARIABLE_TYPES: readonly CiVariableType[] = ["env_var", "file"];

/**
 * Variable names that hold secrets by convention (`*_PASSWORD`, `*_TOKEN`,
 * `*_SECRET`, `*_API_KEY`, `*_PRIVATE_KEY`, `*_SECRET_ACCESS_KEY`, `*_CREDENTIALS`).
 */
export const SECRET_VARIABLE_KEY = /(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|ACCESS_KEY|SECRET_ACCESS_KEY|CREDENTIALS?)(?:_|$)/i;

/**
 * What makes a variable's value a secret: its key follows a secret naming
 * convention, or its literal value has a token format (GitLab tokens, AWS
 * access key ids, private keys); undefined when neither.
 */
export function secretKindOf(variable: Pick<CiVariableOptions, "key" | "value">): string | undefined {
  if (!isUnresolved(variable.value) && typeof variable.value === "string") {
    const token = findTokens(variable.value)[0];
    if (token) return `its value looks like ${token.kind}`;
  }
  if (typeof variable.key === "string" && SECRET_VARIABLE_KEY.test(variable.key)) return `its key ${variable.key} names a secret`;
  return undefined;
}

/**
 * A secret variable: its value is a reference (never a literal in the
 * synthesized JSON), masked (or hidden), and protected. A literal secret would
 * be written in clear into the Terraform JSON and state; an unmasked one is
 * printed in job logs; an unprotected one reaches every branch (GitLab docs,
 * "CI/CD variable security": protect and mask variables that hold secrets).
 */
export function validateSecretVariable(path: string, variable: CiVariableOptions): void {
  const kind = secretKindOf(variable);
  if (kind === undefined) return;
  const literal = !isUnresolved(variable.value);
  const trivial = literal && (variable.value.length < 6 || /^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(variable.value));
  if (trivial) return; // empty, a flag, or a reference to another variable: nothing secret in the JSON
  check(!literal, {
    path,
    subject: `value of ${variable.key}`,
    value: `<literal, ${variable.value.length} characters, hidden>`,
    rule: `the variable holds a secret (${kind}), and a literal value would be written in clear into the synthesized Terraform JSON and state`,
    fix: "pass the value as a token: a sensitive TerraformVariable declared at stack level (TF_VAR_<name>) or a resource attribute; or rename the key if it holds no secret",
  });
  check((variable.masked === true || variable.hidden === true) && variable.protected === true, {
    path,
    subject: `protection of ${variable.key}`,
    value: { masked: variable.masked ?? false, hidden: variable.hidden ?? false, protected: variable.protected ?? false },
    rule: `the variable holds a secret (${kind}): unmasked it is printed in job logs, unprotected it reaches every branch and merge request pipeline`,
    fix: "set masked: true (or masked and hidden) and protected: true",
  });
}

/** Checks one variable's options; `path` names it (e.g. `<construct>/variables[2]`). */
export function validateCiVariable(path: string, variable: CiVariableOptions): void {
  validateVariableKey(path, variable.key);
  if (variable.variableType !== undefined) checkOneOf(path, "variableType", variable.variableType, CI_VARIABLE_TYPES);
  for (const flag of ["masked", "hidden", "protected", "raw"] as const) {
    const value = variable[flag];
    check(value === undefined || typeof value === "boolean", {
      path,
      subject: flag,
      value,
      rule: `${flag} is true or false`,
      fix: `pass a boolean (a string such as "false" would count as true)`,
    });
  }
  validateSecretVariable(path, variable);
  const scope = variable.environmentScope ?? "*";
  if (!isUnresolved(scope)) {
    check(scope.length >= 1 && scope.length <= 255 && !/[\s]/.test(scope), {
      path,
      subject: "environmentScope",
      value: scope,
      rule: "an environment scope is `*`, an environment name or a wildcard such as review/*: 1-255 characters, no white space",
      fix: 'use "*" for every job, or the environment name the jobs declare',
    });
  }
  check(!variable.hidden || variable.masked === true, {
    path,
    subject: "hidden",
    value: { key: variable.key, hidden: variable.hidden, masked: variable.masked ?? false },
    rule: "GitLab hides only masked variables (masked and hidden, GitLab 17.4+)",
    fix: "set `masked: true` as well, or drop `hidden`",
  });
  if (!isUnresolved(variable.value)) {
    check(variable.value.length <= MAX_VARIABLE_VALUE_LENGTH, {
      path,
      subject: "value length",
      value: `${variable.value.length} characters`,
      rule: `GitLab limits a CI/CD variable value to ${MAX_VARIABLE_VALUE_LENGTH} characters`,
      fix: "store large content elsewhere (e.g. a repository file or S3) and pass its location",
    });
  }
  if (variable.masked) {
    validateMaskedValue(path, `masked value of ${variable.key}`, variable.value, {
      raw: variable.raw ?? false,
      strictMaskAlphabet: variable.strictMaskAlphabet ?? false,
    });
  }
}

/** Variables already defined per stack: target + key + scope -> construct path. */
const definedPerStack = new WeakMap<TerraformStack, Map<string, string>>();

/** Construct id of a variable: the key, plus `@<scope>` unless the scope is `*`. */
export function variableConstructId(key: string, environmentScope = "*"): string {
  return environmentScope === "*" ? key : `${key}@${environmentScope.replace(/\//g, "|")}`;
}

/**
 * Project or group CI/CD variables (`gitlab_project_variable` /
 * `gitlab_group_variable`), validated at synth: key format, masking rules,
 * hidden only with masked, and no two variables with the same key and
 * environment scope on the same project or group in the stack.
 *
 * Construct ids: one child per variable, named by {@link variableConstructId}.
 *
 * @example
 * new CiVariables(this, "variables", {
 *   target: { group: "acme" },
 *   variables: [{ key: "PLATFORM_REGION", value: "eu-central-1" }],
 * });
 */
export class CiVariables extends Construct {
  /** The variable resources, by construct id. */
  public readonly resources: ReadonlyMap<string, ProjectVariable | GroupVariable>;

  public constructor(scope: Construct, id: string, props: CiVariablesProps) {
    super(scope, id);
    const stack = TerraformStack.of(this);
    const defined = definedPerStack.get(stack) ?? new Map<string, string>();
    definedPerStack.set(stack, defined);
    const [kind, target] = "project" in props.target ? (["project", props.target.project] as const) : (["group", props.target.group] as const);

    const resources = new Map<string, ProjectVariable | GroupVariable>();
    props.variables.forEach((variable, i) => {
      const path = `${this.node.path}/variables[${i}]`;
      validateCiVariable(path, variable);
      const scope = variable.environmentScope ?? "*";
      const identity = JSON.stringify([kind, target, variable.key, scope]);
      const first = defined.get(identity);
      check(first === undefined, {
        path,
        subject: "variable",
        value: { key: variable.key, environmentScope: scope },
        rule: `a ${kind} holds one variable per key and environment scope, but ${kind} ${target} already gets it from ${first}`,
        fix: "remove one of the two, or give them different environment scopes",
      });
      defined.set(identity, path);
      const config = {
        key: variable.key,
        value: variable.value,
        masked: variable.masked ?? false,
        protected: variable.protected ?? false,
        raw: variable.raw ?? false,
        variableType: variable.variableType ?? "env_var",
        environmentScope: scope,
        ...(variable.hidden ? { hidden: true } : {}),
        ...(variable.description ? { description: variable.description } : {}),
      };
      const childId = variableConstructId(variable.key, scope);
      resources.set(childId, kind === "project" ? new ProjectVariable(this, childId, { project: target, ...config }) : new GroupVariable(this, childId, { group: target, ...config }));
    });
    this.resources = resources;
  }
}
