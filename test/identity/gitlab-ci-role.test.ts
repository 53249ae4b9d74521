import { type GitLabCiRoleProps, GitLabCiRole } from "../../lib/identity/gitlab-ci-role";
import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { type GitLabSubject } from "../../lib/identity/gitlab-subject";
import { ContainerRepository } from "../../lib/registry/repository";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

const PROVIDER_ARN = "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com";
const AUD = { "gitlab.example.com:aud": "https://gitlab.example.com" };

function build(props: Partial<GitLabCiRoleProps> = {}) {
  const stack = testStack();
  const provider = GitLabOidcProvider.fromExisting(stack, "oidc", { url: "https://gitlab.example.com", accountId: "111111111111" });
  const role = new GitLabCiRole(stack, "ci", {
    provider,
    roleName: "acme-ci-dev-build",
    region: "eu-central-1",
    subjects: [{ projectPath: "acme/app", branch: "main" }],
    ...props,
  });
  return { stack, role, provider };
}

/** The synthesized trust policy of the only role. */
function trustOf(subjects: readonly GitLabSubject[]): unknown {
  const { stack } = build({ subjects });
  return JSON.parse(onlyResource(synth(stack).json, "aws_iam_role").assume_role_policy as string);
}

const statement = (condition: Record<string, unknown>) => ({
  Effect: "Allow",
  Principal: { Federated: PROVIDER_ARN },
  Action: ["sts:AssumeRoleWithWebIdentity"],
  Condition: condition,
});

describe("GitLabCiRole trust policy", () => {
  test("exact project and branch: StringEquals on aud and sub", () => {
    expect(trustOf([{ projectPath: "acme/app", branch: "main" }])).toEqual({
      Version: "2012-10-17",
      Statement: [statement({ StringEquals: { ...AUD, "gitlab.example.com:sub": "project_path:acme/app:ref_type:branch:ref:main" } })],
    });
  });

  test("group wildcard: StringLike on sub, aud still StringEquals", () => {
    expect(trustOf([{ groupPath: "acme" }])).toEqual({
      Version: "2012-10-17",
      Statement: [statement({ StringEquals: AUD, StringLike: { "gitlab.example.com:sub": "project_path:acme/*:ref_type:*:ref:*" } })],
    });
  });

  test("tag refs: an exact tag and a tag pattern land in separate statements (operators in one statement are ANDed)", () => {
    expect(trustOf([{ projectPath: "acme/app", tag: "v1.0.0" }, { projectPath: "acme/app", tagPattern: "v*" }])).toEqual({
      Version: "2012-10-17",
      Statement: [
        statement({ StringEquals: { ...AUD, "gitlab.example.com:sub": "project_path:acme/app:ref_type:tag:ref:v1.0.0" } }),
        statement({ StringEquals: AUD, StringLike: { "gitlab.example.com:sub": "project_path:acme/app:ref_type:tag:ref:v*" } }),
      ],
    });
  });

  test("every tag of a project: refType alone", () => {
    expect(trustOf([{ projectPath: "acme/app", refType: "tag" }])).toEqual({
      Version: "2012-10-17",
      Statement: [statement({ StringEquals: AUD, StringLike: { "gitlab.example.com:sub": "project_path:acme/app:ref_type:tag:ref:*" } })],
    });
  });

  test("protected-only adds no condition IAM cannot evaluate and lists the refs GitLab must protect", () => {
    const subjects: GitLabSubject[] = [
      { projectPath: "acme/app", branch: "main", protectedRefsOnly: true },
      { groupPath: "acme", tagPattern: "v*", protectedRefsOnly: true },
      { projectPath: "acme/app", branchPattern: "feature/*" },
    ];
    expect(trustOf(subjects)).toEqual({
      Version: "2012-10-17",
      Statement: [
        statement({ StringEquals: { ...AUD, "gitlab.example.com:sub": "project_path:acme/app:ref_type:branch:ref:main" } }),
        statement({
          StringEquals: AUD,
          StringLike: {
            "gitlab.example.com:sub": ["project_path:acme/*:ref_type:tag:ref:v*", "project_path:acme/app:ref_type:branch:ref:feature/*"],
          },
        }),
      ],
    });
    expect(build({ subjects }).role.requiredProtectedRefs).toEqual([
      { project: "acme/app", refType: "branch", ref: "main" },
      { project: "acme/*", refType: "tag", ref: "v*" },
    ]);
  });

  test("several exact subjects share one StringEquals list", () => {
    expect(trustOf([{ projectPath: "acme/app", branch: "main" }, { projectPath: "acme/toolbox", branch: "main" }])).toEqual({
      Version: "2012-10-17",
      Statement: [
        statement({
          StringEquals: {
            ...AUD,
            "gitlab.example.com:sub": ["project_path:acme/app:ref_type:branch:ref:main", "project_path:acme/toolbox:ref_type:branch:ref:main"],
          },
        }),
      ],
    });
  });
});

describe("GitLabCiRole", () => {
  test("role settings: session duration, boundary, description; no deprecated inline or managed arguments", () => {
    const { stack } = build({ maxSessionDurationSeconds: 7200, permissionsBoundaryArn: "arn:aws:iam::111111111111:policy/boundary", tags: { a: "b" } });
    const role = onlyResource(synth(stack).json, "aws_iam_role");
    expect(role).toEqual({
      name: "acme-ci-dev-build",
      description: "GitLab CI (OIDC): project_path:acme/app:ref_type:branch:ref:main",
      assume_role_policy: expect.any(String),
      max_session_duration: 7200,
      permissions_boundary: "arn:aws:iam::111111111111:policy/boundary",
      tags: { a: "b" },
    });
  });

  test("push and pull grants: actions scoped to the repository ARNs, only GetAuthorizationToken on *", () => {
    const { stack, role } = build();
    const app = new ContainerRepository(stack, "app", { repositoryName: "acme/dev/app" });
    const toolbox = new ContainerRepository(stack, "toolbox", { repositoryName: "acme/dev/toolbox" });
    app.grantPush(role);
    toolbox.grantPull(role);
    const policy = JSON.parse(onlyResource(synth(stack).json, "aws_iam_role_policy").policy as string);
    const arn = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_ecr_repository\\.${id}_repository_[A-F0-9]+\\.arn\\}$`));
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        {
          Effect: "Allow",
          Action: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:CompleteLayerUpload",
            "ecr:GetDownloadUrlForLayer",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
          ],
          Resource: [arn("app")],
        },
        {
          Effect: "Allow",
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: [arn("toolbox")],
        },
      ],
    });
  });

  test("managed policies are attached with aws_iam_role_policy_attachment, ids derived from the ARN", () => {
    const { stack } = build({ managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::111111111111:policy/team/extra"] });
    const attachments = resourcesOf(synth(stack).json, "aws_iam_role_policy_attachment");
    const byId = Object.fromEntries(Object.entries(attachments).map(([k, a]) => [k.replace(/_[A-F0-9]{8}$/, ""), a.policy_arn]));
    expect(byId).toEqual({
      "ci_managed-aws-ReadOnlyAccess": "arn:aws:iam::aws:policy/ReadOnlyAccess",
      "ci_managed-111111111111-team-extra": "arn:aws:iam::111111111111:policy/team/extra",
    });
  });

  test("ciAccess holds plain strings: the deterministic role ARN, the audience and the region", () => {
    expect(build().role.ciAccess).toEqual({
      roleArn: "arn:aws:iam::111111111111:role/acme-ci-dev-build",
      audience: "https://gitlab.example.com",
      region: "eu-central-1",
    });
  });

  test("the CI snippet requests the role's audience and session length", () => {
    const { role } = build({ maxSessionDurationSeconds: 7200 });
    const snippet = role.ciSnippet({ jobName: ".aws-build" });
    expect(snippet.job.id_tokens).toEqual({ GITLAB_OIDC_TOKEN: { aud: "https://gitlab.example.com" } });
    expect(snippet.job.before_script[0]).toContain("--duration-seconds 7200");
  });

  describe("bad input", () => {
    const path = "test/ci/subjects[0]";
    test.each<[string, GitLabSubject, string, RegExp]>([
      ["a wildcard in an exact project path", { projectPath: "acme/*", branch: "main" }, `${path}/projectPath`, /invalid project path "acme\/\*"\. Rule: projectPath is an exact match \(StringEquals\): it takes no wildcard\. Fix: to trust every project of a group, use groupPath: "acme"/],
      ["a wildcard in an exact branch", { projectPath: "acme/app", branch: "release/*" }, `${path}/branch`, /invalid branch name "release\/\*"\. Rule: branch is an exact match \(StringEquals\): it takes no wildcard\. Fix: use branchPattern: "release\/\*"/],
      ["a wildcard in an exact tag", { projectPath: "acme/app", tag: "v?" }, `${path}/tag`, /invalid tag name "v\?"\. Rule: tag is an exact match .*Fix: use tagPattern: "v\?"/],
      ["a pattern without a wildcard", { projectPath: "acme/app", branchPattern: "main" }, `${path}/branchPattern`, /invalid branchPattern "main"\. Rule: branchPattern is a wildcard match \(StringLike\) and needs a '\*' or '\?'\. Fix: use branch: "main" for an exact match/],
      ["a wildcard in a group path", { groupPath: "acme/*" }, `${path}/groupPath`, /invalid group path "acme\/\*"\. Rule: groupPath is the group's exact path; the wildcard over its projects is added.*Fix: remove the wildcard: groupPath: "acme"/],
      ["an empty project path", { projectPath: "", branch: "main" }, `${path}/projectPath`, /invalid project path ""\. Rule: a project path is <group>\[\/<subgroup>\.\.\.\]\/<project>.*Fix: copy the path from the project's URL/],
      ["a project path without a group", { projectPath: "app" }, `${path}/projectPath`, /invalid project path "app"\. Rule: a project path is <group>/],
      ["neither project nor group", { branch: "main" }, path, /invalid project selector \{\}\. Rule: a subject names exactly one of projectPath .* and groupPath/],
      ["both project and group", { projectPath: "acme/app", groupPath: "acme" }, path, /invalid project selector \{"projectPath":"acme\/app","groupPath":"acme"\}\. Rule: a subject names exactly one/],
      ["tag refs with a branch name", { projectPath: "acme/app", refType: "tag", branch: "main" }, path, /invalid ref selector \{"refType":"tag","branch":"main"\}\. Rule: a subject with ref_type tag can never carry a branch name, so this selector could never match\. Fix: use tag for the name, or refType "branch"/],
      ["tag refs with a branch pattern", { projectPath: "acme/app", refType: "tag", branchPattern: "release/*" }, path, /could never match\. Fix: use tagPattern for the name, or refType "branch"/],
      ["two ref fields", { projectPath: "acme/app", branch: "main", tag: "v1" }, path, /invalid ref selector \{"branch":"main","tag":"v1"\}\. Rule: a subject selects at most one ref field/],
      ["an unknown ref type", { projectPath: "acme/app", refType: "commit" as "tag" }, path, /invalid refType "commit"\. Rule: GitLab ref types are "branch" and "tag"/],
      ["a full ref name", { projectPath: "acme/app", branch: "refs/heads/main" }, `${path}/branch`, /invalid branch "refs\/heads\/main"\. Rule: GitLab's ref claim is the short name .*could never match\. Fix: use "main"/],
      ["a ref name git forbids", { projectPath: "acme/app", branch: "a:b" }, `${path}/branch`, /invalid branch "a:b"\. Rule: git ref names are not empty and hold no space, ':'.*could never match/],
      ["protected-only for every ref", { groupPath: "acme", protectedRefsOnly: true }, path, /invalid protectedRefsOnly \{"refType":"any","ref":"\*"\}\. Rule: IAM cannot check GitLab's ref_protected claim.*Fix: name the protected refs/],
    ])("%s", (_name, subject, errorPath, message) => {
      const error = violationOf(() => build({ subjects: [subject] }));
      expect(error.path).toBe(errorPath);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${errorPath}: invalid `)).toBe(true);
    });

    test("no subject", () => {
      expect(violationOf(() => build({ subjects: [] })).message).toMatch(
        /^test\/ci\/subjects: invalid subjects \[\]\. Rule: a CI role trusts at least one subject.*Fix: add e\.g\./,
      );
    });

    test("a role name over 64 characters", () => {
      const error = violationOf(() => build({ roleName: "r".repeat(65) }));
      expect(error.message).toMatch(/^test\/ci: invalid role name "r{65}"\. Rule: an IAM role name is 1-64 characters.*Fix: shorten it by 1 characters/);
    });

    test("an audience the provider does not accept", () => {
      expect(violationOf(() => build({ audience: "sts.amazonaws.com" })).message).toMatch(
        /^test\/ci: invalid audience "sts\.amazonaws\.com"\. Rule: the audience must be one the OIDC provider accepts \(https:\/\/gitlab\.example\.com\).*Fix: use one of the provider's audiences/,
      );
    });

    test.each([1800, 50_000, 3600.5])("a maximum session duration of %p seconds", (seconds) => {
      expect(violationOf(() => build({ maxSessionDurationSeconds: seconds })).message).toMatch(
        new RegExp(`^test/ci: invalid maxSessionDurationSeconds ${seconds}\\. Rule: a role's maximum session duration is a whole number of seconds from 3600 \\(1 hour\\) to 43200`),
      );
    });

    test("a trust policy over IAM's 2,048-character quota", () => {
      const subjects = Array.from({ length: 40 }, (_, i) => ({ projectPath: `acme/project-number-${i}`, branch: "main" }));
      expect(violationOf(() => build({ subjects })).message).toMatch(
        /^test\/ci: invalid trust policy size "\d{4} characters"\. Rule: IAM limits a role's trust policy to 2048 characters.*Fix: trust fewer subjects \(a group path/,
      );
    });

    test("a malformed managed policy ARN", () => {
      expect(violationOf(() => build({ managedPolicyArns: ["ReadOnlyAccess"] })).message).toMatch(
        /^test\/ci\/managedPolicyArns\[0\]: invalid managed policy ARN "ReadOnlyAccess"\. Rule: a managed policy ARN is arn:<partition>:iam::<account id\|aws>:policy/,
      );
    });

    test("a snippet session longer than the role allows", () => {
      expect(violationOf(() => build().role.ciSnippet({ durationSeconds: 7200 })).message).toMatch(
        /^test\/ci: invalid CI snippet durationSeconds 7200\. Rule: a session cannot outlast the role's maximum session duration \(3600 seconds\)/,
      );
    });
  });
});

describe("GitLabCiRole and the instance's sub claim components", () => {
  test("the trust conditions follow the configured components (ref before ref_type)", () => {
    const { stack } = build({ subjects: [{ projectPath: "acme/app", branch: "main" }], subClaimComponents: ["project_path", "ref", "ref_type"] });
    const trust = JSON.parse(onlyResource(synth(stack).json, "aws_iam_role").assume_role_policy as string) as { Statement: Array<{ Condition: unknown }> };
    expect(trust.Statement[0]!.Condition).toEqual({ StringEquals: { ...AUD, "gitlab.example.com:sub": "project_path:acme/app:ref:main:ref_type:branch" } });
  });

  test("a selector on a part the sub claim does not carry is refused (it would trust more than it names)", () => {
    const error = violationOf(() => build({ subjects: [{ projectPath: "acme/app", branch: "main" }], subClaimComponents: ["project_path", "ref_type"] }));
    expect(error.message).toMatch(/^test\/ci\/subjects\[0\]: invalid subject .*Rule: the instance's sub claim carries no ref \(ci_id_token_sub_claim_components = project_path,ref_type\)/);
  });

  test("a component list GitLab does not accept is refused", () => {
    const error = violationOf(() => build({ subClaimComponents: ["ref", "project_path"] as never }));
    expect(error.message).toMatch(/^test\/ci\/subClaimComponents: invalid sub claim components \["ref","project_path"\]\. Rule: GitLab's ci_id_token_sub_claim_components accepts/);
  });

  test("protectedRefsOnly: true only when every subject is protected-only", () => {
    expect(build({ subjects: [{ projectPath: "acme/app", branch: "main", protectedRefsOnly: true }] }).role.protectedRefsOnly).toBe(true);
    expect(
      build({ subjects: [{ projectPath: "acme/app", branch: "main", protectedRefsOnly: true }, { projectPath: "acme/app", refType: "branch" }] }).role.protectedRefsOnly,
    ).toBe(false);
  });
});
