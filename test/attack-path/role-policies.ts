/*
 * The one reader of what a stack attaches to its IAM roles, shared by the IAM model (iam-model.ts)
 * and the runner-side model (runner-model.ts), so the two cannot read different grant forms.
 * Forms of provider-aws 21.22.1: `aws_iam_role` (`inline_policy`, `managed_policy_arns`),
 * `aws_iam_role_policy`, `aws_iam_role_policy_attachment`, `aws_iam_policy_attachment` (`roles`),
 * `aws_iam_role_policy_attachments_exclusive` (its ARNs counted as attached: it detaches what it
 * does not list, so counting them can only widen what is found) and `aws_iam_policy` documents
 * (customer-managed policies, by `${aws_iam_policy.<id>.arn}` and by literal ARN).
 */
import { type SynthJson } from "../support/synth";

type Json = Record<string, unknown>;

/** A policy document. */
export type Doc = { readonly Statement: unknown };

/** What a stack attaches to each of its roles, by the role's logical id. */
export interface RoleAttachments {
  /** Inline policy documents (`aws_iam_role_policy`, `aws_iam_role.inline_policy`). */
  readonly inline: ReadonlyMap<string, readonly Doc[]>;
  /** Attached managed policy ARNs (AWS-managed, or customer-managed: literal or `${aws_iam_policy.<id>.arn}`). */
  readonly managed: ReadonlyMap<string, readonly string[]>;
  /** The stack's customer-managed policy documents (`aws_iam_policy`), by reference and by literal ARN. */
  readonly customerManaged: ReadonlyMap<string, Doc>;
}

const values = (json: SynthJson, type: string): [string, Json][] => Object.entries(json.resource?.[type] ?? {}) as [string, Json][];

/**
 * Reads every role attachment form of one stack. `resolve` rewrites references in a policy's
 * text before it is parsed (the IAM model resolves them to ARNs; the runner model keeps them).
 * A role named by reference (`${aws_iam_role.<id>.name|arn|id}`) or by its literal name is found;
 * one the stack does not define is kept under the name given.
 *
 * @throws Error when `aws_iam_role.managed_policy_arns` or `inline_policy` is not a list (the model cannot tell what it grants)
 */
export function roleAttachmentsOf(stack: string, json: SynthJson, account: string, resolve: (text: string) => string = (t) => t): RoleAttachments {
  const roles = values(json, "aws_iam_role");
  const idByName = new Map(roles.map(([id, role]) => [String(role.name), id]));
  const roleId = (value: unknown): string => {
    const text = String(value);
    const ref = /^\$\{aws_iam_role\.([^.}]+)\.(?:name|arn|id|unique_id)\}$/.exec(text);
    if (ref) return ref[1]!;
    return idByName.get(text) ?? idByName.get(text.replace(/^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?/, "")) ?? text;
  };
  const parse = (text: unknown) => JSON.parse(resolve(String(text))) as Doc;
  const inline = new Map<string, Doc[]>();
  const managed = new Map<string, string[]>();
  const addInline = (role: string, doc: Doc) => inline.set(role, [...(inline.get(role) ?? []), doc]);
  const attach = (role: string, arn: unknown) => managed.set(role, [...(managed.get(role) ?? []), resolve(String(arn))]);
  const customerManaged = new Map<string, Doc>();
  for (const [id, policy] of values(json, "aws_iam_policy")) {
    const doc = parse(policy.policy);
    customerManaged.set(`\${aws_iam_policy.${id}.arn}`, doc);
    customerManaged.set(`arn:aws:iam::${account}:policy${String(policy.path ?? "/")}${String(policy.name)}`, doc);
  }
  for (const [, policy] of values(json, "aws_iam_role_policy")) addInline(roleId(policy.role), parse(policy.policy));
  for (const [, attachment] of values(json, "aws_iam_role_policy_attachment")) attach(roleId(attachment.role), attachment.policy_arn);
  for (const [, attachment] of values(json, "aws_iam_policy_attachment")) {
    for (const role of (attachment.roles as unknown[] | undefined) ?? []) attach(roleId(role), attachment.policy_arn);
  }
  for (const [, exclusive] of values(json, "aws_iam_role_policy_attachments_exclusive")) {
    for (const arn of (exclusive.policy_arns as unknown[] | undefined) ?? []) attach(roleId(exclusive.role_name), arn);
  }
  for (const [id, role] of roles) {
    const arns = role.managed_policy_arns;
    if (arns !== undefined) {
      if (!Array.isArray(arns)) throw new Error(`attack-path model: ${stack} aws_iam_role.${id}.managed_policy_arns is not a list (${JSON.stringify(arns)}); the model cannot tell what it attaches`);
      for (const arn of arns) attach(id, arn);
    }
    const blocks = role.inline_policy;
    if (blocks !== undefined) {
      if (!Array.isArray(blocks)) throw new Error(`attack-path model: ${stack} aws_iam_role.${id}.inline_policy is not a list of blocks (${JSON.stringify(blocks)}); the model cannot tell what it grants`);
      for (const block of blocks as Json[]) if (block.policy !== undefined) addInline(id, parse(block.policy));
    }
  }
  return { inline, managed, customerManaged };
}
