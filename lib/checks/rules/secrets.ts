import { type SecurityRule } from "../rule";
import { type RuleViolation } from "../rule";
import { findSecrets, findTokens, readUserData, USER_DATA_ATTRIBUTES, userDataElements, type SecretMatch } from "../secrets";
import { isRecord, type StackElement } from "../stack-model";
import { violationsOf } from "./violations";

/** The distinct matches, for a message. */
function describe(matches: readonly SecretMatch[]): string {
  const unique = [...new Map(matches.map((m): [string, SecretMatch] => [`${m.kind} ${m.excerpt}`, m])).values()];
  return unique.map((m) => `${m.kind} (${m.excerpt})`).join(", ");
}

/** SEC001: user data (decoded) contains nothing that looks like a token, key or literal password. */
export const secretInUserData: SecurityRule = {
  id: "SEC001",
  title: "Secret in user data",
  rationale: "User data is readable by anyone with ec2:DescribeInstanceAttribute, from the instance's metadata service, and sits in Terraform state and plan output.",
  severity: "error",
  resourceTypes: [...Object.keys(USER_DATA_ATTRIBUTES), "data.cloudinit_config"],
  fix: "read the secret at boot from an SSM SecureString parameter or Secrets Manager (aws ssm get-parameter --with-decryption) and grant the instance role read on that parameter only; user data may reference it by name",
  check: (model) =>
    userDataElements(model).flatMap((element): RuleViolation[] => {
      const read = readUserData(model, element);
      const matches = read.texts.flatMap(findSecrets);
      if (matches.length > 0) return [{ element, detail: `its user data (decoded) contains ${describe(matches)}` }];
      if (read.unresolved.length > 0) return [{ element, unchecked: true, detail: `its user data is known only at apply time (${read.unresolved.join("; ")}), so it was not scanned for secrets` }];
      return [];
    }),
};

/**
 * The token-format secrets in every string leaf of a config, each with its attribute path (e.g.
 * `ingress[0].description`); `skip` names top-level attributes left out. The path is built only
 * for a leaf that holds a token (SEC002 walks every string of every stack).
 */
function tokenLeaves(value: unknown, skip: ReadonlySet<string>): Array<[string, SecretMatch[]]> {
  const found: Array<[string, SecretMatch[]]> = [];
  const segments: Array<string | number> = [];
  const pathOf = () => segments.reduce<string>((path, s) => (typeof s === "number" ? `${path}[${s}]` : path === "" ? s : `${path}.${s}`), "");
  const visit = (v: unknown): void => {
    if (typeof v === "string") {
      const matches = findTokens(v);
      if (matches.length > 0) found.push([pathOf(), matches]);
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => {
        segments.push(i);
        visit(item);
        segments.pop();
      });
    } else if (isRecord(v)) {
      for (const [k, item] of Object.entries(v)) {
        if (segments.length === 0 && skip.has(k)) continue;
        segments.push(k);
        visit(item);
        segments.pop();
      }
    }
  };
  visit(value);
  return found;
}

/** Attributes of an element holding token-format secrets (user data is SEC001's). */
function literalTokens(e: StackElement): string[] {
  if (e.type === "cloudinit_config" && e.kind === "data") return [];
  const skip = new Set(e.kind === "resource" ? (USER_DATA_ATTRIBUTES[e.type] ?? []) : []);
  return tokenLeaves(e.config, skip).map(([attribute, matches]) => `${attribute || "its value"} holds ${describe(matches)}`);
}

/** SEC002: no token, access key id or private key appears literally anywhere else in the stack. */
export const literalSecret: SecurityRule = {
  id: "SEC002",
  title: "Secret literal in the synthesized configuration",
  rationale: "A literal secret lands in the repository, the synthesized JSON, the plan and the state; it cannot be rotated without a code change.",
  severity: "error",
  resourceTypes: ["*"],
  fix: "pass the secret through a sensitive stack variable, a secret-producing resource, or an SSM/Secrets Manager reference, never as a literal",
  check: (model) => violationsOf(model.elements, literalTokens),
};
