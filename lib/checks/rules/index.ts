import { type SecurityRule } from "../rule";
import { unencryptedVolumes, imdsv2Required, imdsHopLimit } from "./ec2";
import { lifecycleExpiresProtectedTags, repositoryForceDelete, repositoryScanOnPush } from "./ecr";
import { secretVariableExposed } from "./gitlab";
import { passRoleOnAnyResource, unreadablePolicy, wildcardActions, wildcardResources } from "./iam";
import { openIngressRule, publicMirrorHost } from "./network";
import { productionDestroyProtection } from "./protection";
import { bucketEncryption, bucketPublicAccessBlock, bucketTlsOnly } from "./s3";
import { literalSecret, secretInUserData } from "./secrets";

/** Every rule of the pack, in the order of the README's rule table. Ids are stable and never reused. */
export const SECURITY_RULES: readonly SecurityRule[] = [
  wildcardActions,
  wildcardResources,
  passRoleOnAnyResource,
  unreadablePolicy,
  bucketPublicAccessBlock,
  bucketEncryption,
  bucketTlsOnly,
  unencryptedVolumes,
  imdsv2Required,
  imdsHopLimit,
  openIngressRule,
  publicMirrorHost,
  repositoryScanOnPush,
  repositoryForceDelete,
  lifecycleExpiresProtectedTags,
  secretVariableExposed,
  secretInUserData,
  literalSecret,
  productionDestroyProtection,
];

/** The ids of {@link SECURITY_RULES}. */
export const SECURITY_RULE_IDS: readonly string[] = SECURITY_RULES.map((r) => r.id);
