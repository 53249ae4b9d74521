/*
 * The IAM half of the attack-path model, read from the synthesized Terraform
 * JSON of every stack of an app together: roles with their trust policies
 * and permissions, ECR repositories, the accounts' OIDC providers and the
 * GitLab ref protections. References between resources (`${aws_iam_role.X.arn}`,
 * `${aws_ecr_repository.X.arn}`) are resolved to the ARNs they will have, so
 * policies can be evaluated as IAM would.
 */
import { type SynthJson } from "../support/synth";
import { evaluatePolicy, evaluateResourcePolicy, type IamRequest, wildcardMatch } from "../support/iam-evaluator";
import { managedPolicyOf } from "./managed-policies";
import { roleAttachmentsOf } from "./role-policies";
import { failOnUnmodelledGrants } from "./unmodelled-grants";
import { autoScalingGroupArn, launchTemplateArn } from "./fleet-scope";

type Json = Record<string, unknown>;
type Doc = { readonly Statement: unknown };

/** An IAM role of one stack. */
export interface RoleNode {
  readonly stack: string;
  readonly account: string;
  readonly name: string;
  readonly arn: string;
  readonly trust: Doc;
  readonly policies: readonly Doc[];
  readonly managedPolicyArns: readonly string[];
  /** Documents of the customer-managed policies of its stack (`aws_iam_policy`), by ARN. */
  readonly customerManaged?: ReadonlyMap<string, Doc>;
}

/** An ECR repository of one stack. */
export interface RepositoryNode {
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  readonly tenant?: string;
  readonly trust?: string;
  /**
   * Its resource-based policies: the repository policy (`aws_ecr_repository_policy`), the
   * registry policy of its account (`aws_ecr_registry_policy`) and, for pull-through
   * repositories, the repository creation template's policy.
   */
  readonly policies: readonly Doc[];
}

/** A customer-managed KMS key of one stack. */
export interface KeyNode {
  readonly stack: string;
  readonly id: string;
  readonly arn: string;
  readonly policy: Doc;
}

/** An account's OIDC provider. */
export interface ProviderNode {
  readonly account: string;
  readonly host: string;
  readonly arn: string;
  readonly audiences: readonly string[];
}

/** The ref protections GitLab enforces for one project (from `gitlab_branch_protection` / `gitlab_tag_protection`). */
export interface ProjectProtections {
  readonly branches: Set<string>;
  readonly tags: Set<string>;
}

/** Everything the IAM attack paths need. */
export interface IamModel {
  readonly roles: readonly RoleNode[];
  readonly repositories: readonly RepositoryNode[];
  /**
   * The repositories ECR creates on a first pull through a pull-through cache rule (one
   * representative, `<prefix>/library/pull-through-probe`, per rule), and the cache repositories
   * the account stack creates up front under a rule's prefix (`cachedRepositories`): what every
   * job's base images come from.
   */
  readonly pullThrough: readonly RepositoryNode[];
  readonly keys: readonly KeyNode[];
  readonly providers: readonly ProviderNode[];
  /** By project path; a project listed in no stack's protections has none. */
  readonly protections: ReadonlyMap<string, ProjectProtections>;
}

/** An ID token as STS sees it. */
export interface Token {
  /** Issuer host, e.g. `gitlab.example.com`. */
  readonly host: string;
  readonly sub: string;
  readonly aud: string;
}

const values = (json: SynthJson, type: string): [string, Json][] => Object.entries(json.resource?.[type] ?? {}) as [string, Json][];
const dataValues = (json: SynthJson, type: string): [string, Json][] => Object.entries(json.data?.[type] ?? {}) as [string, Json][];

/**
 * The resource types of provider-aws 21.22.1 that give a role permissions, and the model reads:
 * `aws_iam_role` (`inline_policy`, `managed_policy_arns`), `aws_iam_role_policy`,
 * `aws_iam_role_policy_attachment`, `aws_iam_policy_attachment` (`roles`),
 * `aws_iam_role_policy_attachments_exclusive` (its ARNs counted as attached),
 * `aws_iam_role_policies_exclusive` (only removes inline policies not listed: grants nothing).
 */
export const ROLE_POLICY_FORMS: readonly string[] = [
  "aws_iam_role_policy",
  "aws_iam_role_policy_attachment",
  "aws_iam_policy_attachment",
  "aws_iam_role_policy_attachments_exclusive",
  "aws_iam_role_policies_exclusive",
  "aws_iam_policy",
];

/** Policy forms that attach to users, groups or the account, never to a role: they give no role a permission. */
export const NON_ROLE_POLICY_FORMS: ReadonlySet<string> = new Set([
  "aws_iam_user_policy",
  "aws_iam_user_policy_attachment",
  "aws_iam_user_policies_exclusive",
  "aws_iam_user_policy_attachments_exclusive",
  "aws_iam_group_policy",
  "aws_iam_group_policy_attachment",
  "aws_iam_group_policies_exclusive",
  "aws_iam_group_policy_attachments_exclusive",
  "aws_iam_account_password_policy",
]);

/** Fails closed: a stack using a policy or attachment form the model does not read makes it throw instead of under-counting a role's permissions. */
function failOnUnknownAttachmentForms(stack: string, json: SynthJson): void {
  for (const type of Object.keys(json.resource ?? {})) {
    if (!/^aws_iam_.*(?:polic|attachment)/.test(type)) continue;
    if (ROLE_POLICY_FORMS.includes(type) || NON_ROLE_POLICY_FORMS.has(type)) continue;
    throw new Error(`attack-path model: ${stack} uses ${type}, a policy form the model does not read; teach buildIamModel (test/attack-path/iam-model.ts) what it grants to roles`);
  }
}

/** Builds the model from every stack's synthesized JSON (by stack name). */
export function buildIamModel(stacks: ReadonlyMap<string, SynthJson>): IamModel {
  const roles: RoleNode[] = [];
  const repositories: RepositoryNode[] = [];
  const pullThrough: RepositoryNode[] = [];
  const keys: KeyNode[] = [];
  const providers: ProviderNode[] = [];
  const protections = new Map<string, ProjectProtections>();
  for (const [stack, json] of stacks) {
    const aws = (json.provider as { aws?: Json[] } | undefined)?.aws?.[0];
    const account = String((aws?.allowed_account_ids as string[] | undefined)?.[0]);
    const region = String(aws?.region);
    const references = new Map<string, string>();
    for (const [id, role] of values(json, "aws_iam_role")) {
      references.set(`aws_iam_role.${id}.arn`, `arn:aws:iam::${account}:role/${String(role.name)}`);
      references.set(`aws_iam_role.${id}.name`, String(role.name));
    }
    for (const [id, repo] of values(json, "aws_ecr_repository")) {
      references.set(`aws_ecr_repository.${id}.arn`, `arn:aws:ecr:${region}:${account}:repository/${String(repo.name)}`);
      references.set(`aws_ecr_repository.${id}.name`, String(repo.name));
    }
    for (const [id, parameter] of values(json, "aws_ssm_parameter")) references.set(`aws_ssm_parameter.${id}.arn`, `arn:aws:ssm:${region}:${account}:parameter/${String(parameter.name).replace(/^\//, "")}`);
    for (const [id, bucket] of values(json, "aws_s3_bucket")) references.set(`aws_s3_bucket.${id}.arn`, `arn:aws:s3:::${String(bucket.bucket)}`);
    for (const [id] of values(json, "aws_kms_key")) references.set(`aws_kms_key.${id}.arn`, `arn:aws:kms:${region}:${account}:key/${stack}-${id}`);
    for (const [id] of dataValues(json, "aws_partition")) references.set(`data.aws_partition.${id}.partition`, "aws");
    for (const [id] of dataValues(json, "aws_caller_identity")) references.set(`data.aws_caller_identity.${id}.account_id`, account);
    for (const [id] of dataValues(json, "aws_region")) ["region", "name"].forEach((a) => references.set(`data.aws_region.${id}.${a}`, region));
    // Fleets by the ARNs the write net's protected scope gives them (fleet-scope.ts).
    for (const [id] of values(json, "aws_launch_template")) references.set(`aws_launch_template.${id}.arn`, launchTemplateArn(region, account, stack, id));
    for (const [id, group] of values(json, "aws_autoscaling_group")) references.set(`aws_autoscaling_group.${id}.arn`, autoScalingGroupArn(region, account, String(group.name)));
    const resolve = (text: string) => text.replace(/\$\{((?:data\.)?[a-z_]+\.[^.}]+\.(?:arn|name|partition|account_id|region))\}/g, (whole, ref: string) => references.get(ref) ?? whole);
    const registryPolicies = values(json, "aws_ecr_registry_policy").map(([, p]) => JSON.parse(resolve(String(p.policy))) as Doc);
    const repositoryPolicies = new Map<string, Doc[]>();
    for (const [, policy] of values(json, "aws_ecr_repository_policy")) {
      const name = resolve(String(policy.repository));
      repositoryPolicies.set(name, [...(repositoryPolicies.get(name) ?? []), JSON.parse(resolve(String(policy.policy))) as Doc]);
    }
    const cachePrefixes = values(json, "aws_ecr_pull_through_cache_rule").map(([, rule]) => String(rule.ecr_repository_prefix));
    for (const [, repo] of values(json, "aws_ecr_repository")) {
      const name = String(repo.name);
      const tags = (repo.tags ?? {}) as Record<string, string>;
      const arn = `arn:aws:ecr:${region}:${account}:repository/${name}`;
      // A pull-through cache repository created up front (cachedRepositories): every pull through the rule caches into it.
      if (cachePrefixes.some((prefix) => name.startsWith(`${prefix}/`))) {
        pullThrough.push({ stack, name, arn, trust: "pull-through", policies: [...(repositoryPolicies.get(name) ?? []), ...registryPolicies] });
        continue;
      }
      repositories.push({ stack, name, arn, ...(tags.tenant ? { tenant: tags.tenant } : {}), ...(tags.trust ? { trust: tags.trust } : {}), policies: [...(repositoryPolicies.get(name) ?? []), ...registryPolicies] });
    }
    const templates = values(json, "aws_ecr_repository_creation_template").map(([, t]) => t);
    for (const [, rule] of values(json, "aws_ecr_pull_through_cache_rule")) {
      const name = `${String(rule.ecr_repository_prefix)}/library/pull-through-probe`;
      const template = templates.find((t) => t.prefix === "ROOT" || name.startsWith(`${String(t.prefix)}/`));
      const templatePolicy = template?.repository_policy === undefined ? [] : [JSON.parse(resolve(String(template.repository_policy))) as Doc];
      pullThrough.push({ stack, name, arn: `arn:aws:ecr:${region}:${account}:repository/${name}`, trust: "pull-through", policies: [...templatePolicy, ...registryPolicies] });
    }
    for (const [id, key] of values(json, "aws_kms_key")) {
      keys.push({ stack, id, arn: `arn:aws:kms:${region}:${account}:key/${stack}-${id}`, policy: JSON.parse(resolve(String(key.policy))) as Doc });
    }
    failOnUnknownAttachmentForms(stack, json);
    failOnUnmodelledGrants(stack, json);
    const attached = roleAttachmentsOf(stack, json, account, resolve);
    const customerManaged = attached.customerManaged;
    for (const [id, role] of values(json, "aws_iam_role")) {
      const name = String(role.name);
      roles.push({
        stack,
        account,
        name,
        arn: `arn:aws:iam::${account}:role/${name}`,
        trust: JSON.parse(resolve(String(role.assume_role_policy))) as Doc,
        policies: attached.inline.get(id) ?? [],
        managedPolicyArns: attached.managed.get(id) ?? [],
        customerManaged,
      });
    }
    for (const [, provider] of values(json, "aws_iam_openid_connect_provider")) {
      const host = String(provider.url).replace(/^https:\/\//, "");
      providers.push({ account, host, arn: `arn:aws:iam::${account}:oidc-provider/${host}`, audiences: provider.client_id_list as string[] });
    }
    const projectOf = new Map(dataValues(json, "gitlab_project").map(([id, p]) => [`\${data.gitlab_project.${id}.id}`, String(p.path_with_namespace)]));
    const protectionOf = (project: unknown): ProjectProtections => {
      const path = projectOf.get(String(project)) ?? String(project);
      if (!protections.has(path)) protections.set(path, { branches: new Set(), tags: new Set() });
      return protections.get(path)!;
    };
    for (const [, p] of values(json, "gitlab_branch_protection")) protectionOf(p.project).branches.add(String(p.branch));
    for (const [, p] of values(json, "gitlab_tag_protection")) protectionOf(p.project).tags.add(String(p.tag));
  }
  return { roles, repositories, pullThrough, keys, providers, protections };
}

/**
 * GitLab's protected-ref matching (`Gitlab::RefMatcher`, lib/gitlab/ref_matcher.rb):
 * exact name, or a pattern with `*` (`.*?`, any run); every other character literal.
 * Written independently of IAM's matcher on purpose.
 */
export function gitlabRefMatches(pattern: string, ref: string): boolean {
  if (pattern === ref) return true;
  if (!pattern.includes("*")) return false;
  const regex = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")).join(".*?")}$`, "s");
  return regex.test(ref);
}

/** Whether GitLab protects a ref of a project, given the protections in the model. */
export function isProtected(model: IamModel, projectPath: string, refType: "branch" | "tag", ref: string): boolean {
  const p = model.protections.get(projectPath);
  if (!p) return false;
  return [...(refType === "branch" ? p.branches : p.tags)].some((pattern) => gitlabRefMatches(pattern, ref));
}

/** The roles a token can assume directly (`sts:AssumeRoleWithWebIdentity`): the account's provider must accept its aud, then the trust policy decides. */
export function assumableWithToken(model: IamModel, token: Token): RoleNode[] {
  return model.roles.filter((role) => {
    const provider = model.providers.find((p) => p.account === role.account && p.host === token.host);
    if (!provider || !provider.audiences.includes(token.aud)) return false;
    const decision = evaluatePolicy(role.trust, {
      principal: { type: "Federated", id: provider.arn },
      action: "sts:AssumeRoleWithWebIdentity",
      context: { [`${token.host}:sub`]: token.sub, [`${token.host}:aud`]: token.aud },
    });
    return decision === "allow";
  });
}

/**
 * Whether a role's own permissions allow an action on a resource: its inline policies and its
 * managed policies (administrator-level ones allow everything; an unknown one throws: the
 * model fails closed instead of guessing).
 */
export function roleAllows(role: RoleNode, action: string, resource: string, context: IamRequest["context"] = {}): boolean {
  // A model's roles do not change once built, and every check of a scenario asks the same questions: remember the answers per role.
  let answers = roleAnswers.get(role);
  if (!answers) roleAnswers.set(role, (answers = new Map()));
  const key = `${action}\u0000${resource}\u0000${JSON.stringify(context)}`;
  let answer = answers.get(key);
  if (answer === undefined) answers.set(key, (answer = evaluateRole(role, action, resource, context)));
  return answer;
}
const roleAnswers = new WeakMap<RoleNode, Map<string, boolean>>();

/** {@link roleAllows} without the memo. */
function evaluateRole(role: RoleNode, action: string, resource: string, context: IamRequest["context"]): boolean {
  const managed = role.managedPolicyArns.map((arn) => managedPolicyOf(arn, role.customerManaged));
  if (managed.includes("all")) return true;
  const documents = [...role.policies, ...managed.filter((m): m is Doc => m !== "all")];
  const decisions = documents.map((doc) => evaluatePolicy(doc, { action, resource, context }));
  return !decisions.includes("explicit-deny") && decisions.includes("allow");
}

/** The request context IAM sets for a role session calling an API (`aws:PrincipalArn` is the role's ARN). */
const sessionContext = (role: RoleNode) => ({ "aws:PrincipalArn": role.arn, "aws:PrincipalAccount": role.account });

/**
 * Whether `role` may call `action` on a resource with resource-based policies `policies`, in
 * `resourceAccount` ("Policy evaluation logic"): an explicit Deny in any policy refuses; in the
 * same account the identity policy or a resource policy naming the role suffices, and a
 * resource policy naming only the account (`:root`) delegates to the identity policy; across
 * accounts both the identity policy and a resource policy (naming the role or its account) are
 * needed. With `resourcePolicyRequired` (role trust policies, KMS key policies) the resource
 * policy must allow in the same account too (directly, or by naming the account and the identity
 * policy allowing).
 */
export function principalMay(
  role: RoleNode,
  action: string,
  resource: { readonly arn: string; readonly account: string; readonly policies: readonly Doc[] },
  options: { readonly resourcePolicyRequired?: boolean; readonly context?: IamRequest["context"] } = {},
): boolean {
  // As roleAllows: a model's roles and policy documents do not change once built (a planted scenario
  // builds new ones), and a scenario's checks ask the same questions many times (the attack-path
  // files asked about 800,000 times for 50,000 answers). The key holds everything the answer reads:
  // the role (per-role map), the action, the resource's ARN, account and policy documents (by
  // identity), and the options.
  let answers = mayAnswers.get(role);
  if (!answers) mayAnswers.set(role, (answers = new Map()));
  const key = `${action}\u0000${resource.arn}\u0000${resource.account}\u0000${resource.policies.map(documentId).join(",")}\u0000${options.resourcePolicyRequired === true}\u0000${options.context === undefined ? "" : JSON.stringify(options.context)}`;
  let answer = answers.get(key);
  if (answer === undefined) answers.set(key, (answer = evaluatePrincipal(role, action, resource, options)));
  return answer;
}
const mayAnswers = new WeakMap<RoleNode, Map<string, boolean>>();
const documentIds = new WeakMap<Doc, number>();
let nextDocumentId = 0;
/** A number per policy document object, for memo keys. */
function documentId(document: Doc): number {
  let id = documentIds.get(document);
  if (id === undefined) documentIds.set(document, (id = ++nextDocumentId));
  return id;
}

/** {@link principalMay} without the memo. */
function evaluatePrincipal(
  role: RoleNode,
  action: string,
  resource: { readonly arn: string; readonly account: string; readonly policies: readonly Doc[] },
  options: { readonly resourcePolicyRequired?: boolean; readonly context?: IamRequest["context"] },
): boolean {
  const context = { ...sessionContext(role), ...options.context };
  const decisions = resource.policies.map((doc) => evaluateResourcePolicy(doc, { principal: { type: "AWS", id: role.arn }, action, resource: resource.arn, context }));
  if (decisions.includes("explicit-deny")) return false;
  const identity = roleAllows(role, action, resource.arn, context);
  const direct = decisions.includes("allow");
  const delegated = decisions.includes("allow-if-identity-allows");
  if (resource.account !== role.account) return identity && (direct || delegated);
  if (options.resourcePolicyRequired) return direct || (delegated && identity);
  return identity || direct;
}

/** Role chaining: the roles `from` can assume with `sts:AssumeRole` (the target's trust policy, naming `from` or its account, and `from`'s permissions). */
export function chainedFrom(model: IamModel, from: RoleNode): RoleNode[] {
  return model.roles.filter(
    (target) => target !== from && principalMay(from, "sts:AssumeRole", { arn: target.arn, account: target.account, policies: [target.trust] }, { resourcePolicyRequired: true }),
  );
}

/** Every role a token reaches: the ones it assumes directly, and their role-chaining closure. */
export function reachableWithToken(model: IamModel, token: Token): RoleNode[] {
  const reached = new Set<RoleNode>(assumableWithToken(model, token));
  const queue = [...reached];
  while (queue.length > 0) {
    for (const next of chainedFrom(model, queue.shift()!)) {
      if (!reached.has(next)) {
        reached.add(next);
        queue.push(next);
      }
    }
  }
  return [...reached];
}

const accountOfArn = (arn: string) => arn.split(":")[4]!;
const repositoryResource = (r: RepositoryNode) => ({ arn: r.arn, account: accountOfArn(r.arn), policies: r.policies });

/** The repositories a role may push to (`ecr:PutImage`): identity and repository policies of every stack. */
export function pushableBy(model: IamModel, role: RoleNode): RepositoryNode[] {
  return model.repositories.filter((r) => principalMay(role, "ecr:PutImage", repositoryResource(r)));
}

/** The repositories a role may pull from (`ecr:BatchGetImage`): identity and repository policies of every stack. */
export function pullableBy(model: IamModel, role: RoleNode): RepositoryNode[] {
  return model.repositories.filter((r) => principalMay(role, "ecr:BatchGetImage", repositoryResource(r)));
}

/** The pull-through repositories a role may push to (`ecr:PutImage`): an image planted there is every job's base image. */
export function pullThroughPushableBy(model: IamModel, role: RoleNode): RepositoryNode[] {
  return model.pullThrough.filter((r) => principalMay(role, "ecr:PutImage", repositoryResource(r)));
}

/**
 * Whether `role` may decrypt with a KMS key through SSM for a parameter: the key policy is
 * required (naming the role, or naming the account and the role's IAM policy allowing),
 * "Key policies in AWS KMS". SSM calls KMS with `kms:ViaService` and the parameter's ARN as
 * encryption context.
 */
export function decryptsWithKey(key: KeyNode, role: RoleNode, region: string, parameterArn: string): boolean {
  return principalMay(
    role,
    "kms:Decrypt",
    { arn: key.arn, account: accountOfArn(key.arn), policies: [key.policy] },
    { resourcePolicyRequired: true, context: { "kms:ViaService": `ssm.${region}.amazonaws.com`, "kms:EncryptionContext:PARAMETER_ARN": parameterArn } },
  );
}

/** A role that deploys: the environments' deployment roles (assumed by role chaining, holding the deployment's permissions). */
export function deploys(role: RoleNode): boolean {
  return role.name.endsWith("-deployment");
}

/** Every audience any account's provider accepts: what a job may request (GitLab lets any job request any `aud`). */
export function everyAudience(model: IamModel): string[] {
  return [...new Set(model.providers.flatMap((p) => p.audiences))];
}

/** Whether `pattern` (an IAM StringLike value) could match `sub`. */
export const subMatches = (pattern: string, sub: string): boolean => wildcardMatch(pattern, sub);
