import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { ContainerRepository } from "../../lib/registry/repository";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

function build(props: Partial<ConstructorParameters<typeof ContainerRepository>[2]> = {}) {
  const stack = testStack();
  const repo = new ContainerRepository(stack, "app", { repositoryName: "acme/dev/app", ...props });
  return { stack, repo, json: synth(stack).json };
}

describe("ContainerRepository", () => {
  test("secure defaults: scan on push, AES256, no force delete, immutable except moving tags", () => {
    const { json } = build();
    expect(onlyResource(json, "aws_ecr_repository")).toEqual(
      expect.objectContaining({
        name: "acme/dev/app",
        force_delete: false,
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: "AES256" }],
        image_tag_mutability: "IMMUTABLE_WITH_EXCLUSION",
        // Only the moving tags are mutable (`latest`, BuildKit's `buildcache` and `deployed-<environment>`): merge-request and branch images are tagged per commit.
        image_tag_mutability_exclusion_filter: [
          { filter: "latest", filter_type: "WILDCARD" },
          { filter: "buildcache", filter_type: "WILDCARD" },
          { filter: "deployed-*", filter_type: "WILDCARD" },
        ],
      }),
    );
    expect(onlyResource(json, "aws_ecr_repository")).not.toHaveProperty("lifecycle");
    expect(resourcesOf(json, "aws_ecr_repository_policy")).toEqual({});
  });

  test("the lifecycle policy is the tag scheme's, protected tags first", () => {
    const { json, repo } = build();
    const policy = JSON.parse(onlyResource(json, "aws_ecr_lifecycle_policy").policy as string) as {
      rules: Array<{ rulePriority: number; selection: Record<string, unknown> }>;
    };
    expect(policy).toEqual(repo.lifecyclePolicy);
    const first = policy.rules.slice(0, 2).map((r) => r.selection.tagPatternList);
    expect(first).toEqual([["latest"], ["v*.*.*"]]);
    expect(policy.rules.find((r) => r.selection.tagStatus === "untagged")?.selection).toEqual(
      expect.objectContaining({ countType: "sinceImagePushed", countUnit: "days", countNumber: 1 }),
    );
  });

  test("repositories sharing a tag scheme share its derived policy; a catch-all makes another", () => {
    const stack = testStack();
    const tagScheme = new TagScheme("scheme");
    const [a, b, c] = ["a", "b", "c"].map((id) => new ContainerRepository(stack, id, { repositoryName: `acme/${id}`, tagScheme, ...(id === "c" ? { catchAllRetention: { maxCount: 500 } } : {}) }));
    expect(b!.lifecyclePolicy).toBe(a!.lifecyclePolicy);
    expect(c!.lifecyclePolicy).not.toBe(a!.lifecyclePolicy);
    expect(c!.lifecyclePolicy.rules.at(-1)?.selection.tagStatus).toBe("any");
    const policies = Object.values(resourcesOf(synth(stack).json, "aws_ecr_lifecycle_policy")).map((p) => p.policy);
    expect(policies[0]).toBe(policies[1]);
    expect(policies[2]).not.toBe(policies[0]);
    // A repository with its own scheme of the same settings gets an equal policy.
    expect(new ContainerRepository(stack, "d", { repositoryName: "acme/d" }).lifecyclePolicy).toEqual(a!.lifecyclePolicy);
  });

  test("KMS encryption, mutable tags, prevent_destroy and force_delete are options", () => {
    const { json } = build({
      encryption: { type: "KMS", kmsKeyArn: "arn:aws:kms:eu-central-1:111111111111:key/abc" },
      tagMutability: "mutable",
      preventDestroy: true,
      forceDelete: true,
    });
    const repo = onlyResource(json, "aws_ecr_repository");
    expect(repo.encryption_configuration).toEqual([
      { encryption_type: "KMS", kms_key: "arn:aws:kms:eu-central-1:111111111111:key/abc" },
    ]);
    expect(repo.image_tag_mutability).toBe("MUTABLE");
    expect(repo).not.toHaveProperty("image_tag_mutability_exclusion_filter");
    expect(repo.lifecycle).toEqual({ prevent_destroy: true });
    expect(repo.force_delete).toBe(true);
  });

  test("cross-account pull writes a repository policy for the accounts' roots", () => {
    const { json } = build({ crossAccountPullAccountIds: ["222222222222"] });
    const policy = JSON.parse(onlyResource(json, "aws_ecr_repository_policy").policy as string);
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "CrossAccountPull",
          Effect: "Allow",
          // Partition-aware: from the aws_partition data source.
          Principal: { AWS: [expect.stringMatching(/^arn:\$\{data\.aws_partition\.app_partition_[0-9A-F]+\.partition\}:iam::222222222222:root$/)] },
          Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        },
      ],
    });
  });

  test("grantPull and grantPush: GetAuthorizationToken on *, everything else on the repository ARN", () => {
    const stack = testStack();
    const app = new ContainerRepository(stack, "app", { repositoryName: "acme/app" });
    const ci = new ContainerRepository(stack, "ci", { repositoryName: "acme/app-ci" });
    const puller = new RunnerHostRole(stack, "puller", { roleName: "puller" });
    app.grantPull(puller);
    ci.grantPull(puller);
    const pusher = new RunnerHostRole(stack, "pusher", { roleName: "pusher" });
    app.grantPush(pusher);
    const { json } = synth(stack);
    const policies = Object.values(resourcesOf(json, "aws_iam_role_policy"));
    const docOf = (role: string) =>
      JSON.parse(policies.find((p) => String(p.role).includes(`aws_iam_role.${role}_role_`))!.policy as string) as {
        Statement: Array<{ Action: string[]; Resource: string[] }>;
      };
    const arnRef = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{aws_ecr_repository\\.${id}_repository_[A-F0-9]+\\.arn\\}$`));
    // The only ECR action on "*" is GetAuthorizationToken (it shares the "*" statement with Session Manager).
    const ecrStatements = (role: string) =>
      docOf(role)
        .Statement.map((s) => ({ ...s, Action: s.Action.filter((a) => a.startsWith("ecr:")) }))
        .filter((s) => s.Action.length > 0);

    expect(ecrStatements("puller")).toEqual([
      { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      {
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        Resource: [arnRef("app"), arnRef("ci")],
      },
    ]);
    expect(ecrStatements("pusher")).toEqual([
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
        Resource: [arnRef("app")],
      },
    ]);
  });

  describe("bad input", () => {
    test.each([
      ["Acme/App", /lower-case letters and digits/],
      ["acme//app", /no leading, trailing or doubled separators/],
      ["acme/app!", /lower-case letters and digits/],
      ["-app", /lower-case letters and digits/],
      ["a", /2 to 256 characters/],
      [`acme/${"x".repeat(252)}`, /2 to 256 characters/],
    ])("repository name %p", (name, rule) => {
      const error = violationOf(() => build({ repositoryName: name }));
      expect(error.message).toMatch(/^test\/app: invalid repository name /);
      expect(error.message).toContain(JSON.stringify(name));
      expect(error.message).toMatch(rule);
      expect(error.message).toMatch(/Fix: /);
    });

    test("a hand-written lifecycle policy that would expire a protected tag", () => {
      const error = violationOf(() =>
        build({
          lifecyclePolicy: {
            rules: [
              {
                rulePriority: 1,
                description: "keep 5 images",
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 5 },
                action: { type: "expire" },
              },
            ],
          },
        }),
      );
      expect(error.message).toMatch(/^test\/app\/lifecyclePolicy: /);
      expect(error.message).toMatch(/latest/);
    });

    test("a moving tag kind the scheme does not use", () => {
      const error = violationOf(() =>
        build({ tagScheme: new TagScheme("scheme", { use: ["latest", "commit"] }), movingTagKinds: ["branch"] }),
      );
      expect(error.message).toMatch(/^test\/app\/movingTagKinds: invalid tag kind "branch"/);
    });

    test("a malformed cross-account id", () => {
      const error = violationOf(() => build({ crossAccountPullAccountIds: ["12345"] }));
      expect(error.message).toMatch(/^test\/app: invalid crossAccountPullAccountIds\[0\] "12345"\. Rule: an AWS account id is exactly 12 digits/);
    });
  });
});
