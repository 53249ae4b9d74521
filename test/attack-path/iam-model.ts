/*
 * The IAM half of the attack-path model, read from the synthesized Terraform
 * JSON of every stack of an app together: roles with their trust policies
 * and permissions, ECR repositories, the accounts' OIDC providers and the
 * GitLab ref protections. References between resources (`${aws_iam_role.X.arn}`,
 * `${aws_ecr_repository.X.arn}`) are resolved to the ARNs they will have, so
 * policies can be evaluated as IAM would.
 */
import { type SynthJson } from "../support/synth";
import { evaluatePolicy, wildcardMatch } from "../support/iam-evaluator";

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
}

/** An ECR repository of one stack. */
export interface RepositoryNode {
  readonly stack: string;
  readonly name: string;
  readonly arn: string;
  readonly tenant?: string;
  readonly trust?: string;
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

/** Builds the model from every stack's synthesized JSON (by stack name). */
export function buildIamModel(stacks: ReadonlyMap<string, SynthJson>): IamModel {
  const roles: RoleNode[] = [];
  const repositories: RepositoryNode[] = [];
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
      const arn = `arn:aws:ecr:${region}:${account}:repository/${String(repo.name)}`;
      references.set(`aws_ecr_repository.${id}.arn`, arn);
      const tags = (repo.tags ?? {}) as Record<string, string>;
      repositories.push({ stack, name: String(repo.name), arn, ...(tags.tenant ? { tenant: tags.tenant } : {}), ...(tags.trust ? { trust: tags.trust } : {}) });
    }
    const resolve = (text: string) => text.replace(/\$\{([a-z_]+\.[^.}]+\.(?:arn|name))\}/g, (whole, ref: string) => references.get(ref) ?? whole);
    const policiesOf = new Map<string, Doc[]>();
    const managedOf = new Map<string, string[]>();
    for (const [, policy] of values(json, "aws_iam_role_policy")) {
      const role = resolve(String(policy.role));
      policiesOf.set(role, [...(policiesOf.get(role) ?? []), JSON.parse(resolve(String(policy.policy))) as Doc]);
    }
    for (const [, attachment] of values(json, "aws_iam_role_policy_attachment")) {
      const role = resolve(String(attachment.role));
      managedOf.set(role, [...(managedOf.get(role) ?? []), String(attachment.policy_arn)]);
    }
    for (const [, role] of values(json, "aws_iam_role")) {
      const name = String(role.name);
      roles.push({
        stack,
        account,
        name,
        arn: `arn:aws:iam::${account}:role/${name}`,
        trust: JSON.parse(resolve(String(role.assume_role_policy))) as Doc,
        policies: policiesOf.get(name) ?? [],
        managedPolicyArns: managedOf.get(name) ?? [],
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
  return { roles, repositories, providers, protections };
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

/** Whether a role's own permissions allow an action on a resource (inline policies; administrator managed policies allow everything). */
export function roleAllows(role: RoleNode, action: string, resource: string): boolean {
  if (role.managedPolicyArns.some((arn) => /:policy\/(AdministratorAccess|PowerUserAccess)$/.test(arn))) return true;
  const decisions = role.policies.map((doc) => evaluatePolicy(doc, { action, resource }));
  return !decisions.includes("explicit-deny") && decisions.includes("allow");
}

/** Role chaining: the roles `from` can assume with `sts:AssumeRole` (its permissions and the target's trust both allow it). */
export function chainedFrom(model: IamModel, from: RoleNode): RoleNode[] {
  return model.roles.filter(
    (target) =>
      target !== from &&
      roleAllows(from, "sts:AssumeRole", target.arn) &&
      evaluatePolicy(target.trust, { principal: { type: "AWS", id: from.arn }, action: "sts:AssumeRole" }) === "allow",
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

/** The repositories a role may push to (`ecr:PutImage`). */
export function pushableBy(model: IamModel, role: RoleNode): RepositoryNode[] {
  return model.repositories.filter((r) => r.stack === role.stack && roleAllows(role, "ecr:PutImage", r.arn));
}

/** The repositories a role may pull from (`ecr:BatchGetImage`). */
export function pullableBy(model: IamModel, role: RoleNode): RepositoryNode[] {
  return model.repositories.filter((r) => r.stack === role.stack && roleAllows(role, "ecr:BatchGetImage", r.arn));
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
