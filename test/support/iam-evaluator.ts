/*
 * A test-side IAM policy evaluator for exactly what the stacks emit: Allow and
 * Deny statements; `Principal` (`AWS`, `Federated`, `Service`) and `Action`
 * with `*` wildcards; `Resource`; conditions with the string operators
 * `StringEquals`, `StringNotEquals`, `StringLike`, `StringNotLike` (also with
 * `IfExists`, and with the `ForAnyValue:` / `ForAllValues:` set qualifiers for
 * multi-valued keys). Any other operator or element throws, so a stack that
 * starts emitting one makes the attack-path suite fail loudly rather than
 * evaluate it wrongly.
 *
 * Semantics follow the IAM User Guide:
 * - "IAM JSON policy elements: Condition operators"
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
 *   string matching is case-sensitive; `StringLike` takes `*` (any run of
 *   characters) and `?` (one character) anywhere; a key absent from the
 *   request makes a condition false, except for the negated operators (true)
 *   and `...IfExists` (true); several values for one key are ORed.
 * - "IAM JSON policy elements: Condition" and "Creating a condition with
 *   multiple context keys or values"
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html):
 *   operators of a block and keys of an operator are ANDed; for a
 *   multi-valued key `ForAnyValue` needs one request value to match, and
 *   `ForAllValues` every request value (true when the key is absent or empty).
 * - "Single-valued vs. multivalued context keys"
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
 *   with the key absent or empty, `ForAnyValue` is false and `ForAllValues` true,
 *   also for the negated operators (`ForAnyValue:StringNotLike` is false).
 * - Resource and trust policies naming an account (`arn:aws:iam::<account>:root`
 *   or the bare account id) admit every principal of that account, but only as
 *   far as the principal's own IAM policies allow ("Specifying a principal",
 *   AWS account principals): {@link evaluateResourcePolicy} says so separately.
 * - "Policy evaluation logic": an explicit Deny wins over any Allow; without
 *   an Allow the request is implicitly denied.
 *
 * It was chosen over @cloud-copilot/iam-simulate (AGPL-3.0, at most a
 * devDependency): its context-key handling recognises `<provider>:sub` /
 * `<provider>:aud` only in its newest sources (`isOidcConditionKey`) while
 * `typeForContextKey` still throws for them, and 0.1.x drops context keys the
 * service authorization reference does not list for the action.
 */

/** A request: who asks, for what, on which resource, with which context. */
export interface IamRequest {
  /** The caller, e.g. `{ Federated: "arn:aws:iam::1:oidc-provider/gitlab.example.com" }` or `{ AWS: "<role arn>" }`. */
  readonly principal?: { readonly type: "AWS" | "Federated" | "Service"; readonly id: string };
  readonly action: string;
  /** The resource ARN (identity policies); not used for trust policies. */
  readonly resource?: string;
  /** Context keys; multi-valued keys as arrays. Keys are matched case-insensitively, values case-sensitively. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The outcome of evaluating one policy document. */
export type Decision = "allow" | "explicit-deny" | "implicit-deny";

type Json = Record<string, unknown>;
const asArray = <T>(value: T | readonly T[] | undefined): readonly T[] => (value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T]);

/** IAM's wildcard match: `*` any run, `?` one character, case-sensitive unless `ignoreCase`. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  // Iterative glob match with backtracking on the last '*'.
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < v.length) {
    if (i < p.length && (p[i] === "?" || (p[i] !== "*" && p[i] === v[j]))) {
      i++;
      j++;
    } else if (i < p.length && p[i] === "*") {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (p[i] === "*") i++;
  return i === p.length;
}

const STRING_OPERATORS: Record<string, (policyValue: string, requestValue: string) => boolean> = {
  StringEquals: (p, r) => p === r,
  StringNotEquals: (p, r) => p === r,
  StringLike: (p, r) => wildcardMatch(p, r),
  StringNotLike: (p, r) => wildcardMatch(p, r),
};

function contextValue(context: IamRequest["context"], key: string): readonly string[] | undefined {
  const found = Object.entries(context ?? {}).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : asArray(found[1]);
}

/** Evaluates one condition operator entry (`"ForAnyValue:StringLike": { key: values }`). */
function evaluateOperator(operator: string, keys: Json, context: IamRequest["context"]): boolean {
  const match = /^(?:(ForAnyValue|ForAllValues):)?(String(?:Not)?(?:Equals|Like))(IfExists)?$/.exec(operator);
  if (!match) throw new Error(`iam-evaluator: condition operator ${operator} is not supported; extend the evaluator (and its tests) before emitting it`);
  const [, qualifier, base, ifExists] = match;
  const negated = base!.includes("Not");
  const test = STRING_OPERATORS[base!]!;
  return Object.entries(keys).every(([key, raw]) => {
    const policyValues = asArray(raw as string | string[]);
    const requestValues = contextValue(context, key);
    const matchesAny = (r: string) => policyValues.some((p) => test(p, r));
    if (requestValues === undefined) {
      // "Condition operators for multivalued context keys": with the key absent (or empty)
      // ForAllValues is true and ForAnyValue false, negated or not; IfExists makes it true.
      if (qualifier === "ForAllValues") return true;
      if (qualifier === "ForAnyValue") return ifExists !== undefined;
      return ifExists !== undefined || negated;
    }
    if (qualifier === "ForAllValues") return requestValues.every((r) => (negated ? !matchesAny(r) : matchesAny(r)));
    if (qualifier === "ForAnyValue") return requestValues.some((r) => (negated ? !matchesAny(r) : matchesAny(r)));
    if (requestValues.length !== 1) throw new Error(`iam-evaluator: single-valued operator ${operator} got several values for ${key}; use ForAnyValue/ForAllValues`);
    return negated ? !matchesAny(requestValues[0]!) : matchesAny(requestValues[0]!);
  });
}

/** Whether a condition block holds for the request (operators ANDed). */
export function conditionHolds(condition: Json | undefined, context: IamRequest["context"]): boolean {
  return Object.entries(condition ?? {}).every(([operator, keys]) => evaluateOperator(operator, keys as Json, context));
}

function principalMatches(principal: unknown, request: IamRequest): boolean {
  if (principal === undefined) return request.principal === undefined;
  if (principal === "*") return true;
  if (request.principal === undefined) return false;
  const ids = asArray((principal as Json)[request.principal.type] as string | string[] | undefined);
  return ids.some((id) => id === "*" || id === request.principal!.id);
}

function statementApplies(statement: Json, request: IamRequest): boolean {
  for (const element of ["NotAction", "NotPrincipal"]) {
    if (element in statement) throw new Error(`iam-evaluator: ${element} is not supported`);
  }
  if (!principalMatches(statement.Principal, request)) return false;
  if (!asArray(statement.Action as string | string[]).some((a) => wildcardMatch(a, request.action, true))) return false;
  if (statement.Resource !== undefined && request.resource !== undefined) {
    if (!asArray(statement.Resource as string | string[]).some((r) => wildcardMatch(r, request.resource!))) return false;
  }
  // NotResource: the statement applies to every resource its entries do not match (IAM User Guide,
  // "IAM JSON policy elements: NotResource").
  if (statement.NotResource !== undefined && request.resource !== undefined) {
    if (asArray(statement.NotResource as string | string[]).some((r) => wildcardMatch(r, request.resource!))) return false;
  }
  return conditionHolds(statement.Condition as Json | undefined, request.context);
}

/** Evaluates a policy document (identity or trust policy) for a request. */
export function evaluatePolicy(document: { readonly Statement: unknown }, request: IamRequest): Decision {
  const statements = asArray<Json>(document.Statement as Json | Json[]);
  let allowed = false;
  for (const statement of statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement.Effect === "Deny") return "explicit-deny";
    if (statement.Effect === "Allow") allowed = true;
    else throw new Error(`iam-evaluator: unknown Effect ${String(statement.Effect)}`);
  }
  return allowed ? "allow" : "implicit-deny";
}

/**
 * How a resource-based policy (trust policy, key policy, repository policy) answers a principal:
 * `allow` when a statement names the principal itself; `allow-if-identity-allows` when a
 * statement names only its account (`arn:<partition>:iam::<account>:root` or the account id),
 * which delegates to the principal's IAM policies; `explicit-deny` when a Deny applies
 * (a Deny naming the account applies to every principal of it).
 */
export type ResourceDecision = Decision | "allow-if-identity-allows";

const ACCOUNT_PRINCIPAL = /^(?:arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):root|(\d{12}))$/;

/** The account of an IAM principal ARN (`arn:aws:iam::<account>:role/...`). */
export const accountOfPrincipal = (arn: string): string | undefined => /^arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];

/** Evaluates a resource-based policy for an AWS principal (`request.principal.type` `AWS`, id its ARN). */
export function evaluateResourcePolicy(document: { readonly Statement: unknown }, request: IamRequest & { readonly principal: { readonly type: "AWS"; readonly id: string } }): ResourceDecision {
  const account = accountOfPrincipal(request.principal.id);
  let direct = false;
  let delegated = false;
  for (const statement of asArray<Json>(document.Statement as Json | Json[])) {
    const directMatch = statementApplies(statement, request);
    const namesAccount =
      !directMatch &&
      account !== undefined &&
      statement.Principal !== undefined &&
      statement.Principal !== "*" &&
      asArray((statement.Principal as Json).AWS as string | string[] | undefined).some((id) => {
        const m = ACCOUNT_PRINCIPAL.exec(id);
        return m !== null && (m[1] ?? m[2]) === account;
      }) &&
      statementApplies({ ...statement, Principal: "*" }, request);
    if (!directMatch && !namesAccount) continue;
    if (statement.Effect === "Deny") return "explicit-deny";
    if (statement.Effect !== "Allow") throw new Error(`iam-evaluator: unknown Effect ${String(statement.Effect)}`);
    if (directMatch) direct = true;
    else delegated = true;
  }
  return direct ? "allow" : delegated ? "allow-if-identity-allows" : "implicit-deny";
}
