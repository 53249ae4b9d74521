/**
 * The probe stack: one deliberate violation per known gap of the first rule
 * pack, each expected at its severity on the resource at fault. Every test
 * here failed on the pack before the IAM dataset, trust, managed-policy,
 * resource-policy, mutability, runner-config, CIDR-set, AMI-root and locals
 * rules.
 */
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { GroupVariable } from "@cdktf/provider-gitlab/lib/group-variable";
import { UserRunner } from "@cdktf/provider-gitlab/lib/user-runner";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn, TerraformLocal, TerraformVariable, type TerraformStack } from "cdktf";
import { loadedServices } from "../../lib/core/iam-data";
import { findingsOf, checkStack, type Annotation } from "../support/annotations";

const doc = (...statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const OIDC = "arn:aws:iam::111111111111:oidc-provider/gitlab.example.com";
const oidcTrust = (condition?: Record<string, unknown>) =>
  doc({ Effect: "Allow", Principal: { Federated: OIDC }, Action: "sts:AssumeRoleWithWebIdentity", ...(condition ? { Condition: condition } : {}) });
const AUD = { "gitlab.example.com:aud": "https://gitlab.example.com" };
const metadata = { httpTokens: "required", httpPutResponseHopLimit: 1 };
const encryptedRoot = [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }];

/** A role with a policy, as the probe's IAM subject. */
function rolePolicy(s: TerraformStack, id: string, statement: Record<string, unknown>): void {
  new IamRolePolicy(s, id, { role: "probe", policy: doc(statement) });
}

/** The findings of one rule at one path, as [level, path]. */
function at(annotations: readonly Annotation[], ruleId: string): Array<[string, string]> {
  return findingsOf(annotations, ruleId).map((a) => [a.level, a.path]);
}

describe("probe stack: trust policies", () => {
  test("an OIDC role with no sub condition is an error", () => {
    const a = checkStack((s) => new IamRole(s, "no-sub", { assumeRolePolicy: oidcTrust({ StringEquals: AUD }) }));
    expect(at(a, "TRUST001")).toEqual([["error", "test/no-sub"]]);
    expect(findingsOf(a, "TRUST001")[0]!.message).toContain("no condition on the token's sub claim");
  });

  test("an OIDC role with sub = project_path:* is an error", () => {
    const a = checkStack((s) => new IamRole(s, "any-project", { assumeRolePolicy: oidcTrust({ StringEquals: AUD, StringLike: { "gitlab.example.com:sub": "project_path:*" } }) }));
    expect(at(a, "TRUST001")).toEqual([["error", "test/any-project"]]);
    expect(findingsOf(a, "TRUST001")[0]!.message).toContain('allows "project_path:*", not anchored');
  });

  test('a role trusting {"AWS": "*"} is an error', () => {
    const a = checkStack((s) => new IamRole(s, "anyone", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }) }));
    expect(at(a, "TRUST001")).toEqual([["error", "test/anyone"]]);
  });

  test("an anchored sub with StringEquals aud passes", () => {
    const a = checkStack((s) =>
      new IamRole(s, "ok", { assumeRolePolicy: oidcTrust({ StringEquals: AUD, StringLike: { "gitlab.example.com:sub": "project_path:acme/app:ref_type:branch:ref:*" } }) }),
    );
    expect(at(a, "TRUST001")).toEqual([]);
  });
});

describe("probe stack: managed policies", () => {
  test("AdministratorAccess on a role reachable from CI is an error", () => {
    const a = checkStack((s) => {
      const role = new IamRole(s, "ci", {
        name: "ci",
        assumeRolePolicy: oidcTrust({ StringEquals: { ...AUD, "gitlab.example.com:sub": "project_path:acme/app:ref_type:branch:ref:main" } }),
      });
      new IamRolePolicyAttachment(s, "admin", { role: role.name, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    });
    expect(at(a, "IAM006")).toEqual([["error", "test/admin"]]);
    expect(findingsOf(a, "IAM006")[0]!.message).toContain("reachable from CI: it trusts a web identity (OIDC) provider");
  });
});

describe("probe stack: IAM actions and resources through the dataset", () => {
  test("s3:?* is a wildcard action covering every S3 action", () => {
    const a = checkStack((s) => rolePolicy(s, "p", { Effect: "Allow", Action: "s3:?*", Resource: "arn:aws:s3:::cache/*" }));
    expect(at(a, "IAM001")).toEqual([["error", "test/p"]]);
  });

  test("iam:Put* is a wildcard action that includes iam:PutRolePolicy", () => {
    const a = checkStack((s) => rolePolicy(s, "p", { Effect: "Allow", Action: "iam:Put*", Resource: "arn:aws:iam::111111111111:role/x" }));
    expect(at(a, "IAM001")).toEqual([["error", "test/p"]]);
  });

  test("iam:PassRole on arn:aws:iam::*:role/* is PassRole on every role", () => {
    const a = checkStack((s) => rolePolicy(s, "p", { Effect: "Allow", Action: "iam:PassRole", Resource: "arn:aws:iam::*:role/*" }));
    expect(at(a, "IAM003")).toEqual([["error", "test/p"]]);
    expect(findingsOf(a, "IAM003")[0]!.message).toContain('"arn:aws:iam::*:role/*" (every role)');
  });

  test("ssm:UpdateInstanceInformation on * is refused: it takes the instance resource type", () => {
    const a = checkStack((s) => rolePolicy(s, "p", { Effect: "Allow", Action: "ssm:UpdateInstanceInformation", Resource: "*" }));
    expect(at(a, "IAM002")).toEqual([["error", "test/p"]]);
  });

  test("only the services a policy names are loaded", () => {
    checkStack((s) => rolePolicy(s, "p", { Effect: "Allow", Action: "ecr:BatchGetImage", Resource: "arn:aws:ecr:eu-central-1:111111111111:repository/x" }));
    expect(loadedServices()).toContain("ecr");
    expect(loadedServices()).not.toContain("ec2");
  });
});

describe("probe stack: ECR and resource policies", () => {
  test("a MUTABLE repository is an error; IMMUTABLE_WITH_EXCLUSION passes", () => {
    const a = checkStack((s) => {
      new EcrRepository(s, "mutable", { name: "acme/mutable", imageTagMutability: "MUTABLE", imageScanningConfiguration: { scanOnPush: true } });
      new EcrRepository(s, "excluded", {
        name: "acme/excluded",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilter: [{ filter: "latest", filterType: "WILDCARD" }],
        imageScanningConfiguration: { scanOnPush: true },
      });
    });
    expect(at(a, "ECR004")).toEqual([["error", "test/mutable"]]);
  });

  test('a repository policy allowing Principal "*" without a narrowing condition is an error', () => {
    const a = checkStack((s) => {
      new EcrRepositoryPolicy(s, "public", { repository: "acme/app", policy: doc({ Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage"] }) });
      new EcrRepositoryPolicy(s, "org", {
        repository: "acme/app",
        policy: doc({ Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage"], Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } } }),
      });
    });
    expect(at(a, "RES001")).toEqual([["error", "test/public"]]);
  });
});

describe("probe stack: network and volumes", () => {
  test("0.0.0.0/0 split into two halves is still the whole internet", () => {
    const a = checkStack((s) =>
      new SecurityGroup(s, "halves", {
        ingress: [
          { fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["0.0.0.0/1"] },
          { fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: ["128.0.0.0/1"] },
        ],
      }),
    );
    expect(at(a, "NET001")).toEqual([["error", "test/halves"]]);
    expect(findingsOf(a, "NET001")[0]!.message).toContain("together the blocks cover every address");
  });

  test("a launch template that maps a data volume but not the AMI's root device is an error", () => {
    const a = checkStack((s) =>
      new LaunchTemplate(s, "lt", {
        imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        metadataOptions: metadata,
        blockDeviceMappings: [{ deviceName: "/dev/xvdb", ebs: { encrypted: "true" } }],
      }),
    );
    expect(at(a, "EC2001")).toEqual([["error", "test/lt"]]);
    expect(findingsOf(a, "EC2001")[0]!.message).toContain("does not map the AMI's root device /dev/xvda");
  });
});

describe("probe stack: locals and encodings", () => {
  test("a secret in user data behind ${base64gzip(local...)} is found", () => {
    const a = checkStack((s) => {
      const local = new TerraformLocal(s, "user-data", "#!/bin/bash\nexport RUNNER_TOKEN=glrt-abcdefghijklmnopqrstu\n");
      new Instance(s, "host", {
        ami: "ami-123",
        instanceType: "t3.micro",
        metadataOptions: metadata,
        rootBlockDevice: { encrypted: true },
        userDataBase64: Fn.base64gzip(local.asString),
      });
    });
    expect(at(a, "SEC001")).toEqual([["error", "test/host"]]);
  });

  test("a Nexus host recognised only through its ${base64gzip(local...)} user data, with a public IP from a local, is an error", () => {
    const a = checkStack((s) => {
      const userData = new TerraformLocal(s, "boot", "#!/bin/bash\ndocker run -d -p 8081:8081 sonatype/nexus3:3.70.1\n");
      const publicIp = new TerraformLocal(s, "public", true);
      new Instance(s, "host", {
        ami: "ami-123",
        instanceType: "t3.large",
        metadataOptions: metadata,
        rootBlockDevice: { encrypted: true },
        associatePublicIpAddress: publicIp.asBoolean,
        userDataBase64: Fn.base64gzip(userData.asString),
      });
    });
    expect(at(a, "NET002")).toEqual([["error", "test/host"]]);
    expect(findingsOf(a, "NET002")[0]!.message).toContain("its user data runs sonatype/nexus");
  });

  test("a mirror host whose public IP depends on a variable is unchecked (info)", () => {
    const a = checkStack((s) => {
      const publicIp = new TerraformVariable(s, "public", { type: "bool" });
      new Instance(s, "mirror", { ami: "ami-123", instanceType: "t3.large", metadataOptions: metadata, rootBlockDevice: { encrypted: true }, associatePublicIpAddress: publicIp.booleanValue });
    });
    expect(at(a, "NET002")).toEqual([["info", "test/mirror"]]);
  });

  test("a value known only at apply time is reported as unchecked (info), never as passing", () => {
    const a = checkStack((s) => {
      new Instance(s, "host", { ami: "ami-123", instanceType: "t3.micro", metadataOptions: metadata, rootBlockDevice: { encrypted: true }, userData: "${templatefile(\"boot.sh\", {})}" });
    });
    expect(at(a, "SEC001")).toEqual([["info", "test/host"]]);
    expect(findingsOf(a, "SEC001")[0]!.message).toMatch(/SEC001 Secret in user data: unchecked: its user data is known only at apply time \(.*templatefile.*\), so it was not scanned/);
  });

  test("a sensitive variable passed through a local into an unprotected GitLab variable is an error", () => {
    const a = checkStack((s) => {
      const password = new TerraformVariable(s, "password", { type: "string", sensitive: true });
      const local = new TerraformLocal(s, "auth", Fn.join(":", ["user", password.stringValue]));
      new GroupVariable(s, "var", { group: "acme", key: "REGISTRY_AUTH", value: local.asString, masked: true, protected: false });
    });
    expect(at(a, "GL001")).toEqual([["error", "test/var"]]);
    expect(findingsOf(a, "GL001")[0]!.message).toContain("var.password (through local.auth)");
  });
});

describe("probe stack: runner configs", () => {
  const configToml = (volumes: string[], privileged: boolean) =>
    [
      "concurrent = 2",
      "",
      "[[runners]]",
      'name = "build"',
      'url = "https://gitlab.example.com"',
      'token = "${gitlab_user_runner.build.token}"',
      'executor = "docker"',
      "",
      "[runners.docker]",
      'image = "docker:27"',
      `privileged = ${privileged}`,
      `volumes = ${JSON.stringify(volumes)}`,
      "",
    ].join("\n");
  const host = (s: TerraformStack, volumes: string[], privileged: boolean, accessLevel: string) => {
    new UserRunner(s, "build", { runnerType: "group_type", groupId: 1, accessLevel });
    const cloudConfig = `#cloud-config\nwrite_files:\n  - path: /etc/gitlab-runner/config.toml\n    content: |\n${configToml(volumes, privileged)
      .split("\n")
      .map((l) => `      ${l}`)
      .join("\n")}\n`;
    new LaunchTemplate(s, "lt", {
      imageId: "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
      metadataOptions: metadata,
      blockDeviceMappings: encryptedRoot,
      userData: Fn.base64gzip(new TerraformLocal(s, "config", cloudConfig).asString),
    });
  };

  test("socket binding on a runner registered not_protected is an error", () => {
    const a = checkStack((s) => host(s, ["/var/run/docker.sock:/var/run/docker.sock"], false, "not_protected"));
    expect(at(a, "RUN001")).toEqual([["error", "test/lt"]]);
    expect(findingsOf(a, "RUN001")[0]!.message).toContain('has access_level "not_protected"');
  });

  test("host mounts /:/host and /var/run:/var/run and privileged mode on an unprotected runner are errors", () => {
    const a = checkStack((s) => host(s, ["/:/host", "/var/run:/var/run"], true, "not_protected"));
    const message = findingsOf(a, "RUN001")[0]!.message;
    expect(message).toContain("privileged = true");
    expect(message).toContain('volume "/:/host"');
    expect(message).toContain('volume "/var/run:/var/run"');
  });

  test("the same runner registered ref_protected passes", () => {
    const a = checkStack((s) => host(s, ["/var/run/docker.sock:/var/run/docker.sock"], true, "ref_protected"));
    expect(at(a, "RUN001")).toEqual([]);
  });
});

describe("probe stack: trust policy edge cases", () => {
  test("the provider host is read from a referenced aws_iam_openid_connect_provider; its claims must be conditioned", () => {
    const a = checkStack((s) => {
      const provider = new IamOpenidConnectProvider(s, "gitlab", { url: "https://gitlab.example.com", clientIdList: ["https://gitlab.example.com"] });
      const trust = (sub: string) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Federated: provider.arn }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { ...AUD }, StringLike: { "other.example.com:sub": sub } } }],
        });
      new IamRole(s, "wrong-host", { assumeRolePolicy: trust("project_path:acme/app:*") });
    });
    // The sub condition names another issuer's claim, so this provider's sub is unconditioned.
    expect(findingsOf(a, "TRUST001")[0]!.message).toContain("no condition on the token's sub claim");
  });

  test("a ForAllValues sub condition is refused (it is true for a token without the claim)", () => {
    const a = checkStack((s) => new IamRole(s, "for-all", { assumeRolePolicy: oidcTrust({ StringEquals: AUD, "ForAllValues:StringLike": { "gitlab.example.com:sub": "project_path:acme/app:*" } }) }));
    expect(findingsOf(a, "TRUST001")[0]!.message).toContain("uses ForAllValues:StringLike");
  });

  test("Cognito identity pools are not GitLab and are left to their own conditions", () => {
    const a = checkStack((s) => new IamRole(s, "cognito", { assumeRolePolicy: doc({ Effect: "Allow", Principal: { Federated: "cognito-identity.amazonaws.com" }, Action: "sts:AssumeRoleWithWebIdentity" }) }));
    expect(findingsOf(a, "TRUST001")).toEqual([]);
  });
});

describe("probe stack: literal secrets in CI/CD variables", () => {
  test("a literal password in an unmasked, unprotected variable is an error, also through a local", () => {
    const a = checkStack((s) => {
      new GroupVariable(s, "direct", { group: "acme", key: "DB_PASSWORD", value: "hunter2-but-longer" });
      const local = new TerraformLocal(s, "token", "glpat-abcdefghijklmnopqrst");
      new GroupVariable(s, "via-local", { group: "acme", key: "API", value: local.asString, masked: true });
      new GroupVariable(s, "harmless", { group: "acme", key: "REGION", value: "eu-central-1" });
    });
    expect(at(a, "GL001")).toEqual([
      ["error", "test/direct"],
      ["error", "test/via-local"],
    ]);
    expect(findingsOf(a, "GL001")[1]!.message).toContain("a literal secret (a GitLab token, glpat-a…)");
  });
});

describe("probe stack: unchecked values in network and ECR rules", () => {
  test("an ingress CIDR from a variable is unchecked (info); through a local it is judged; the VPC's own CIDR is internal", () => {
    const a = checkStack((s) => {
      const cidr = new TerraformVariable(s, "admin-cidr", { type: "string" });
      new SecurityGroup(s, "from-variable", { ingress: [{ fromPort: 8081, toPort: 8081, protocol: "tcp", cidrBlocks: [cidr.stringValue] }] });
      const open = new TerraformLocal(s, "everyone", "0.0.0.0/0");
      new SecurityGroup(s, "from-local", { ingress: [{ fromPort: 22, toPort: 22, protocol: "tcp", cidrBlocks: [open.asString] }] });
      const vpc = new Vpc(s, "vpc", { cidrBlock: "10.0.0.0/16" });
      new SecurityGroup(s, "from-vpc", { vpcId: vpc.id, ingress: [{ fromPort: 443, toPort: 443, protocol: "tcp", cidrBlocks: [vpc.cidrBlock] }] });
    });
    expect(at(a, "NET001")).toEqual([
      ["info", "test/from-variable"],
      ["error", "test/from-local"],
    ]);
  });

  test("image_tag_mutability from a variable is unchecked (info), MUTABLE through a local is an error", () => {
    const a = checkStack((s) => {
      const mutability = new TerraformVariable(s, "mutability", { type: "string" });
      new EcrRepository(s, "from-variable", { name: "acme/a", imageTagMutability: mutability.stringValue, imageScanningConfiguration: { scanOnPush: true } });
      const local = new TerraformLocal(s, "mutable", "MUTABLE");
      new EcrRepository(s, "from-local", { name: "acme/b", imageTagMutability: local.asString, imageScanningConfiguration: { scanOnPush: true } });
    });
    expect(at(a, "ECR004")).toEqual([
      ["info", "test/from-variable"],
      ["error", "test/from-local"],
    ]);
  });
});
