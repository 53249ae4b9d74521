import { BUILDPACK_VARIABLES, validateBuildpackVariableName } from "../../lib/gitlab/buildpack-variables";
import { BUILD_SECRETS_VARIABLE, BUILDKIT_IMAGE_VARIABLE } from "../../lib/gitlab/build-cache";
import { type MirrorEndpoint } from "../../lib/mirror/mirror-endpoint";
import { imageVariable, PLATFORM_VARIABLES, platformVariables, type PlatformVariablesProps } from "../../lib/gitlab/platform-variables";
import { tenantsOf } from "../../lib/platform/tenancy";
import { tenantVariables } from "../../lib/platform/tenant-variables";
import { exampleConfig } from "../../stacks/example-config";
import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { violationOf } from "../support/synth";

const aws = { roleArn: "arn:aws:iam::111111111111:role/acme-ci-dev-build", audience: "https://gitlab.example.com", region: "eu-central-1" };
const ECR = "111111111111.dkr.ecr.eu-central-1.amazonaws.com";
const mirror: MirrorEndpoint = {
  registryMirrors: ["http://mirror.internal:8082"],
  insecureRegistries: ["mirror.internal:8082"],
  imagePrefixes: { "registry.gitlab.com": "mirror.internal:8082/" },
  rawProxyUrls: { "lang-common": "http://mirror.internal:8081/repository/lang-common/" },
};
const props: PlatformVariablesProps = {
  aws,
  registryHost: ECR,
  images: { app: { repositoryUrl: `${ECR}/acme/dev/app` }, ci: { repositoryUrl: `${ECR}/acme/dev/app-ci` }, toolbox: { repositoryUrl: `${ECR}/acme/dev/toolbox` } },
};
const asMap = (vars: ReturnType<typeof platformVariables>) => Object.fromEntries(vars.map((v) => [v.key, v.value]));

describe("platformVariables", () => {
  test("registry host, region, role, audience and one variable per image", () => {
    const vars = platformVariables("cfg/vars", props);
    expect(asMap(vars)).toEqual({
      PLATFORM_REGISTRY_HOST: ECR,
      PLATFORM_AWS_REGION: "eu-central-1",
      PLATFORM_AWS_ROLE_ARN: aws.roleArn,
      PLATFORM_AWS_BRANCH_ROLE_ARN: aws.roleArn, // no branch role given: the same role
      PLATFORM_OIDC_AUDIENCE: aws.audience,
      PLATFORM_APP_IMAGE: `${ECR}/acme/dev/app`,
      PLATFORM_CI_IMAGE: `${ECR}/acme/dev/app-ci`,
      PLATFORM_TOOLBOX_IMAGE: `${ECR}/acme/dev/toolbox`,
    });
    for (const v of vars) expect(v).toEqual(expect.objectContaining({ raw: true, protected: false, environmentScope: "*" }));
    expect(vars.some((v) => v.masked)).toBe(false);
  });

  test("a branch role for other branches and merge requests", () => {
    const branchAws = { ...aws, roleArn: "arn:aws:iam::111111111111:role/acme-ci-dev-build-mr" };
    const vars = asMap(platformVariables("cfg/vars", { ...props, branchAws }));
    expect([vars.PLATFORM_AWS_ROLE_ARN, vars.PLATFORM_AWS_BRANCH_ROLE_ARN]).toEqual([aws.roleArn, branchAws.roleArn]);
  });

  test("mirror host, image prefixes and raw proxy URLs; Auto DevOps forwards the raw proxy variables", () => {
    const vars = asMap(
      platformVariables("cfg/vars", {
        ...props,
        mirror,
        autoDevOps: true,
        rawProxyVariables: { BUILDPACK_STDLIB_URL: { proxy: "lang-common", path: "buildpack-stdlib/v8/stdlib.sh" }, BUILDPACK_S3_BASE_URL: { proxy: "lang-common" } },
      }),
    );
    expect(vars).toEqual(
      expect.objectContaining({
        PLATFORM_REGISTRY_MIRROR: "http://mirror.internal:8082",
        PLATFORM_MIRROR_PREFIX_REGISTRY_GITLAB_COM: "mirror.internal:8082/",
        BUILDPACK_STDLIB_URL: "http://mirror.internal:8081/repository/lang-common/buildpack-stdlib/v8/stdlib.sh",
        BUILDPACK_S3_BASE_URL: "http://mirror.internal:8081/repository/lang-common/",
        AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES: "BUILDPACK_STDLIB_URL,BUILDPACK_S3_BASE_URL",
      }),
    );
  });

  test("without Auto DevOps no forwarding variable", () => {
    const vars = asMap(platformVariables("cfg/vars", { ...props, mirror, rawProxyVariables: { BUILDPACK_STDLIB_URL: { proxy: "lang-common" } } }));
    expect(vars).not.toHaveProperty(PLATFORM_VARIABLES.autoDevOpsForwarded);
  });

  test("every variable the ECR template references is defined: group, tenant project variables, the template's own, the job's and the runner's", () => {
    const template = imageReuseTemplate("cfg/t", { tagScheme: new TagScheme("cfg/s"), images: [{ name: "app" }, { name: "ci", baseImage: "app" }] });
    const referenced = new Set([...template.content.matchAll(/\$\{?(PLATFORM_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    const dev = exampleConfig.environments[0]!;
    const defined = new Set([
      ...platformVariables("cfg/vars", { ...props, images: {}, tenantScoped: true }).map((v) => v.key),
      ...tenantVariables(exampleConfig, dev, tenantsOf(dev)[0]!).map((v) => v.key),
      ...Object.keys(template.config.variables ?? {}),
      ...template.config.workflow!.rules.flatMap((r) => Object.keys(r.variables ?? {})),
      "PLATFORM_INPUTS_HASH", // computed by the build job
      "PLATFORM_BASE", // set by platform_base in the build job (the base image by digest)
      PLATFORM_VARIABLES.imageBuilder, // set by the runner pool
      PLATFORM_VARIABLES.branchRoleArn, // read only as a fallback of older installations
      BUILD_SECRETS_VARIABLE, // optional, set by a project that passes build secrets (read as ${VAR:-})
      BUILDKIT_IMAGE_VARIABLE, // optional, pins the docker-container builder's image (read as ${VAR:-})
    ]);
    expect([...referenced].filter((k) => !defined.has(k))).toEqual([]);
    expect(imageVariable("app-ci")).toBe("PLATFORM_APP_CI_IMAGE");
  });

  test("a raw proxy the mirror does not have", () => {
    const error = violationOf(() => platformVariables("cfg/vars", { ...props, mirror, rawProxyVariables: { BUILDPACK_STDLIB_URL: { proxy: "lang-jvm" } } }));
    expect(error.message).toMatch(/^cfg\/vars\/rawProxyVariables\/BUILDPACK_STDLIB_URL: invalid proxy "lang-jvm"\. Rule: the mirror has no raw proxy of that name \(it has lang-common\)/);
  });

  test("a raw proxy path with a leading slash", () => {
    expect(violationOf(() => platformVariables("cfg/vars", { ...props, mirror, rawProxyVariables: { STDLIB_URL: { proxy: "lang-common", path: "/stdlib.sh" } } })).message).toMatch(
      /^cfg\/vars\/rawProxyVariables\/STDLIB_URL: invalid path "\/stdlib\.sh"\. Rule: the path is appended to the proxy's base URL, so it is relative\. Fix: drop the leading '\/': "stdlib\.sh"/,
    );
  });

  test("raw proxy variables without a mirror", () => {
    expect(violationOf(() => platformVariables("cfg/vars", { ...props, rawProxyVariables: { X_URL: { proxy: "a" } } })).message).toMatch(/^cfg\/vars: invalid rawProxyVariables \["X_URL"\]\. Rule: raw-proxy variables point into the mirror's raw proxies, so they need a mirror/);
  });

  test("a raw proxy variable key with invalid characters", () => {
    expect(violationOf(() => platformVariables("cfg/vars", { ...props, mirror, rawProxyVariables: { "stdlib-url": { proxy: "lang-common" } } })).message).toMatch(
      /^cfg\/vars\/rawProxyVariables\/stdlib-url: invalid variable key "stdlib-url"/,
    );
  });

  test("a malformed region", () => {
    expect(violationOf(() => platformVariables("cfg/vars", { ...props, aws: { ...aws, region: "Frankfurt" } })).message).toMatch(/^cfg\/vars: invalid aws\.region "Frankfurt"/);
  });
});

describe("platformVariables for tenants", () => {
  test("tenant-scoped group variables keep registry host and region; image URLs there are refused, not dropped", () => {
    const aws = { roleArn: "arn:aws:iam::111111111111:role/x", audience: "acme-ci-dev", region: "eu-central-1" };
    expect(platformVariables("cfg/vars", { aws, registryHost: "h", images: {}, tenantScoped: true }).map((v) => v.key)).toEqual(["PLATFORM_REGISTRY_HOST", "PLATFORM_AWS_REGION"]);
    expect(violationOf(() => platformVariables("cfg/vars", { aws, registryHost: "h", images: { app: { repositoryUrl: "h/app" } }, tenantScoped: true })).message).toMatch(
      /^cfg\/vars: invalid images \["app"\]\. Rule: with tenantScoped, image URLs are project variables of each tenant/,
    );
  });
});

describe("buildpack variables", () => {
  const mirror: MirrorEndpoint = {
    registryMirrors: [],
    insecureRegistries: [],
    imagePrefixes: {},
    rawProxyUrls: { "buildpack-registry": "http://mirror.internal:8090/repository/buildpack-registry/", "lang-jvm": "http://mirror.internal:8090/repository/lang-jvm/" },
  };
  const base = { aws: { roleArn: "arn:aws:iam::111111111111:role/build", audience: "https://gitlab.example.com", region: "eu-central-1" }, registryHost: "111111111111.dkr.ecr.eu-central-1.amazonaws.com", images: {} };

  test("names buildpacks read, unprotected and scoped * even in a protected, scoped environment, and listed for Auto DevOps' build job", () => {
    const vars = platformVariables("cfg/vars", {
      ...base,
      mirror,
      environmentScope: "production",
      protected: true,
      autoDevOps: true,
      buildpackVariables: { JVM_COMMON_BUILDPACK: { proxy: "buildpack-registry", path: "buildpacks/heroku/jvm.tgz" }, JVM_BUILDPACK_ASSETS_BASE_URL: { proxy: "lang-jvm" } },
    });
    const byKey = Object.fromEntries(vars.map((v) => [v.key, v]));
    expect(byKey.JVM_COMMON_BUILDPACK).toEqual(expect.objectContaining({ value: "http://mirror.internal:8090/repository/buildpack-registry/buildpacks/heroku/jvm.tgz", environmentScope: "*", protected: false }));
    expect(byKey.JVM_BUILDPACK_ASSETS_BASE_URL).toEqual(expect.objectContaining({ value: "http://mirror.internal:8090/repository/lang-jvm/", environmentScope: "*", protected: false }));
    expect(byKey[PLATFORM_VARIABLES.autoDevOpsForwarded]).toEqual(expect.objectContaining({ value: "JVM_COMMON_BUILDPACK,JVM_BUILDPACK_ASSETS_BASE_URL", environmentScope: "*", protected: false }));
    // The environment's own variables keep its scope and protection.
    expect(byKey[PLATFORM_VARIABLES.registryHost]).toEqual(expect.objectContaining({ environmentScope: "production", protected: true }));
  });

  test("every supported name's proxy path serves the buildpack's default download (the raw proxy of its host plus the path)", () => {
    for (const [name, spec] of Object.entries(BUILDPACK_VARIABLES)) {
      const url = new URL(spec.upstreamDefault);
      expect({ name, path: url.pathname.replace(/^\//, "") }).toEqual({ name, path: spec.path });
    }
  });

  test("a buildpack variable name no supported buildpack reads is refused, naming the supported names and a near miss", () => {
    const error = violationOf(() => platformVariables("cfg/vars", { ...base, mirror, buildpackVariables: { BUILDPACK_JVM_URL: { proxy: "lang-jvm" } } }));
    expect(error.message).toMatch(/^cfg\/vars\/buildpackVariables\/BUILDPACK_JVM_URL: invalid buildpack variable "BUILDPACK_JVM_URL"\. Rule: no supported buildpack reads this name.*JVM_COMMON_BUILDPACK, JVM_BUILDPACK_ASSETS_BASE_URL/);
    expect(violationOf(() => validateBuildpackVariableName("cfg/x", "jvm_common_buildpack")).message).toMatch(/Fix: did you mean JVM_COMMON_BUILDPACK\?/);
  });

  test("buildpack variables need a mirror", () => {
    expect(violationOf(() => platformVariables("cfg/vars", { ...base, buildpackVariables: { JVM_COMMON_BUILDPACK: { proxy: "buildpack-registry" } } })).message).toMatch(
      /^cfg\/vars: invalid buildpackVariables \["JVM_COMMON_BUILDPACK"\]\. Rule: raw-proxy variables point into the mirror's raw proxies/,
    );
  });
});
