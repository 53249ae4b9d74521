import { PolicyDocument } from "../../lib/core/iam";
import { type StaticCredentialsProps, StaticCredentials } from "../../lib/identity/static-credentials";
import { ContainerRepository } from "../../lib/registry/repository";
import { onlyResource, resourcesOf, synth, testStack, violationOf } from "../support/synth";

function build(props: Partial<StaticCredentialsProps> = {}, grant?: "push" | "pull") {
  const stack = testStack();
  const creds = new StaticCredentials(stack, "legacy", { userName: "acme-ci-dev-legacy", ...props });
  if (grant) {
    const app = new ContainerRepository(stack, "app", { repositoryName: "acme/dev/app" });
    if (grant === "push") app.grantPush(creds);
    else app.grantPull(creds);
  }
  return { creds, json: synth(stack).json };
}

const repoArn = expect.stringMatching(/^\$\{aws_ecr_repository\.app_repository_[A-F0-9]+\.arn\}$/);
const policyOf = (json: ReturnType<typeof build>["json"]) => JSON.parse(onlyResource(json, "aws_iam_user_policy").policy as string);

describe("StaticCredentials", () => {
  test("a user and an access key whose secret is a reference stored as an SSM SecureString", () => {
    const { json } = build();
    expect(onlyResource(json, "aws_iam_user")).toEqual({ name: "acme-ci-dev-legacy" });
    expect(onlyResource(json, "aws_ssm_parameter")).toEqual({
      name: "/acme-ci-dev-legacy/secret-access-key",
      type: "SecureString",
      value: expect.stringMatching(/^\$\{aws_iam_access_key\.legacy_access-key_[A-F0-9]+\.secret\}$/),
      description: "Secret access key of IAM user acme-ci-dev-legacy (rotate with the rotation counter)",
    });
    expect(resourcesOf(json, "aws_secretsmanager_secret")).toEqual({});
    // No permission until something is granted.
    expect(resourcesOf(json, "aws_iam_user_policy")).toEqual({});
  });

  test("rotation: raising the counter replaces terraform_data, which replaces the key (create before destroy)", () => {
    const { json } = build({ rotation: 3 });
    expect(Object.values(resourcesOf(json, "terraform_data"))).toEqual([{ triggers_replace: { rotation: 3 } }]);
    expect(onlyResource(json, "aws_iam_access_key")).toEqual({
      user: expect.stringMatching(/^\$\{aws_iam_user\.legacy_user_[A-F0-9]+\.name\}$/),
      lifecycle: {
        create_before_destroy: true,
        replace_triggered_by: [expect.stringMatching(/^\$\{terraform_data\.legacy_rotation_[A-F0-9]+\}$/)],
      },
    });
  });

  test("Secrets Manager store with a customer key and a recovery window", () => {
    const key = "arn:aws:kms:eu-central-1:111111111111:key/abc";
    const { json } = build({ store: { type: "secrets-manager", secretName: "acme-ci/dev/legacy", kmsKeyArn: key, recoveryWindowInDays: 7 } });
    expect(onlyResource(json, "aws_secretsmanager_secret")).toEqual({
      name: "acme-ci/dev/legacy",
      description: "Secret access key of IAM user acme-ci-dev-legacy",
      kms_key_id: key,
      recovery_window_in_days: 7,
    });
    expect(onlyResource(json, "aws_secretsmanager_secret_version")).toEqual({
      secret_id: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.legacy_secret_[A-F0-9]+\.id\}$/),
      secret_string: expect.stringMatching(/^\$\{aws_iam_access_key\.legacy_access-key_[A-F0-9]+\.secret\}$/),
    });
    expect(resourcesOf(json, "aws_ssm_parameter")).toEqual({});
  });

  test("pull policy: the pull actions on the repository ARN, only GetAuthorizationToken on *", () => {
    expect(policyOf(build({}, "pull").json)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
        { Effect: "Allow", Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: [repoArn] },
      ],
    });
  });

  test("push policy: push and pull actions on the repository ARN, only GetAuthorizationToken on *", () => {
    expect(policyOf(build({}, "push").json)).toEqual({
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
          Resource: [repoArn],
        },
      ],
    });
  });

  test("grantReadSecret: GetParameter on the parameter (or GetSecretValue on the secret) and Decrypt on the customer key", () => {
    const ssm = new PolicyDocument();
    build().creds.grantReadSecret(ssm);
    expect(ssm.toJson().Statement).toEqual([
      { Effect: "Allow", Action: ["ssm:GetParameter"], Resource: [expect.stringMatching(/^\$\{TfToken\[TOKEN\.\d+\]\}$/)] },
    ]);
    const key = "arn:aws:kms:eu-central-1:111111111111:key/abc";
    const sm = new PolicyDocument();
    build({ store: { type: "secrets-manager", secretName: "s", kmsKeyArn: key } }).creds.grantReadSecret(sm);
    expect(sm.toJson().Statement.map((s) => s.Action)).toEqual([["secretsmanager:GetSecretValue"], ["kms:Decrypt"]]);
  });

  describe("bad input", () => {
    test("a user name over 64 characters", () => {
      expect(violationOf(() => build({ userName: "u".repeat(65) })).message).toMatch(
        /^test\/legacy: invalid user name "u{65}"\. Rule: an IAM user name is 1-64 characters.*Fix: shorten it by 1 characters/,
      );
    });

    test.each([0, 1.5, -1])("rotation %p", (rotation) => {
      expect(violationOf(() => build({ rotation })).message).toMatch(
        new RegExp(`^test/legacy: invalid rotation ${rotation}\\. Rule: the rotation counter is a whole number from 1.*Fix: start at 1`),
      );
    });

    test("a malformed parameter name", () => {
      expect(violationOf(() => build({ store: { type: "ssm-parameter", parameterName: "/aws/legacy" } })).message).toMatch(
        /^test\/legacy\/store: invalid parameterName "\/aws\/legacy"\. Rule: an SSM parameter name is .*Fix: use a name such as \/acme-ci-dev-legacy\/secret-access-key/,
      );
    });

    test("a malformed secret name", () => {
      expect(violationOf(() => build({ store: { type: "secrets-manager", secretName: "has space" } })).message).toMatch(
        /^test\/legacy\/store: invalid secretName "has space"\. Rule: a Secrets Manager secret name is 1-512 characters/,
      );
    });

    test("a recovery window Secrets Manager does not offer", () => {
      expect(violationOf(() => build({ store: { type: "secrets-manager", secretName: "s", recoveryWindowInDays: 3 } })).message).toMatch(
        /^test\/legacy\/store: invalid recoveryWindowInDays 3\. Rule: Secrets Manager keeps a deleted secret 0 \(delete at once\) or 7-30 days/,
      );
    });

    test("a user policy over IAM's 2,048-character quota fails synth", () => {
      const stack = testStack();
      const creds = new StaticCredentials(stack, "legacy", { userName: "u" });
      for (let i = 0; i < 60; i++) creds.addToPrincipalPolicy({ actions: ["s3:GetObject"], resources: [`arn:aws:s3:::bucket-number-${i}/*`] });
      const error = violationOf(() => synth(stack));
      expect(error.path).toBe("test/legacy/grants");
      expect(error.message).toMatch(/invalid inline policy size "\d+ characters"\. Rule: IAM limits a user's inline policies to 2048 characters.*several users/);
    });
  });
});
