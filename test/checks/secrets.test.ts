import { gzipSync } from "node:zlib";
import { Instance } from "@cdktf/provider-aws/lib/instance";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { DeployToken } from "@cdktf/provider-gitlab/lib/deploy-token";
import { GroupVariable } from "@cdktf/provider-gitlab/lib/group-variable";
import { ProjectVariable } from "@cdktf/provider-gitlab/lib/project-variable";
import { GitlabProvider } from "@cdktf/provider-gitlab/lib/provider";
import { Fn, TerraformDataSource, TerraformLocal, TerraformVariable } from "cdktf";
import { type Construct } from "constructs";
import fc from "fast-check";
import { decodedLayers, findSecrets, findTokens, TOKEN_PATTERNS } from "../../lib/checks/secrets";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

const RUNNER_TOKEN = "glrt-t1_Zx9yQwErTy8uIoP7aSdF";
const ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE";

const base64 = (text: string) => Buffer.from(text).toString("base64");
const template = (scope: Construct, id: string, userData: string) =>
  new LaunchTemplate(scope, id, {
    imageId: "ami-1",
    metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
    blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true" } }],
    userData,
  });

describe("GL001 secret CI/CD variables", () => {
  test("fires on a variable carrying a deploy token that is neither masked nor protected", () => {
    const annotations = checkStack((s) => {
      new GitlabProvider(s, "gitlab", {});
      const token = new DeployToken(s, "registry-token", { project: "acme/app", name: "registry", scopes: ["read_registry"] });
      new ProjectVariable(s, "docker-auth", {
        project: "acme/app",
        key: "DOCKER_AUTH_CONFIG",
        value: Fn.jsonencode({ auths: { "registry.example.com": { auth: Fn.base64encode(Fn.join(":", [token.username, token.token])) } } }),
      });
    });
    const finding = onlyFinding(annotations, "GL001", "test/docker-auth");
    expect(finding.message).toMatch(
      /the value of "DOCKER_AUTH_CONFIG" comes from gitlab_deploy_token\.registry-token\.token but the variable is not masked or hidden and not protected\. .*Fix: set masked = true \(or hidden = true\) and protected = true/,
    );
  });

  test("fires on a masked but unprotected variable from a sensitive stack variable", () => {
    const annotations = checkStack((s) => {
      new GitlabProvider(s, "gitlab", {});
      const secret = new TerraformVariable(s, "mirror_password", { type: "string", sensitive: true });
      new GroupVariable(s, "mirror", { group: "acme", key: "MIRROR_PASSWORD", value: secret.value, masked: true });
    });
    expect(onlyFinding(annotations, "GL001", "test/mirror").message).toContain("comes from var.mirror_password but the variable is not protected");
  });

  test("passes masked (or hidden) and protected secrets, and values that hold no secret", () => {
    const annotations = checkStack((s) => {
      new GitlabProvider(s, "gitlab", {});
      const secret = new TerraformVariable(s, "token", { type: "string", sensitive: true });
      const plain = new TerraformVariable(s, "region", { type: "string" });
      new ProjectVariable(s, "masked", { project: "acme/app", key: "A", value: secret.value, masked: true, protected: true });
      new ProjectVariable(s, "hidden", { project: "acme/app", key: "B", value: secret.value, hidden: true, masked: true, protected: true });
      new ProjectVariable(s, "region-var", { project: "acme/app", key: "AWS_REGION", value: plain.value });
      new ProjectVariable(s, "cred-helpers", {
        project: "acme/app",
        key: "DOCKER_AUTH_CONFIG",
        value: JSON.stringify({ credHelpers: { "111111111111.dkr.ecr.eu-central-1.amazonaws.com": "ecr-login" } }),
      });
    });
    expect(annotations).toEqual([]);
  });
});

describe("SEC001 secrets in user data", () => {
  test("fires on a runner token in base64 user data, without repeating the token", () => {
    const annotations = checkStack((s) => template(s, "runners", base64(`#!/bin/sh\ngitlab-runner register --token ${RUNNER_TOKEN}\n`)));
    const finding = onlyFinding(annotations, "SEC001", "test/runners");
    expect(finding.message).toContain("its user data (decoded) contains a GitLab token (glrt-t1…)");
    expect(finding.message).not.toContain(RUNNER_TOKEN);
    expect(finding.message).toContain("Fix: read the secret at boot from an SSM SecureString parameter");
  });

  test("decodes gzip, base64encode() wrappers, cloud-init b64 files and cloudinit_config parts", () => {
    const annotations = checkStack((s) => {
      template(s, "gzipped", gzipSync(Buffer.from(`[default]\naws_access_key_id = ${ACCESS_KEY}\n`)).toString("base64"));
      template(s, "wrapped", Fn.base64encode(Fn.rawString('#!/bin/sh\nNEXUS_PASSWORD="s3cr3t-Passw0rd"\n')));
      const cloudConfig = `#cloud-config\nwrite_files:\n  - path: /etc/key.pem\n    encoding: b64\n    content: ${base64("-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n")}\n`;
      new Instance(s, "host", {
        ami: "ami-1",
        instanceType: "t3.micro",
        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true },
        userData: cloudConfig,
      });
      const cloudinit = new TerraformDataSource(s, "cloudinit", { terraformResourceType: "cloudinit_config" });
      cloudinit.addOverride("part", [{ content_type: "text/x-shellscript", content: `export RUNNER_TOKEN=${RUNNER_TOKEN}` }]);
    });
    expect(findingsOf(annotations, "SEC001").map((a) => [a.path, /contains (.*?)\. Construct/.exec(a.message)?.[1]])).toEqual([
      ["test/gzipped", "an AWS access key id (AKIAIOS…)"],
      ["test/wrapped", 'a literal value assigned to "NEXUS_PASSWORD" (NEXUS_PASSWORD=s3cr3t-…)'],
      ["test/host", "a private key (-----BE…)"],
      ["test/cloudinit", "a GitLab token (glrt-t1…)"],
    ]);
  });

  test("passes user data that reads secrets at boot or takes them from Terraform references", () => {
    const script = [
      "#!/bin/sh",
      'TOKEN="$(aws ssm get-parameter --with-decryption --name /acme-ci/dev/runner/token --query Parameter.Value --output text)"',
      'sed -i "s/__RUNNER_TOKEN__/$TOKEN/" /etc/gitlab-runner/config.toml',
      "password=${var.not_really_inline}",
      "token = RUNNER_TOKEN",
      "lock_passwd: true",
      "secret_file=/run/secrets/nexus",
    ].join("\n");
    expect(checkStack((s) => template(s, "runners", base64(script)))).toEqual([]);
  });
});

describe("SEC002 secret literals elsewhere in the stack", () => {
  test("fires on a token in a parameter value, a variable default and a provider block", () => {
    const annotations = checkStack((s) => {
      new GitlabProvider(s, "gitlab", { token: "glpat-AbCdEfGhIjKlMnOpQrSt" });
      new SsmParameter(s, "token", { name: "/acme/runner/token", type: "SecureString", value: RUNNER_TOKEN });
      new TerraformVariable(s, "aws_key", { type: "string", default: ACCESS_KEY });
    });
    const found = findingsOf(annotations, "SEC002");
    expect(found.map((a) => a.path)).toEqual(["test", "test/token", "test/aws_key"]);
    expect(onlyFinding(annotations.filter((a) => a.path === "test/token"), "SEC002", "test/token").message).toContain("value holds a GitLab token (glrt-t1…)");
    expect(found[0]!.message).toContain("token holds a GitLab token (glpat-A…). Construct: test (provider.gitlab[0])");
    expect(found[2]!.message).toContain("default holds an AWS access key id (AKIAIOS…). Construct: test/aws_key (var.aws_key)");
    expect(annotations.map((a) => a.message).join("\n")).not.toContain("AbCdEfGhIjKlMnOpQrSt");
  });
});

describe("SEC002 attribute paths and token markers", () => {
  test("names the nested attribute path of a token (list index and keys) and nothing for token-free leaves", () => {
    const annotations = checkStack((s) => {
      new TerraformLocal(s, "ext", { program: ["sh", "-c", `echo ${RUNNER_TOKEN}`], query: { nested: [{ plain: "text" }, { key: ACCESS_KEY }] } });
    });
    const [found] = findingsOf(annotations, "SEC002");
    expect(found?.message).toContain("value.program[2] holds a GitLab token (glrt-t1…)");
    expect(found?.message).toContain("value.query.nested[1].key holds an AWS access key id (AKIAIOS…)");
    expect(found?.message).not.toContain("nested[0]");
  });

  test("findTokens answers as the token patterns themselves do, for texts with and without their markers", () => {
    const direct = (text: string) => TOKEN_PATTERNS.flatMap(({ kind, pattern }) => (pattern.test(text) ? [kind] : []));
    const fragments = fc.constantFrom("glpat-", "glrt-", "glagent-", "gl", "GR1348941", "AKIA", "ASIA", "-----BEGIN ", "RSA ", "PRIVATE KEY-----", "-", "_", " ", "\n", "x");
    const text = fc.array(fc.oneof(fragments, fc.string({ maxLength: 6 }), fc.stringMatching(/^[A-Z0-9]{0,20}$/), fc.stringMatching(/^[A-Za-z0-9_-]{0,14}$/)), { maxLength: 8 }).map((parts) => parts.join(""));
    let withTokens = 0;
    fc.assert(
      fc.property(text, (t) => {
        const kinds = findTokens(t).map((m) => m.kind);
        if (kinds.length > 0) withTokens++;
        expect(kinds).toEqual(direct(t));
      }),
      { numRuns: 1000 },
    );
    expect(withTokens).toBeGreaterThan(5);
    for (const t of [RUNNER_TOKEN, ACCESS_KEY, "-----BEGIN OPENSSH PRIVATE KEY-----", "GR1348941abcdefghijklmno"]) expect(findTokens(`x ${t} y`).map((m) => m.kind)).toEqual(direct(t));
  });
});

describe("decoding and matching", () => {
  test("decodedLayers undoes base64 inside base64 and ignores binary blobs", () => {
    const inner = base64(`#!/bin/sh\necho ${RUNNER_TOKEN}\n`);
    const layers = decodedLayers(base64(`#cloud-config\nwrite_files:\n  - content: ${inner}\n    encoding: b64\n`));
    expect(layers.some((l) => l.includes(RUNNER_TOKEN))).toBe(true);
    expect(decodedLayers(Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 254, 255, 0, 1]).toString("base64"))).toHaveLength(1);
  });

  test("findSecrets ignores boot-time references and placeholders but not literals", () => {
    expect(findSecrets('password: "${NEXUS_PASSWORD}"\ntoken: {{ token }}\napi_key = <api-key>\nsecret: none')).toEqual([]);
    expect(findSecrets("db_password=hunter2pass").map((m) => m.kind)).toEqual(['a literal value assigned to "db_password"']);
  });

  test("an ARN's secret:<name> segment is not an assignment (the Nexus provisioning JSON names its upstream credential by ARN)", () => {
    expect(findSecrets('"credentialSecretArn": "arn:aws:secretsmanager:eu-central-1:222222222222:secret:ecr-pullthroughcache/docker-hub-AbCdEf"')).toEqual([]);
    expect(findSecrets("secret: hunter2pass").map((m) => m.kind)).toEqual(['a literal value assigned to "secret"']);
  });

  test("prose is not an assignment (the Nexus script logs 'admin password: stored in SSM parameter'), keys are", () => {
    expect(findSecrets('log "admin password: stored in SSM parameter $parameter"\n# 2. admin password: read it from SSM')).toEqual([]);
    const keys = ['  password: hunter2pass', 'export DB_PASSWORD=hunter2pass', '{"password": "hunter2pass"}', "- token=hunter2pass"].map((t) => findSecrets(t).length);
    expect(keys).toEqual([1, 1, 1, 1]);
  });
});
