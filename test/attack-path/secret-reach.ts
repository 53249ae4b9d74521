/*
 * What a role reached with a GitLab ID token may read of the platform's secrets and caches:
 * SSM SecureStrings (runner tokens, the Nexus admin password, static credentials) need both
 * `ssm:GetParameter` on the parameter and the key policy's decrypt (decryptsWithKey), and the
 * protected cache prefixes of every bucket (`s3:GetObject` / `s3:PutObject` under
 * `<cache path>/protected/`). Read from the synthesized JSON of all stacks.
 */
import { cachePathOf } from "../../lib/platform/tenancy";
import { type SynthJson } from "../support/synth";
import { cacheObjectProbes } from "./cache-keys";
import { decryptsWithKey, type IamModel, roleAllows, type RoleNode } from "./iam-model";
import { resourcePatternsOf } from "./role-statements";
import { mayReadParameter } from "./parameter-reads";

type Json = Record<string, unknown>;

/** One SSM SecureString parameter. */
export interface SecretNode {
  readonly stack: string;
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
  /** The `aws_kms_key` logical id of its key, or undefined for `aws/ssm` / another key (every reader of the parameter decrypts). */
  readonly key?: string;
}

/** One S3 bucket (a cache bucket, or any other). */
export interface BucketNode {
  readonly stack: string;
  readonly account: string;
  readonly name: string;
}

const providerOf = (json: SynthJson) => (json.provider as { aws?: Json[] } | undefined)?.aws?.[0];
const resources = (json: SynthJson, type: string): [string, Json][] => Object.entries(((json.resource ?? {}) as Record<string, Record<string, Json>>)[type] ?? {});

/** Every SecureString of every stack. */
export function secretsOf(stacks: ReadonlyMap<string, SynthJson>): SecretNode[] {
  return [...stacks].flatMap(([stack, json]) => {
    const account = String((providerOf(json)?.allowed_account_ids as string[] | undefined)?.[0]);
    const region = String(providerOf(json)?.region);
    return resources(json, "aws_ssm_parameter")
      .filter(([, p]) => p.type === "SecureString")
      .map(([, p]) => {
        const key = /^\$\{aws_kms_key\.([^.}]+)\.(?:arn|key_id|id)\}$/.exec(String(p.key_id ?? ""))?.[1];
        return { stack, account, region, name: String(p.name), arn: `arn:aws:ssm:${region}:${account}:parameter/${String(p.name).replace(/^\//, "")}`, ...(key ? { key } : {}) };
      });
  });
}

/**
 * Every bucket of every stack. Bucket policies are not evaluated: the stacks' only Allow there is
 * for AWS services (S3 server access logging); an Allow naming an AWS principal or `*` throws, so
 * a policy that could widen access fails the suite instead of being missed.
 */
export function bucketsOf(stacks: ReadonlyMap<string, SynthJson>): BucketNode[] {
  return [...stacks].flatMap(([stack, json]) => {
    for (const [id, policy] of resources(json, "aws_s3_bucket_policy")) {
      const statements = (JSON.parse(String(policy.policy)) as { Statement: Json[] }).Statement;
      const widening = statements.filter((s) => s.Effect === "Allow" && (s.Principal === "*" || (s.Principal as Json | undefined)?.AWS !== undefined));
      if (widening.length > 0) throw new Error(`attack-path model: ${stack} aws_s3_bucket_policy.${id} allows an AWS principal (${JSON.stringify(widening)}); teach secret-reach.ts to evaluate bucket policies`);
    }
    const account = String((providerOf(json)?.allowed_account_ids as string[] | undefined)?.[0]);
    return resources(json, "aws_s3_bucket").map(([, b]) => ({ stack, account, name: String(b.bucket) }));
  });
}

/**
 * Whether `role` reads the secret: any SSM call returning its value (`ssm:GetParameter`,
 * `GetParameters`, `GetParameterHistory`, `GetParametersByPath` on an ancestor path; see
 * parameter-reads.ts) in the same account, and the key's decrypt through SSM.
 */
export function readsSecret(model: IamModel, role: RoleNode, secret: SecretNode): boolean {
  if (role.account !== secret.account) return false;
  if (!mayReadParameter(secret.arn, (action, resource) => roleAllows(role, action, resource))) return false;
  if (secret.key === undefined) return true;
  const key = model.keys.find((k) => k.stack === secret.stack && k.id === secret.key);
  return key !== undefined && decryptsWithKey(key, role, secret.region, secret.arn);
}

/** The protected cache prefixes (`<cache path>/protected`) of every environment. */
export const protectedCachePrefixes = (environments: readonly { readonly config: Parameters<typeof cachePathOf>[0] }[]): string[] => [
  ...new Set(environments.map((e) => cachePathOf(e.config, "protected"))),
];

/**
 * What a role may do to protected cache objects: `read` / `write` entries as `<bucket>/<prefix>`.
 * Every key layout GitLab Runner gives a prefix (`Shared` or per runner) is probed, with ARNs
 * derived from the role's own resource patterns (cache-keys.ts), so a grant on
 * `<prefix>/runner/*` or on one project's keys counts as much as one on the whole prefix.
 */
export function protectedCacheAccess(role: RoleNode, buckets: readonly BucketNode[], prefixes: readonly string[]): { read: string[]; write: string[] } {
  const patterns = resourcePatternsOf(role);
  const probe = (action: string) =>
    buckets
      .filter((b) => b.account === role.account)
      .flatMap((b) => prefixes.filter((prefix) => cacheObjectProbes(b.name, prefix, patterns).some((arn) => roleAllows(role, action, arn))).map((prefix) => `${b.name}/${prefix}`));
  return { read: probe("s3:GetObject"), write: probe("s3:PutObject") };
}
