import fc from "fast-check";
import { IAM_ROLE_ARN, validateRegion } from "../../lib/core/aws";
import { deployPinScript, type DeployTarget, validateDeployTargets } from "../../lib/gitlab/deploy-targets";
import { ciSnippet } from "../../lib/identity/ci-access";
import { isTenantProjectPath } from "../../lib/gitlab/project-path";
import { validationMessageOf } from "../support/violations";

/*
 * The pinned rows of the deploy jobs (deploy-targets.ts): the project path, role ARNs and region
 * follow the same rules as the configuration (tenancy-validation.ts, core/aws.ts, ci-access.ts),
 * and validateDeployTargets' own refusals name the path, the value, the rule and the fix.
 */
const messageOf = validationMessageOf;
const target: DeployTarget = {
  project: "acme/app",
  roleArn: "arn:aws:iam::111111111111:role/acme-ci-staging-app-protected",
  repository: "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/staging/app/app",
  promoteFrom: "111111111111.dkr.ecr.eu-central-1.amazonaws.com/acme/dev/app/app",
  deploymentRoleArn: "arn:aws:iam::111111111111:role/acme-ci-staging-app-deployment",
  lastGoodDigestParameter: "/acme-ci/staging/deploy/app/last-good-digest",
};
const all = { promoted: true, recorded: true, deploys: true };
const pins = { environment: "staging", targets: [target], commitTag: "sha-${CI_COMMIT_SHA}", deployedTag: "deployed-staging" };

describe("the pinned rows follow the configuration's rules", () => {
  test("fault: a project path with a leading '.' (which the configuration accepts) was refused; now the tenancy check's rule decides", () => {
    expect(isTenantProjectPath(".hidden/app")).toBe(true);
    expect(messageOf(() => validateDeployTargets("t", [{ ...target, project: ".hidden/app" }], all))).toBe("");
    expect(messageOf(() => validateDeployTargets("t", [{ ...target, project: "acme/app.git" }], all))).toMatch(/^t\/targets\[0\]\/project: invalid project "acme\/app\.git"\. Rule: a project's full path .*not ending in \.git/);
  });

  const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/);
  const projectPath = fc.oneof(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/")), fc.string({ maxLength: 20 }));

  test("property: a project path is accepted in a pinned row exactly when the configuration accepts it", () => {
    fc.assert(
      fc.property(projectPath, (project) => {
        const accepted = messageOf(() => validateDeployTargets("t", [{ ...target, project }], all)) === "";
        expect({ project, accepted }).toEqual({ project, accepted: isTenantProjectPath(project) });
      }),
      { numRuns: 300 },
    );
  });

  const arn = fc
    .tuple(fc.constantFrom("aws", "aws-cn", "aws-us-gov", "awsfoo", "aws-iso"), fc.stringMatching(/^\d{11,13}$/), fc.stringMatching(/^[\w+=,.@/-]{1,20}$/))
    .map(([partition, account, name]) => `arn:${partition}:iam::${account}:role/${name}`);

  test("fault: role ARNs of partitions the library refuses elsewhere (arn:awsfoo:…) were pinned; property: a role ARN is pinned exactly when the CI snippet accepts it", () => {
    expect(messageOf(() => validateDeployTargets("t", [{ ...target, roleArn: "arn:awsfoo:iam::111111111111:role/x" }], all))).toMatch(/^t\/targets\[0\]\/roleArn: invalid roleArn "arn:awsfoo:iam::111111111111:role\/x"/);
    fc.assert(
      fc.property(arn, (roleArn) => {
        const pinned = messageOf(() => validateDeployTargets("t", [{ ...target, roleArn, deploymentRoleArn: roleArn }], all)) === "";
        const snippet = messageOf(() => ciSnippet("c", { roleArn, region: "eu-central-1", audience: "acme-ci-staging" })) === "";
        expect({ roleArn, pinned }).toEqual({ roleArn, pinned: snippet });
        expect(pinned).toBe(IAM_ROLE_ARN.test(roleArn));
      }),
      { numRuns: 200 },
    );
  });

  const region = fc.oneof(fc.constantFrom("eu-central-1", "us-gov-west-1", "cn-north-1", "ap-southeast-10", "xx-foo-bar-baz-1", "eu-central-12x", "EU-central-1"), fc.stringMatching(/^[a-z]{2}(-[a-z]{2,9}){1,3}-\d{1,2}$/));

  test("fault: the pinned region had a rule of its own (xx-foo-bar-baz-1 passed, ap-southeast-10 did not); property: a region is pinned exactly when the configuration accepts it", () => {
    fc.assert(
      fc.property(region, (r) => {
        const pinned = messageOf(() => deployPinScript("t", { ...pins, region: r })) === "";
        const configured = messageOf(() => validateRegion("config/environments[0]/region", "region", r)) === "";
        expect({ region: r, pinned }).toEqual({ region: r, pinned: configured });
      }),
      { numRuns: 200 },
    );
    expect(messageOf(() => deployPinScript("t", { ...pins, region: "xx-foo-bar-baz-1" }))).toMatch(/^t\/region: invalid region "xx-foo-bar-baz-1"\. Rule: an AWS region/);
  });
});

describe("validateDeployTargets refuses, naming the path, the value, the rule and the fix", () => {
  test.each([
    ["no targets", () => validateDeployTargets("t", [], all), /^t\/targets: invalid deploy targets \[\]\. Rule: the jobs act only on the values pinned for the project running them, and no project is listed\. Fix: give one target per project/],
    ["a repeated project", () => validateDeployTargets("t", [target, target], all), /^t\/targets\[1\]\/project: invalid project "acme\/app"\. Rule: one target per project: the job picks its row by CI_PROJECT_PATH\. Fix: merge the repeated rows/],
    ["a project that is not a string (plain JavaScript)", () => validateDeployTargets("t", [{ ...target, project: 7 as unknown as string }], all), /^t\/targets\[0\]\/project: invalid project 7\. Rule: a project's full path/],
    ["a role ARN with a quote (it would end the literal)", () => validateDeployTargets("t", [{ ...target, roleArn: "arn:aws:iam::111111111111:role/x'y" }], all), /^t\/targets\[0\]\/roleArn: invalid roleArn .*written between single quotes in the job's script.*Fix: give the roleArn of acme\/app as the platform names it/],
    ["a repository with a tag", () => validateDeployTargets("t", [{ ...target, repository: `${target.repository}:latest` }], all), /^t\/targets\[0\]\/repository: invalid repository .*a repository URL <registry host>\/<repository name>, without tag/],
    ["no source where the environment is promoted into", () => validateDeployTargets("t", [{ ...target, promoteFrom: undefined }], all), /^t\/targets\[0\]\/promoteFrom: invalid promoteFrom undefined\. Rule: an environment promoted into copies from a repository URL/],
    ["a source where nothing is promoted", () => validateDeployTargets("t", [target], { ...all, promoted: false }), /^t\/targets\[0\]\/promoteFrom: invalid promoteFrom ".*"\. Rule: an environment without a promotion source copies from nowhere\. Fix: drop promoteFrom/],
    ["no deployment role where jobs deploy", () => validateDeployTargets("t", [{ ...target, deploymentRoleArn: undefined }], all), /^t\/targets\[0\]\/deploymentRoleArn: invalid deploymentRoleArn undefined\. Rule: deploy jobs run the hooks as the project's deployment role/],
    ["a deployment role where jobs deploy nothing", () => validateDeployTargets("t", [target], { ...all, deploys: false }), /^t\/targets\[0\]\/deploymentRoleArn: .*Rule: these jobs deploy nothing, so they have no deployment role\. Fix: drop deploymentRoleArn/],
    ["no parameter where the last good digest is recorded", () => validateDeployTargets("t", [{ ...target, lastGoodDigestParameter: undefined }], all), /^t\/targets\[0\]\/lastGoodDigestParameter: invalid lastGoodDigestParameter undefined\. Rule: the last good digest is recorded in an SSM parameter name/],
    ["a parameter where nothing is recorded", () => validateDeployTargets("t", [target], { ...all, recorded: false }), /^t\/targets\[0\]\/lastGoodDigestParameter: .*Rule: the environment records no last good digest\. Fix: drop lastGoodDigestParameter/],
  ] as const)("%s", (_name, fn, message) => {
    expect(messageOf(fn)).toMatch(message);
  });

  test("a search path that is not absolute directories is refused (a variable or quote in it would let a pipeline variable choose the programs again)", () => {
    for (const searchPath of ["$HOME/bin:/usr/bin", "bin:/usr/bin", "/usr/bin:'x'", ""]) {
      expect(messageOf(() => deployPinScript("t", { ...pins, searchPath }))).toMatch(/^t\/searchPath: invalid search path .*Rule: the PATH pinned in the job's script: absolute directories/);
    }
    expect(deployPinScript("t", { ...pins, searchPath: "/opt/tools/bin:/usr/bin:/bin" })).toContain("PATH='/opt/tools/bin:/usr/bin:/bin'\nexport PATH\n");
  });
});
