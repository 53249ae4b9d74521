/*
 * Every resource type of the pinned provider (@cdktf/provider-aws 21.22.1, lib/<name>) that looks
 * like a grant is classified: read by the model, fail-closed (unmodelled, or unmodelled when one
 * argument is set), or not a grant with its reason. The candidates are listed from the provider
 * package itself, so a type added by a provider upgrade fails this test until someone classifies it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { buildIamModel, NON_ROLE_POLICY_FORMS, ROLE_POLICY_FORMS } from "./iam-model";
import { copiedStack, plantableResources } from "./planted";
import { exampleScenario } from "./scenario";
import { MODELLED_GRANT_FORMS, NOT_GRANT_FORMS, UNMODELLED_GRANT_ARGUMENTS, UNMODELLED_GRANT_FORMS } from "./unmodelled-grants";

const PROVIDER_LIB = path.dirname(path.dirname(require.resolve("@cdktf/provider-aws/lib/kms-grant")));
/** Names that say grant: policies, permissions, grants, ACLs, shares, principals, authorizations, access points, trusts. */
const GRANT_NAME = /(polic|permission|grant|-acl$|acl-|share|principal|authoriz|access-point|trust)/;
/** Associations that may hand out IAM access (roles, principals, identities, policies, users, shares). */
const GRANT_ASSOCIATION = /-association$/;
const GRANT_ASSOCIATION_WORD = /(role|principal|access|identity|polic|permission|share|user|authoriz|grant)/;
/** Config arguments that carry a policy document or policy ARNs (camelCase, as the provider's Config interfaces spell them). */
const POLICY_ARGUMENT =
  /^(policy|policyDocument|policyBody|policyUrl|policyText|policyArns?|managedPolicyArns?|inlinePolicy|sessionPolicy|resourcePolicy|repositoryPolicy|assumeRolePolicy|accessPolic(?:y|ies)|accessControlPolicy|\w+PolicyDocument|deliveryDestinationPolicy|customerManagedPolicyReference|managedPolicyArn)$/;

/** The provider's resource types that look like a grant, by name or by a policy argument of their Config interface. */
function grantLikeTypes(): string[] {
  return readdirSync(PROVIDER_LIB)
    .filter((dir) => !dir.startsWith("data-") && existsSync(path.join(PROVIDER_LIB, dir, "index.d.ts")))
    .filter((dir) => {
      if (GRANT_NAME.test(dir) || (GRANT_ASSOCIATION.test(dir) && GRANT_ASSOCIATION_WORD.test(dir))) return true;
      const text = readFileSync(path.join(PROVIDER_LIB, dir, "index.d.ts"), "utf8");
      const config = /export interface \w*Config extends cdktf\.TerraformMetaArguments \{([\s\S]*?)\n\}/.exec(text)?.[1] ?? "";
      return [...config.matchAll(/readonly (\w+)\??:/g)].some((m) => POLICY_ARGUMENT.test(m[1]!));
    })
    .map((dir) => `aws_${dir.replace(/-/g, "_")}`);
}

const base = exampleScenario();
/** A copy of the dev stack's JSON alone (the model reads each stack on its own; the others would only slow the loops). */
const copy = () => new Map([["dev", copiedStack(base.json.get("dev")!)]]);

describe("attack paths: every grant-like resource type of the pinned provider is classified", () => {
  const candidates = grantLikeTypes();
  const lists = {
    modelled: [...MODELLED_GRANT_FORMS, ...ROLE_POLICY_FORMS, ...NON_ROLE_POLICY_FORMS],
    unmodelled: [...UNMODELLED_GRANT_FORMS.keys()],
    byArgument: [...UNMODELLED_GRANT_ARGUMENTS.keys()],
    notGrant: [...NOT_GRANT_FORMS.keys()],
  };

  test("every candidate listed from the provider package is modelled, fail-closed or not a grant (with a reason); none is in two lists", () => {
    expect(candidates.length).toBeGreaterThan(200);
    const all = Object.values(lists).flat();
    expect(candidates.filter((type) => !all.includes(type))).toEqual([]);
    expect(all.filter((type, i) => all.indexOf(type) !== i)).toEqual([]);
    for (const [type, reason] of [...NOT_GRANT_FORMS, ...UNMODELLED_GRANT_FORMS]) expect({ type, reason: reason.length > 10 }).toEqual({ type, reason: true });
  });

  test("every listed type is a resource of the pinned provider, and the forms the brief names are fail-closed", () => {
    for (const type of Object.values(lists).flat()) expect({ type, lib: existsSync(path.join(PROVIDER_LIB, type.replace(/^aws_/, "").replace(/_/g, "-"))) }).toEqual({ type, lib: true });
    for (const type of ["aws_lambda_permission", "aws_s3_bucket_acl", "aws_sqs_queue_policy", "aws_cloudformation_stack", "aws_kms_replica_key", "aws_kms_external_key"]) expect(lists.unmodelled).toContain(type);
    expect(UNMODELLED_GRANT_ARGUMENTS.get("aws_secretsmanager_secret")?.argument).toBe("policy");
  });

  test("fails closed on a grant by argument: aws_secretsmanager_secret with policy (and aws_s3_bucket with policy) throws; without it the model builds", () => {
    for (const [type, { argument }] of UNMODELLED_GRANT_ARGUMENTS) {
      const json = copy();
      plantableResources(json.get("dev")!, type).planted = { name: "planted", [argument]: '{"Statement":[]}' };
      expect(() => buildIamModel(json)).toThrow(new RegExp(`^attack-path model: dev uses ${type}\\.planted with ${argument}, an unknown grant form`));
      const without = copy();
      plantableResources(without.get("dev")!, type).planted = { name: "planted" };
      expect(() => buildIamModel(without)).not.toThrow();
    }
  });

  test("fails closed on the new unmodelled forms: aws_lambda_permission, aws_s3_bucket_acl, aws_sqs_queue_policy, aws_cloudformation_stack, aws_kms_replica_key, aws_kms_external_key (the old list let each through)", () => {
    for (const type of ["aws_lambda_permission", "aws_s3_bucket_acl", "aws_sqs_queue_policy", "aws_cloudformation_stack", "aws_kms_replica_key", "aws_kms_external_key"]) {
      const json = copy();
      plantableResources(json.get("dev")!, type).planted = { planted: true };
      expect(() => buildIamModel(json)).toThrow(new RegExp(`^attack-path model: dev uses ${type}, an unknown grant form`));
    }
  });
});
