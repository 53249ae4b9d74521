import { PolicyDocument } from "../../lib/core/iam";
import { EcrPullThroughMirror, type EcrPullThroughMirrorProps } from "../../lib/mirror/ecr-pull-through-mirror";
import { RegistrySettings } from "../../lib/registry/registry-settings";
import { synth, testStack } from "../support/synth";
import { expectViolation } from "../support/violations";

const SECRET = "arn:aws:secretsmanager:eu-central-1:111111111111:secret:ecr-pullthroughcache/gitlab-AbCdEf";

/** Registry settings in an account stack, the mirror in an environment stack (as the app does). */
function build(props: Partial<EcrPullThroughMirrorProps> = {}, rules = [{ upstream: "ecr-public" as const }, { upstream: "gitlab-container-registry" as const, credentialSecretArn: SECRET }]) {
  const account = testStack("account");
  const registry = new RegistrySettings(account, "registry", { accountId: "111111111111", region: "eu-central-1", pullThroughCache: rules });
  const env = testStack("dev");
  const mirror = new EcrPullThroughMirror(env, "mirror", { registry, accountId: "111111111111", region: "eu-central-1", ...props });
  return { mirror, env, registry };
}

describe("EcrPullThroughMirror", () => {
  test("image prefixes from the account's pull-through rules; no registry-mirrors (images are renamed)", () => {
    const { mirror } = build();
    expect(mirror.endpoint).toEqual({
      registryMirrors: [],
      insecureRegistries: [],
      imagePrefixes: {
        "public.ecr.aws": "111111111111.dkr.ecr.eu-central-1.amazonaws.com/ecr-public/",
        "registry.gitlab.com": "111111111111.dkr.ecr.eu-central-1.amazonaws.com/gitlab-container-registry/",
      },
      helperImage:
        "111111111111.dkr.ecr.eu-central-1.amazonaws.com/gitlab-container-registry/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v${CI_RUNNER_VERSION}",
      helperImageRepository: "111111111111.dkr.ecr.eu-central-1.amazonaws.com/gitlab-container-registry/gitlab-org/gitlab-runner/gitlab-runner-helper",
      rawProxyUrls: {},
      ecrRegistryHosts: ["111111111111.dkr.ecr.eu-central-1.amazonaws.com"],
      grantHostAccess: expect.any(Function),
    });
  });

  test("reuses the rules of RegistrySettings: same prefixes, no resources and no cross-stack reference of its own", () => {
    const { mirror, registry, env } = build();
    expect(mirror.rules).toBe(registry.pullThroughCacheRules);
    const json = synth(env).json;
    expect(json.resource ?? {}).toEqual({});
    expect(json.data ?? {}).toEqual({});
  });

  test("no helper image without a registry.gitlab.com rule; a subset of prefixes", () => {
    const { mirror } = build({ prefixes: ["ecr-public"] });
    expect(mirror.endpoint.helperImage).toBeUndefined();
    expect(Object.keys(mirror.endpoint.imagePrefixes)).toEqual(["public.ecr.aws"]);
  });

  test("grantPullThrough: pull plus BatchImportUpstreamImage on the rules' repositories only; CreateRepository only for protected grantees", () => {
    const grants = (options?: { trustLevel?: "protected" | "unprotected" }) => {
      const document = new PolicyDocument();
      build().mirror.grantPullThrough(document, options);
      return document.toJson();
    };
    const resources = ["arn:aws:ecr:eu-central-1:111111111111:repository/ecr-public/*", "arn:aws:ecr:eu-central-1:111111111111:repository/gitlab-container-registry/*"];
    const imports = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage", "ecr:GetDownloadUrlForLayer"];
    const statements = (actions: string[]) => ({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        { Effect: "Allow", Action: actions, Resource: resources },
      ],
    });
    // A repository created before the first pull escapes the repository creation template: unprotected (the default) may not.
    expect(grants()).toEqual(statements(imports));
    expect(grants({ trustLevel: "unprotected" })).toEqual(statements(imports));
    expect(grants({ trustLevel: "protected" })).toEqual(statements([...imports, "ecr:CreateRepository"].sort()));
    expect(() => grants({ trustLevel: "trusted" as "protected" })).toThrow(/trustLevel is one of "protected", "unprotected"/);
  });

  describe("bad input", () => {
    test("an account without pull-through rules", () => {
      expectViolation(() => build({}, []), {
        path: "dev/mirror",
        subject: "registry pull-through cache rules",
        value: [],
        rule: /needs at least one pull-through cache rule/,
        fix: /add pullThroughCache rules to the account's registry settings/,
      });
    });

    test("a prefix the account has no rule for", () => {
      expectViolation(() => build({ prefixes: ["quay"] }), {
        path: "dev/mirror/prefixes[0]",
        subject: "prefix",
        value: "quay",
        rule: /one of the account's pull-through cache rules \(ecr-public, gitlab-container-registry\)/,
        fix: /add the rule to the account's registry settings/,
      });
    });

    test("a region name", () => {
      expectViolation(() => build({ region: "Frankfurt" }), {
        path: "dev/mirror",
        subject: "region",
        value: "Frankfurt",
        rule: /an AWS region looks like eu-central-1/,
        fix: /use a region code/,
      });
    });
  });
});
