/*
 * Runner routing and what runner hosts reach, computed from the synthesized
 * JSON of all stacks (see runner-model.ts).
 *
 * GitLab's routing rules (GitLab docs, "Configuring runners": "Use tags to
 * control which jobs a runner can run", "Prevent runners from revealing
 * sensitive information"; REST runners API `access_level`):
 * - a job runs on a runner whose tags include every tag of the job;
 * - a job without tags runs only on runners that take untagged jobs;
 * - a `ref_protected` runner runs only jobs of protected branches and tags;
 * - a group runner serves every project of the group and its subgroups, a
 *   project runner the projects it is registered for or enabled in.
 *
 * What a host reaches is what its instance role may do (identity policies;
 * conditions are ignored, which can only widen what is found), with SSM
 * SecureStrings also needing the key: the AWS-managed `aws/ssm` key lets any
 * principal that may call `ssm:GetParameter` decrypt; a customer key needs
 * its key policy to name the role by reference or literal ARN (conditions
 * evaluated, the parameter's ARN as encryption context), or to delegate to IAM
 * (a statement naming the account root or the bare account id with
 * `kms:Decrypt`) and the role's identity policy to allow `kms:Decrypt` on the
 * key; the key policy goes through `evaluateResourcePolicy`, as in the IAM model.
 */
import { evaluateResourcePolicy } from "../support/iam-evaluator";
import { cacheObjectProbes } from "./cache-keys";
import { mayReadParameter } from "./parameter-reads";
import { type HostModel, type ParameterModel, type RegistrationModel, type StackModel, type StatementModel } from "./runner-model";

/** A job as the runner routing sees it. */
export interface Job {
  /** The project the pipeline runs in. */
  readonly projectPath: string;
  /** Whether its ref is protected. */
  readonly refProtected: boolean;
  /** The job's `tags:`. */
  readonly tags: readonly string[];
}

/** Whether GitLab can give `job` to the runner. */
export function landsOn(job: Job, runner: RegistrationModel): boolean {
  if (runner.accessLevel === "ref_protected" && !job.refProtected) return false;
  const scope = runner.scope;
  const inScope =
    scope.kind === "instance" ||
    (scope.kind === "group" && job.projectPath.startsWith(`${scope.path}/`)) ||
    (scope.kind === "project" && scope.paths.includes(job.projectPath));
  if (!inScope) return false;
  return job.tags.length === 0 ? runner.untagged : job.tags.every((t) => runner.tags.includes(t));
}

/** Every registration of every stack `job` can land on. */
export function registrationsFor(job: Job, stacks: readonly StackModel[]): RegistrationModel[] {
  return stacks.flatMap((s) => s.registrations.filter((r) => landsOn(job, r)));
}

/** The hosts running a registration: those whose config.toml uses its token parameter. */
export function hostsOf(registration: RegistrationModel, stacks: readonly StackModel[]): HostModel[] {
  const stack = stacks.find((s) => s.stack === registration.stack)!;
  return stack.hosts.filter((h) => h.runners.some((r) => r.tokenParameter === registration.tokenParameter));
}

/**
 * Whether any job of the registration is root on its hosts: the docker socket, privileged mode, or a
 * host directory mounted writable into the job (`<host>:<container>` without `:ro`; the host runs
 * what a job plants in `/usr/local/bin`, systemd units or cron), read from the rendered config.toml.
 */
export function controlsHost(registration: RegistrationModel, stacks: readonly StackModel[]): boolean {
  return hostsOf(registration, stacks)
    .flatMap((h) => h.runners)
    .some((r) => r.tokenParameter === registration.tokenParameter && (r.socketBinding || r.privileged || r.volumes.some(writableHostDirectory)));
}

function writableHostDirectory(volume: string): boolean {
  const [host, container, mode] = volume.split(":");
  return container !== undefined && host!.startsWith("/") && !(mode ?? "").split(",").includes("ro");
}

/** IAM wildcard match (`*` any characters, `?` one), case-insensitive for actions. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`;
  return new RegExp(source, ignoreCase ? "i" : "").test(value);
}

/** Whether an Allow statement grants `action` on `resource` (Deny statements and conditions ignored: this over-approximates). */
export function allows(statements: readonly StatementModel[], action: string, resource: string): boolean {
  return statements.some(
    (s) => s.effect === "Allow" && s.actions.some((a) => wildcardMatch(a, action, true)) && s.resources.some((r) => wildcardMatch(r, resource)),
  );
}

/**
 * Whether the role may decrypt the parameter through SSM: the key policy evaluated by
 * `evaluateResourcePolicy` (the evaluator the IAM model uses, so the two cannot disagree), with
 * the request SSM makes (`kms:ViaService`, the parameter's ARN as encryption context). A
 * statement naming the role (reference or literal ARN) decides alone; one naming its account
 * (`arn:aws:iam::<account>:root` or the bare account id, which AWS reads as the root) delegates
 * to the role's identity policy allowing `kms:Decrypt` on the key ("Key policies in AWS KMS").
 */
export function canDecrypt(stack: StackModel, roleId: string, parameter: ParameterModel): boolean {
  if (parameter.key === "aws/ssm") return true;
  const document = stack.keyDocuments.get(parameter.key);
  if (document === undefined) return false;
  const roleArn = stack.roleArns.get(roleId) ?? `arn:aws:iam::${stack.accountId}:role/${roleId}`;
  const decision = evaluateResourcePolicy(document, {
    principal: { type: "AWS", id: roleArn },
    action: "kms:Decrypt",
    resource: `arn:aws:kms:${stack.region}:${stack.accountId}:key/${parameter.key}`,
    context: {
      "kms:ViaService": `ssm.${stack.region}.amazonaws.com`,
      "kms:EncryptionContext:PARAMETER_ARN": parameter.arn,
      "aws:PrincipalArn": roleArn,
      "aws:PrincipalAccount": stack.accountId,
    },
  });
  if (decision === "allow") return true;
  if (decision !== "allow-if-identity-allows") return false;
  return allows(stack.rolePolicies.get(roleId) ?? [], "kms:Decrypt", `\${aws_kms_key.${parameter.key}.arn}`);
}

/** Whether the role reads the parameter's value: any SSM call returning it (parameter-reads.ts) and the key's decrypt. */
export function canReadParameter(stack: StackModel, roleId: string, parameter: ParameterModel): boolean {
  const policy = stack.rolePolicies.get(roleId) ?? [];
  return mayReadParameter(parameter.arn, (action, resource) => allows(policy, action, resource)) && canDecrypt(stack, roleId, parameter);
}

/** What a host role reaches in its stack. */
export interface HostReach {
  /** SecureString parameter names whose value it reads. */
  readonly parameters: readonly string[];
  /** Cache key prefixes (of the stack's buckets) it may write objects under. */
  readonly cacheWrites: readonly string[];
  /** Cache key prefixes it may read objects from. */
  readonly cacheReads: readonly string[];
  /** Repository names it may push to. */
  readonly pushes: readonly string[];
  /** Repository names it may pull from (`ecr:BatchGetImage`): the images its jobs may name as `image:`. */
  readonly pulls: readonly string[];
}

/** What `roleId` reaches; cache prefixes are probed with the given key prefixes (e.g. `runner-cache/protected`). */
export function reachOf(stack: StackModel, roleId: string, cachePrefixes: readonly string[]): HostReach {
  const policy = stack.rolePolicies.get(roleId) ?? [];
  const patterns = policy.flatMap((s) => s.resources);
  // Every key layout of the prefix (Shared or per runner), probed with ARNs inside the role's own patterns (cache-keys.ts).
  const probe = (action: string) =>
    cachePrefixes.filter((prefix) => [...stack.buckets.values()].some((bucket) => cacheObjectProbes(bucket, prefix, patterns).some((arn) => allows(policy, action, arn))));
  return {
    parameters: stack.parameters.filter((p) => canReadParameter(stack, roleId, p)).map((p) => p.name),
    cacheWrites: probe("s3:PutObject"),
    cacheReads: probe("s3:GetObject"),
    pushes: [...stack.repositories.values()].filter((r) => allows(policy, "ecr:PutImage", r.arn)).map((r) => r.name),
    pulls: [...stack.repositories.values()].filter((r) => allows(policy, "ecr:BatchGetImage", r.arn)).map((r) => r.name),
  };
}

/** The stack's registrations whose token parameter a role reads. */
export function tokensReadBy(stack: StackModel, roleId: string): RegistrationModel[] {
  const readable = new Set(reachOf(stack, roleId, []).parameters);
  return stack.registrations.filter((r) => r.tokenParameter !== undefined && readable.has(r.tokenParameter));
}
