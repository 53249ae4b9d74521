import { type SecurityRule } from "../rule";
import { unencryptedVolumes, imdsv2Required, imdsHopLimit } from "./ec2";
import { lifecycleExpiresProtectedTags, mutableTags, repositoryForceDelete, repositoryScanOnPush } from "./ecr";
import { secretVariableExposed } from "./gitlab";
import { passRoleOnAnyResource, resourceTypeMismatch, unknownAction, unreadablePolicy, wildcardActions, wildcardResources } from "./iam";
import { adminPolicyAttached, adminPolicyReachableFromCi } from "./managed-policies";
import { openIngressRule, publicMirrorHost } from "./network";
import { productionDestroyProtection } from "./protection";
import { runnerHostExposure } from "./runner";
import { bucketEncryption, bucketPublicAccessBlock, bucketTlsOnly } from "./s3";
import { literalSecret, secretInUserData } from "./secrets";
import { publicResourcePolicy, trustPolicy } from "./trust";

/** Every rule of the pack, in the order of the rule table in docs/rule-pack.md. Ids are stable and never reused. */
export const SECURITY_RULES: readonly SecurityRule[] = [
  wildcardActions,
  wildcardResources,
  passRoleOnAnyResource,
  unreadablePolicy,
  unknownAction,
  resourceTypeMismatch,
  adminPolicyReachableFromCi,
  adminPolicyAttached,
  trustPolicy,
  publicResourcePolicy,
  bucketPublicAccessBlock,
  bucketEncryption,
  bucketTlsOnly,
  unencryptedVolumes,
  imdsv2Required,
  imdsHopLimit,
  runnerHostExposure,
  openIngressRule,
  publicMirrorHost,
  repositoryScanOnPush,
  repositoryForceDelete,
  lifecycleExpiresProtectedTags,
  mutableTags,
  secretVariableExposed,
  secretInUserData,
  literalSecret,
  productionDestroyProtection,
];

/** The ids of {@link SECURITY_RULES}. */
export const SECURITY_RULE_IDS: readonly string[] = SECURITY_RULES.map((r) => r.id);
