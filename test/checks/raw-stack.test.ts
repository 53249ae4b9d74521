/**
 * Another team's stack: raw provider resources only, none of our constructs, and the pack
 * imported from the package root as a consumer would.
 */
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { ProjectVariable } from "@cdktf/provider-gitlab/lib/project-variable";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { Aspects, Fn, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { SecurityRulePack, evaluateSecurityRules, suppressRule } from "../../lib";
import { annotationsOf } from "../support/annotations";

/** A small build platform of another team; `insecure` flips every setting the pack checks. */
function teamStack(insecure: boolean): TerraformStack {
  const stack = new TerraformStack(Testing.app(), "team-builds");
  new AwsProvider(stack, "aws", { region: "eu-west-1" });
  new GitlabProvider(stack, "gitlab", {});

  const artifacts = new S3Bucket(stack, "artifacts", { bucket: "team-builds-artifacts" });
  new S3BucketPublicAccessBlock(stack, "artifacts-pab", {
    bucket: artifacts.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: !insecure,
  });
  if (!insecure) {
    new S3BucketServerSideEncryptionConfigurationA(stack, "artifacts-sse", {
      bucket: artifacts.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
    });
  }
  const tls = new DataAwsIamPolicyDocument(stack, "artifacts-tls", {
    statement: [
      {
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [artifacts.arn, `${artifacts.arn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ],
  });
  new S3BucketPolicy(stack, "artifacts-policy", { bucket: artifacts.id, policy: tls.json });

  const repo = new EcrRepository(stack, "images", {
    name: "team/builder",
    imageScanningConfiguration: { scanOnPush: !insecure },
    forceDelete: insecure,
    imageTagMutability: insecure ? "MUTABLE" : "IMMUTABLE",
    lifecycle: { preventDestroy: true },
  });
  const keepLatest = { rulePriority: 1, selection: { tagStatus: "tagged", tagPatternList: ["latest"], countType: "imageCountMoreThan", countNumber: 100000 }, action: { type: "expire" } };
  const keepReleases = { rulePriority: 2, selection: { tagStatus: "tagged", tagPatternList: ["v*.*.*"], countType: "imageCountMoreThan", countNumber: 100000 }, action: { type: "expire" } };
  const keepDeployed = { rulePriority: 3, selection: { tagStatus: "tagged", tagPrefixList: ["deployed-"], countType: "imageCountMoreThan", countNumber: 100000 }, action: { type: "expire" } };
  const expireOld = { rulePriority: 4, selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 60 }, action: { type: "expire" } };
  new EcrLifecyclePolicy(stack, "images-lifecycle", {
    repository: repo.name,
    policy: JSON.stringify({ rules: insecure ? [{ ...expireOld, rulePriority: 1 }] : [keepLatest, keepReleases, keepDeployed, expireOld] }),
  });

  const role = new IamRole(stack, "builder", {
    name: "team-builder",
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
  });
  new IamRolePolicy(stack, "builder-policy", {
    role: role.name,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        { Effect: "Allow", Action: insecure ? "ecr:*" : ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: insecure ? "*" : repo.arn },
        { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `${artifacts.arn}/*` },
        ...(insecure ? [{ Effect: "Allow", Action: "iam:PassRole", Resource: "*" }] : []),
      ],
    }),
  });

  const builders = new SecurityGroup(stack, "builders", {
    description: "build hosts",
    ingress: insecure ? [{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] }] : [],
    egress: [{ fromPort: 0, toPort: 0, protocol: "-1", cidrBlocks: ["0.0.0.0/0"] }],
  });
  new LaunchTemplate(stack, "build-hosts", {
    imageId: "ami-0123456789abcdef0",
    vpcSecurityGroupIds: [builders.id],
    metadataOptions: { httpTokens: insecure ? "optional" : "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: insecure ? "false" : "true", volumeSize: 100 } }],
    userData: Fn.base64encode(
      insecure
        ? "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        : "#!/bin/sh\nTOKEN=$(aws ssm get-parameter --with-decryption --name /team/builder/token --query Parameter.Value --output text)\n",
    ),
  });

  const registryPassword = new TerraformVariable(stack, "registry_password", { type: "string", sensitive: true });
  new ProjectVariable(stack, "registry-password", {
    project: "team/app",
    key: "REGISTRY_PASSWORD",
    value: registryPassword.value,
    masked: true,
    protected: !insecure,
  });
  return stack;
}

function check(stack: TerraformStack, production: boolean) {
  Aspects.of(stack).add(new SecurityRulePack({ production }));
  Testing.synth(stack);
  return annotationsOf(stack);
}

describe("the pack on another team's raw-resource stack", () => {
  test("a well-configured stack passes, in production too", () => {
    expect(check(teamStack(false), true)).toEqual([]);
  });

  test("a misconfigured stack gets one finding per problem, each on the resource at fault", () => {
    const annotations = check(teamStack(true), false);
    expect(annotations.map((a) => `${a.level} ${a.message.slice(0, 6)} ${a.path}`)).toEqual([
      "error S3001  team-builds/artifacts",
      "error S3002  team-builds/artifacts",
      "error ECR001 team-builds/images",
      "error ECR002 team-builds/images",
      "error ECR004 team-builds/images",
      "error ECR003 team-builds/images-lifecycle",
      "error IAM001 team-builds/builder-policy",
      "error IAM002 team-builds/builder-policy",
      "error IAM003 team-builds/builder-policy",
      "error NET001 team-builds/builders",
      "error EC2001 team-builds/build-hosts",
      "error EC2002 team-builds/build-hosts",
      "error SEC001 team-builds/build-hosts",
      "error GL001  team-builds/registry-password",
    ]);
  });

  test("suppressions with reasons let a team accept a finding, and the same rules run on plain JSON", () => {
    const stack = teamStack(true);
    suppressRule(stack.node.findChild("builders"), "NET001", "temporary SSH for the migration week, removed by TEAM-123", "2099-12-31");
    const annotations = check(stack, false);
    expect(annotations.filter((a) => a.message.includes("NET001")).map((a) => [a.level, a.message.slice(0, 45)])).toEqual([
      ["info", "SecurityRulePack: NET001 suppressed at team-b"],
    ]);
    // Tooling without constructs (e.g. over cdktf.out/stacks/*/cdk.tf.json) gets the same findings.
    const findings = evaluateSecurityRules(teamStack(true).toTerraform());
    expect(new Set(findings.map((f) => f.ruleId))).toEqual(new Set(["S3001", "S3002", "ECR001", "ECR002", "ECR003", "ECR004", "IAM001", "IAM002", "IAM003", "NET001", "EC2001", "EC2002", "SEC001", "GL001"]));
  });
});
