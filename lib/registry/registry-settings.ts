import { EcrPullThroughCacheRule } from "@cdktf/provider-aws/lib/ecr-pull-through-cache-rule";
import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepositoryCreationTemplate } from "@cdktf/provider-aws/lib/ecr-repository-creation-template";
import { Construct } from "constructs";
import { parseSecretArn } from "../core/aws";
import { check, checkOneOf, ValidationError } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { renderLifecyclePolicy, validateLifecyclePolicy, type LifecyclePolicyDocument } from "./lifecycle/policy";
import { type RepositoryEncryption } from "./repository";
import { checkAgainstAwsProvider } from "../core/provider-context";
import { type EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import {
  type CacheRepositorySettings,
  cachedRepositoryName,
  createCachedRepository,
  encryptionConfigurationOf,
  validateCachedRepositories,
} from "./pull-through-repositories";

/** Upstream registries ECR pull-through cache supports, with their registry URL. */
export const PULL_THROUGH_UPSTREAMS = {
  "ecr-public": { url: "public.ecr.aws", needsCredential: false },
  k8s: { url: "registry.k8s.io", needsCredential: false },
  quay: { url: "quay.io", needsCredential: false },
  "docker-hub": { url: "registry-1.docker.io", needsCredential: true },
  ghcr: { url: "ghcr.io", needsCredential: true },
  "gitlab-container-registry": { url: "registry.gitlab.com", needsCredential: true },
} as const;

/** One of the upstreams in {@link PULL_THROUGH_UPSTREAMS}. */
export type PullThroughUpstream = keyof typeof PULL_THROUGH_UPSTREAMS;

/** A pull-through cache rule: `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<upstream image>`. */
export interface PullThroughCacheRuleOptions {
  /** The upstream registry. */
  readonly upstream: PullThroughUpstream;
  /**
   * The repository prefix images are pulled through, e.g. `docker-hub`.
   * @default the upstream's name
   */
  readonly prefix?: string;
  /**
   * ARN of a Secrets Manager secret in this account and region whose name starts with
   * `ecr-pullthroughcache/` (keys `username` and `accessToken`). Required by docker-hub,
   * ghcr and gitlab-container-registry; not allowed for the anonymous upstreams.
   * @default none
   */
  readonly credentialSecretArn?: string;
  /**
   * Upstream repository paths (the image's path in the upstream registry, without registry host
   * and tag, e.g. `docker/library/alpine` for `public.ecr.aws/docker/library/alpine`) whose cache
   * repositories `<prefix>/<path>` the account stack creates up front, with the settings the
   * repository creation template gives the repositories ECR creates on a first pull (encryption,
   * tag mutability, lifecycle policy, repository policy and resource tags: one
   * {@link CacheRepositorySettings} for both; no `force_delete`). A first pull needs
   * `ecr:CreateRepository` only when the cache repository does not exist yet (Amazon ECR User
   * Guide, pull-through-cache-iam.html), which unprotected CI roles may not do: list the base
   * images merge requests pull before a protected pipeline has pulled them. The full name must be
   * an ECR repository name (2-256 characters: Amazon ECR API Reference, CreateRepository).
   * @default none (every cache repository is created by its first pull)
   * @throws ValidationError for an empty path, a path starting with the prefix, a full name outside
   *   the ECR repository name grammar, or a repository listed twice in the registry
   */
  readonly cachedRepositories?: readonly string[];
}

/**
 * One pull-through cache rule as plain values (no tokens), so that consumers
 * in other stacks (the ECR pull-through mirror, CI templates) can derive image
 * names from it without cross-stack references.
 */
export interface PullThroughCacheRuleInfo {
  /** The repository prefix, e.g. `docker-hub`. */
  readonly prefix: string;
  /** The upstream registry. */
  readonly upstream: PullThroughUpstream;
  /** The upstream registry's host, e.g. `registry-1.docker.io`. */
  readonly upstreamRegistryUrl: string;
}

/** Registry-wide vulnerability scanning. */
export interface RegistryScanningOptions {
  /**
   * BASIC (free, on push) or ENHANCED (Amazon Inspector, billed per image, continuous).
   * @default "BASIC"
   */
  readonly scanType?: "BASIC" | "ENHANCED";
  /**
   * Scan frequency applied to every repository.
   * @default "SCAN_ON_PUSH" for BASIC, "CONTINUOUS_SCAN" for ENHANCED
   */
  readonly frequency?: "SCAN_ON_PUSH" | "CONTINUOUS_SCAN" | "MANUAL";
}

/** Props of {@link RegistrySettings}. */
export interface RegistrySettingsProps {
  /**
   * Registry scanning configuration (one per account and region).
   * @default basic scan on push for every repository
   */
  readonly scanning?: RegistryScanningOptions;
  /**
   * Pull-through cache rules.
   * @default none
   */
  readonly pullThroughCache?: readonly PullThroughCacheRuleOptions[];
  /**
   * Days after it was cached that a pull-through cached image expires (the
   * creation template's lifecycle policy; the next pull fetches it from
   * upstream again); untagged images expire after 1 day.
   * @default 30
   */
  readonly cachedImageExpiryDays?: number;
  /**
   * Encryption of repositories created on first pull.
   * @default { type: "AES256" }
   */
  readonly cacheEncryption?: RepositoryEncryption;
  /**
   * Role ECR assumes to apply KMS encryption or tags from the creation template.
   * Required with KMS encryption.
   * @default none
   */
  readonly creationTemplateRoleArn?: string;
  /**
   * The account id the settings are deployed to, to check credential secrets against.
   * @default not checked
   */
  readonly accountId?: string;
  /**
   * The region the settings are deployed to, to check credential secrets against.
   * @default not checked
   */
  readonly region?: string;
}

/** `ecrRepositoryPrefix`: 2-30 characters of repository-name grammar. */
const PREFIX = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** The name prefix ECR requires of pull-through cache credential secrets. */
export const PULL_THROUGH_SECRET_PREFIX = "ecr-pullthroughcache/";

/**
 * Registry-wide ECR settings: one per account and region, so they belong in
 * the account stack. Registry scanning, pull-through cache rules, and a
 * repository creation template that gives repositories created on first pull
 * encryption and an expiry lifecycle policy.
 */
export class RegistrySettings extends Construct {
  /** The pull-through cache rules by prefix. */
  public readonly pullThroughRules: ReadonlyMap<string, EcrPullThroughCacheRule>;
  /** The pull-through cache rules as plain values, in configuration order. */
  public readonly pullThroughCacheRules: readonly PullThroughCacheRuleInfo[];
  /** The lifecycle policy applied to repositories created by pull-through cache. */
  public readonly cacheLifecyclePolicy: LifecyclePolicyDocument;
  /**
   * The settings of every pull-through cache repository: those the creation template gives and
   * those of the repositories created up front (undefined without pull-through cache rules).
   */
  public readonly cacheRepositorySettings?: CacheRepositorySettings;
  /** The cache repositories created up front (`cachedRepositories` of each rule), by full name. */
  public readonly cachedRepositories: ReadonlyMap<string, EcrRepository>;

  public constructor(scope: Construct, id: string, props: RegistrySettingsProps = {}) {
    super(scope, id);
    const path = this.node.path;
    checkAgainstAwsProvider(this, path, { accountId: props.accountId, region: props.region });
    validateRegistrySettings(path, props);

    const { scanType, frequency } = scanningOf(props.scanning);
    new EcrRegistryScanningConfiguration(this, "scanning", {
      scanType,
      rule: [{ scanFrequency: frequency, repositoryFilter: [{ filter: "*", filterType: "WILDCARD" }] }],
    });

    const rules = new Map<string, EcrPullThroughCacheRule>();
    const ruleInfos: PullThroughCacheRuleInfo[] = [];
    (props.pullThroughCache ?? []).forEach((options) => {
      const upstream = PULL_THROUGH_UPSTREAMS[options.upstream];
      const prefix = options.prefix ?? options.upstream;
      ruleInfos.push({ prefix, upstream: options.upstream, upstreamRegistryUrl: upstream.url });
      rules.set(
        prefix,
        new EcrPullThroughCacheRule(this, `pull-through-${prefix.replace(/[^a-z0-9]+/g, "-")}`, {
          ecrRepositoryPrefix: prefix,
          upstreamRegistryUrl: upstream.url,
          ...(options.credentialSecretArn ? { credentialArn: options.credentialSecretArn } : {}),
        }),
      );
    });
    this.pullThroughRules = rules;
    this.pullThroughCacheRules = ruleInfos;

    this.cacheLifecyclePolicy = cacheLifecyclePolicyOf(props.cachedImageExpiryDays ?? 30);

    const cached = new Map<string, EcrRepository>();
    if (rules.size > 0) {
      const encryption = props.cacheEncryption ?? { type: "AES256" };
      check(encryption.type !== "KMS" || props.creationTemplateRoleArn !== undefined, {
        path,
        subject: "creationTemplateRoleArn",
        value: props.creationTemplateRoleArn,
        rule: "a repository creation template with KMS encryption needs a role ECR can assume to use the key",
        fix: "pass creationTemplateRoleArn, or use AES256 encryption for cached repositories",
      });
      const settings: CacheRepositorySettings = {
        imageTagMutability: "MUTABLE",
        encryption,
        lifecyclePolicy: renderLifecyclePolicy(this.cacheLifecyclePolicy),
      };
      this.cacheRepositorySettings = settings;
      new EcrRepositoryCreationTemplate(this, "pull-through-template", {
        prefix: "ROOT",
        appliedFor: ["PULL_THROUGH_CACHE"],
        description: "Repositories created on first pull through the cache",
        imageTagMutability: settings.imageTagMutability,
        encryptionConfiguration: [encryptionConfigurationOf(settings.encryption)],
        lifecyclePolicy: settings.lifecyclePolicy,
        ...(settings.repositoryPolicy !== undefined ? { repositoryPolicy: settings.repositoryPolicy } : {}),
        ...(settings.resourceTags !== undefined ? { resourceTags: { ...settings.resourceTags } } : {}),
        ...(props.creationTemplateRoleArn ? { customRoleArn: props.creationTemplateRoleArn } : {}),
      });
      ruleInfos.forEach((info, i) => {
        for (const upstreamPath of props.pullThroughCache![i]!.cachedRepositories ?? []) {
          const name = cachedRepositoryName(info.prefix, upstreamPath);
          cached.set(name, createCachedRepository(this, name, settings));
        }
      });
    }
    this.cachedRepositories = cached;
  }
}

/** The scan type and frequency of `scanning`, defaults applied. */
function scanningOf(scanning: RegistryScanningOptions | undefined): Required<RegistryScanningOptions> {
  const scanType = scanning?.scanType ?? "BASIC";
  return { scanType, frequency: scanning?.frequency ?? (scanType === "BASIC" ? "SCAN_ON_PUSH" : "CONTINUOUS_SCAN") };
}

/** The lifecycle policy of repositories created by pull-through cache: untagged layers after a day, images after `expiryDays`. */
function cacheLifecyclePolicyOf(expiryDays: number): LifecyclePolicyDocument {
  return {
    rules: [
      {
        rulePriority: 1,
        description: "Expire untagged cached layers after 1 day",
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Expire images cached more than ${expiryDays} days ago (the next pull fetches them from upstream again)`,
        selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: expiryDays },
        action: { type: "expire" },
      },
    ],
  };
}

/** Scan types of ECR registry scanning (ECR API Reference, `PutRegistryScanningConfiguration` scanType: BASIC | ENHANCED). */
export const REGISTRY_SCAN_TYPES = ["BASIC", "ENHANCED"] as const;
/** Scan frequencies of a registry scanning rule (ECR API Reference, `RegistryScanningRule` scanFrequency: SCAN_ON_PUSH | CONTINUOUS_SCAN | MANUAL). */
export const REGISTRY_SCAN_FREQUENCIES = ["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"] as const;

/**
 * The rules of {@link RegistrySettingsProps}, checked by {@link RegistrySettings} at construction
 * and by the platform's configuration check at the config path of an account's `registry`:
 * scanning type and frequency (ENHANCED for continuous scans), each pull-through rule's upstream
 * ({@link PULL_THROUGH_UPSTREAMS}), prefix (2-30 characters, unique) and credential (a
 * Secrets Manager secret named `ecr-pullthroughcache/…` in the registry's account and region, for
 * the upstreams that need one; none for the others), the cache repositories it creates up front
 * (`cachedRepositories`: see {@link validateCachedRepositories}), and the cached images' expiry (the lifecycle
 * policy's rules). Unresolved tokens are not checked.
 * @param path where the settings are given: a construct path or a config path such as `config/accounts[0]/registry`
 * @throws ValidationError naming `path` (or `<path>/pullThroughCache[<i>]`, `.../cachedRepositories[<j>]`), the value, the rule and the fix
 */
export function validateRegistrySettings(path: string, props: RegistrySettingsProps): void {
  const { scanType, frequency } = scanningOf(props.scanning);
  checkOneOf(path, "scanning.scanType", scanType, REGISTRY_SCAN_TYPES);
  checkOneOf(path, "scanning.frequency", frequency, REGISTRY_SCAN_FREQUENCIES);
  check(!(scanType === "BASIC" && frequency === "CONTINUOUS_SCAN"), {
    path,
    subject: "scanning.frequency",
    value: frequency,
    rule: "continuous scanning needs ENHANCED scanning (Amazon Inspector)",
    fix: 'use frequency "SCAN_ON_PUSH", or scanType "ENHANCED"',
  });
  const prefixes = new Set<string>();
  const cachedNames = new Set<string>();
  (props.pullThroughCache ?? []).forEach((options, i) => {
    const where = `${path}/pullThroughCache[${i}]`;
    const upstream = Object.hasOwn(PULL_THROUGH_UPSTREAMS, options.upstream) ? PULL_THROUGH_UPSTREAMS[options.upstream] : undefined;
    check(upstream !== undefined, {
      path: where,
      subject: "upstream",
      value: options.upstream,
      rule: `pull-through cache supports ${Object.keys(PULL_THROUGH_UPSTREAMS).join(", ")}`,
      fix: "use one of those upstreams",
    });
    if (upstream === undefined) return;
    const prefix = options.prefix ?? options.upstream;
    validatePrefix(where, prefix);
    check(!prefixes.has(prefix), {
      path: where,
      subject: "prefix",
      value: prefix,
      rule: "each pull-through cache rule needs its own repository prefix",
      fix: "give the rules different prefixes",
    });
    prefixes.add(prefix);
    validateCredential(where, options, upstream.needsCredential, props);
    validateCachedRepositories(where, prefix, options.cachedRepositories, cachedNames, options.upstream);
  });
  validateLifecyclePolicy(`${path}/cachedImageExpiryDays`, cacheLifecyclePolicyOf(props.cachedImageExpiryDays ?? 30));
}

function validatePrefix(path: string, prefix: string): void {
  check(prefix.length >= 2 && prefix.length <= 30 && PREFIX.test(prefix), {
    path,
    subject: "prefix",
    value: prefix,
    rule: "a pull-through cache prefix is 2-30 lower-case letters, digits and '.', '_', '-', '/' separators",
    fix: "use a short lower-case prefix such as docker-hub",
  });
}

function validateCredential(
  path: string,
  options: PullThroughCacheRuleOptions,
  needsCredential: boolean,
  props: RegistrySettingsProps,
): void {
  const arn = options.credentialSecretArn;
  if (!needsCredential) {
    check(arn === undefined, {
      path,
      subject: "credentialSecretArn",
      value: arn,
      rule: `the ${options.upstream} upstream is pulled anonymously and takes no credential`,
      fix: "remove credentialSecretArn",
    });
    return;
  }
  check(arn !== undefined, {
    path,
    subject: "credentialSecretArn",
    value: arn,
    rule: `the ${options.upstream} upstream needs a Secrets Manager secret with the upstream credentials`,
    fix: `create a secret named ${PULL_THROUGH_SECRET_PREFIX}${options.upstream} (keys username, accessToken) and pass its ARN`,
  });
  if (isUnresolved(arn)) return;
  const parts = parseSecretArn(arn);
  if (!parts) {
    throw new ValidationError({
      path,
      subject: "credentialSecretArn",
      value: arn,
      rule: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)",
      fix: "pass the secret's ARN, not its name",
    });
  }
  const { region, accountId: account, name } = parts;
  check(name.startsWith(PULL_THROUGH_SECRET_PREFIX), {
    path,
    subject: "credentialSecretArn",
    value: arn,
    rule: `ECR only reads pull-through credentials from secrets whose name starts with "${PULL_THROUGH_SECRET_PREFIX}"`,
    fix: `recreate the secret as ${PULL_THROUGH_SECRET_PREFIX}${name.replace(/-[A-Za-z0-9]{6}$/, "")}`,
  });
  check(props.region === undefined || isUnresolved(props.region) || region === props.region, {
    path,
    subject: "credentialSecretArn region",
    value: region,
    rule: `the secret must be in the registry's region ${props.region}`,
    fix: `create the secret in ${props.region}`,
  });
  check(props.accountId === undefined || isUnresolved(props.accountId) || account === props.accountId, {
    path,
    subject: "credentialSecretArn account",
    value: account,
    rule: `the secret must be in the registry's account ${props.accountId}`,
    fix: `create the secret in account ${props.accountId}`,
  });
}
