/**
 * Constructs that take an account or a region (to build ARNs, endpoints, key policies) refuse
 * values that disagree with the stack's AWS provider, where their resources are created; the
 * matching values and stacks without a provider (or with an open region or account) pass.
 */
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { type TerraformStack } from "cdktf";
import { type Construct } from "constructs";
import { CacheAccessLogBucket } from "../../lib/cache/access-log-bucket";
import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { EcrPullThroughMirror } from "../../lib/mirror/ecr-pull-through-mirror";
import { RegistrySettings } from "../../lib/registry/registry-settings";
import { SecretsKey } from "../../lib/secrets/secrets-key";
import { testStack, violationOf } from "../support/synth";

const ACCOUNT = "111111111111";
const REGION = "eu-central-1";

/** A stack whose default AWS provider is in eu-central-1 and may deploy into account 111111111111 only. */
function providerStack(): TerraformStack {
  const stack = testStack();
  new AwsProvider(stack, "aws", { region: REGION, allowedAccountIds: [ACCOUNT] });
  return stack;
}

/** Each construct with its account and region props (either may be left out where it takes none). */
const constructs: ReadonlyArray<[string, "account" | "region" | "both", (scope: Construct, at: { accountId: string; region: string }) => unknown]> = [
  ["SecretsKey", "both", (s, at) => new SecretsKey(s, "subject", { aliasName: "acme-ci-dev-secrets", ...at })],
  ["EcrPullThroughMirror", "both", (s, at) => new EcrPullThroughMirror(s, "subject", { registry: { pullThroughCacheRules: [{ prefix: "ecr-public", upstream: "ecr-public", upstreamRegistryUrl: "public.ecr.aws" }] }, ...at })],
  ["RegistrySettings", "both", (s, at) => new RegistrySettings(s, "subject", at)],
  ["GitLabOidcProvider", "account", (s, at) => new GitLabOidcProvider(s, "subject", { url: "https://gitlab.example.com", accountId: at.accountId })],
  ["CacheAccessLogBucket", "region", (s, at) => new CacheAccessLogBucket(s, "subject", { sourceBucketName: "acme-ci-cache", sourceBucketId: "acme-ci-cache", sourceBucketArn: "arn:aws:s3:::acme-ci-cache", region: at.region })],
];

describe.each(constructs)("%s", (_name, takes, build) => {
  test("values matching the provider pass, and so does a stack without an AWS provider", () => {
    expect(() => build(providerStack(), { accountId: ACCOUNT, region: REGION })).not.toThrow();
    expect(() => build(testStack(), { accountId: "222222222222", region: "us-east-1" })).not.toThrow();
  });

  if (takes !== "account") {
    test("a region other than the provider's is refused, naming the construct path and both regions", () => {
      expect(violationOf(() => build(providerStack(), { accountId: ACCOUNT, region: "eu-west-1" })).message).toMatch(
        /^test\/subject: invalid region "eu-west-1"\. Rule: the construct's region is the region of the stack's AWS provider \(eu-central-1\).*Fix: use region "eu-central-1"/,
      );
    });
  }
  if (takes !== "region") {
    test("an account the provider may not deploy into is refused", () => {
      expect(violationOf(() => build(providerStack(), { accountId: "222222222222", region: REGION })).message).toMatch(
        /^test\/subject: invalid accountId "222222222222"\. Rule: the construct's account is one the stack's AWS provider may deploy into \(allowed_account_ids \["111111111111"\]\)/,
      );
    });
  }
});
