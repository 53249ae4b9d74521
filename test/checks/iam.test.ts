import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Fn } from "cdktf";
import { type Construct } from "constructs";
import { RunnerHostRole } from "../../lib/identity/runner-host-role";
import { ContainerRepository } from "../../lib/registry/repository";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

const policy = (...statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const rolePolicy = (scope: Construct, text: string) => new IamRolePolicy(scope, "policy", { role: "runner", policy: text });

describe("IAM001 wildcard actions", () => {
  test("fires on a service wildcard in an identity policy", () => {
    const annotations = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: ["s3:*"], Resource: "arn:aws:s3:::cache/*" })));
    const finding = onlyFinding(annotations, "IAM001", "test/policy");
    expect(finding.level).toBe("error");
    expect(finding.message).toMatch(/^IAM001 IAM statement allows wildcard actions: statement 1 allows Action "s3:\*" \(s3:[A-Za-z]+, s3:[A-Za-z]+, s3:[A-Za-z]+, … \(\d{3} actions\)\)\. Construct: test\/policy \(aws_iam_role_policy\.policy\)\. Fix: list the exact actions/);
  });

  test("fires on NotAction in an Allow statement", () => {
    const annotations = checkStack((s) => new IamPolicy(s, "managed", { policy: policy({ Sid: "Broad", Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::x" }) }));
    expect(onlyFinding(annotations, "IAM001", "test/managed").message).toContain('statement "Broad" allows every action except NotAction ["iam:*"]');
  });

  test("fires on a resource policy granting ecr:*", () => {
    const annotations = checkStack((s) => {
      new EcrRepositoryPolicy(s, "repo-policy", {
        repository: "acme/app",
        policy: policy({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: "ecr:*" }),
      });
    });
    expect(onlyFinding(annotations, "IAM001", "test/repo-policy").message).toContain('statement 1 allows Action "ecr:*" (');
  });

  test("passes exact actions and Deny statements with wildcards", () => {
    const annotations = checkStack((s) =>
      rolePolicy(
        s,
        policy(
          { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::cache/*" },
          { Effect: "Deny", Action: "s3:*", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ),
      ),
    );
    expect(annotations).toEqual([]);
  });
});

describe('IAM002 actions on Resource "*"', () => {
  test("fires on an identity policy granting s3:GetObject on *", () => {
    const annotations = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: ["ecr:GetAuthorizationToken", "s3:GetObject"], Resource: ["*"] })));
    const finding = onlyFinding(annotations, "IAM002", "test/policy");
    expect(finding.message).toContain('statement 1 allows s3:GetObject on Resource "*"');
    expect(finding.message).toContain("Fix: name the resource ARNs");
  });

  test("fires through an aws_iam_policy_document data source", () => {
    const annotations = checkStack((s) => {
      const doc = new DataAwsIamPolicyDocument(s, "doc", { statement: [{ actions: ["ssm:GetParameter"], resources: ["*"] }] });
      new IamRolePolicy(s, "from-doc", { role: "runner", policy: doc.json });
    });
    expect(onlyFinding(annotations, "IAM002", "test/from-doc").message).toContain('data.aws_iam_policy_document.doc statement 1 allows ssm:GetParameter on Resource "*"');
  });

  test("fires on NotResource", () => {
    const annotations = checkStack((s) => new IamPolicy(s, "not-resource", { policy: policy({ Effect: "Allow", Action: "s3:GetObject", NotResource: "arn:aws:s3:::secret/*" }) }));
    expect(onlyFinding(annotations, "IAM002", "test/not-resource").message).toContain('NotResource ["arn:aws:s3:::secret/*"] (every other resource)');
  });

  test("passes the actions without a resource-level form, lazily rendered grants and trust policies", () => {
    const annotations = checkStack((s) => {
      // RoleGrants renders its policy with Lazy: the pack must see the resolved JSON.
      const role = new RunnerHostRole(s, "host", { roleName: "runner" });
      new ContainerRepository(s, "repo", { repositoryName: "acme/app" }).grantPull(role);
      new IamRole(s, "trust", {
        assumeRolePolicy: policy({ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }),
      });
    });
    expect(annotations.filter((a) => /^IAM/.test(a.message))).toEqual([]);
  });
});

describe('IAM003 iam:PassRole on Resource "*"', () => {
  test("fires on iam:PassRole and on an action pattern covering it, reported once per policy", () => {
    const annotations = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: "iam:PassRole", Resource: "*" })));
    expect(onlyFinding(annotations, "IAM003", "test/policy").message).toContain('statement 1 allows iam:PassRole on Resource "*"');
    // PassRole alone is IAM003's finding, not also IAM002's.
    expect(findingsOf(annotations, "IAM002")).toEqual([]);

    const wildcard = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: "iam:Pass*", Resource: "*" })));
    expect(onlyFinding(wildcard, "IAM003", "test/policy").message).toContain('iam:PassRole (through "iam:Pass*")');
  });

  test("passes iam:PassRole on named role ARNs", () => {
    const annotations = checkStack((s) =>
      rolePolicy(s, policy({ Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::111111111111:role/runner-host" })),
    );
    expect(annotations).toEqual([]);
  });
});

describe("IAM004 unreadable policies", () => {
  test("warns on a policy that is a Terraform expression or invalid JSON, and synth continues", () => {
    const annotations = checkStack((s) => {
      new IamRolePolicy(s, "encoded", { role: "r", policy: Fn.jsonencode({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }) });
    });
    const finding = onlyFinding(annotations, "IAM004", "test/encoded");
    expect(finding.level).toBe("warning");
    expect(finding.message).toContain("the policy is a Terraform expression (${jsonencode(");

    const broken = checkStack((s) => rolePolicy(s, "{ not json"));
    expect(onlyFinding(broken, "IAM004", "test/policy").message).toContain('the policy is not valid JSON ({ not json)');
  });

  test("passes JSON with references inside its strings", () => {
    const annotations = checkStack((s) => {
      const repo = new ContainerRepository(s, "repo", { repositoryName: "acme/app" });
      rolePolicy(s, policy({ Effect: "Allow", Action: "ecr:BatchGetImage", Resource: repo.repositoryArn }));
    });
    expect(annotations).toEqual([]);
  });
});

describe("IAM008 resources of the wrong type", () => {
  test("warns on s3:GetObject on a bucket ARN (objects are bucket/key), and passes the right formats", () => {
    const annotations = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::cache" })));
    const finding = onlyFinding(annotations, "IAM008", "test/policy");
    expect(finding.level).toBe("warning");
    expect(finding.message).toContain('s3:GetObject on "arn:aws:s3:::cache" (it takes ');
    expect(finding.message).toContain(' or arn:${Partition}:s3:::${BucketName}/${ObjectName})');
    const right = checkStack((s) =>
      rolePolicy(
        s,
        policy(
          { Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::cache/*" },
          { Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::cache" },
          // The reference spells this type "Secret"; its file keys it "secret".
          { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: "arn:aws:secretsmanager:eu-central-1:111111111111:secret:x-AbCdEf" },
        ),
      ),
    );
    expect(findingsOf(right, "IAM008")).toEqual([]);
  });
});

describe("IAM005 unknown actions", () => {
  test("warns on a typo, which IAM accepts and grants nothing for", () => {
    const annotations = checkStack((s) => rolePolicy(s, policy({ Effect: "Allow", Action: ["ecr:BatchGetImages"], Resource: "arn:aws:ecr:eu-central-1:111111111111:repository/x" })));
    expect(onlyFinding(annotations, "IAM005", "test/policy").message).toContain('names "ecr:BatchGetImages", which match no action of the reference');
  });
});
