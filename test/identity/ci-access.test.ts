import { parse } from "yaml";
import { type CiAwsAccess, ciSnippet } from "../../lib/identity/ci-access";
import { describeWithTool, runTool } from "../support/conformance";
import { violationOf } from "../support/synth";

const access: CiAwsAccess = {
  roleArn: "arn:aws:iam::111111111111:role/acme-ci-dev-build",
  audience: "https://gitlab.example.com",
  region: "eu-central-1",
};
const DEPLOY = "arn:aws:iam::111111111111:role/acme-ci-dev-deployment";

describe("ciSnippet", () => {
  test("a hidden job: id_tokens with the audience, the region, and the STS web-identity call", () => {
    const snippet = ciSnippet("dev/identity/build", access);
    expect(snippet.jobName).toBe(".aws-oidc");
    expect(snippet.job).toEqual({
      id_tokens: { GITLAB_OIDC_TOKEN: { aud: "https://gitlab.example.com" } },
      variables: { AWS_REGION: "eu-central-1", AWS_DEFAULT_REGION: "eu-central-1" },
      before_script: [
        'creds="$(aws sts assume-role-with-web-identity --role-arn "arn:aws:iam::111111111111:role/acme-ci-dev-build" --role-session-name "gitlab-$CI_PROJECT_ID-$CI_JOB_ID" --web-identity-token "$GITLAB_OIDC_TOKEN" --duration-seconds 3600 --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text)"',
        `AWS_ACCESS_KEY_ID="$(printf '%s' "$creds" | cut -f1)"`,
        `AWS_SECRET_ACCESS_KEY="$(printf '%s' "$creds" | cut -f2)"`,
        `AWS_SESSION_TOKEN="$(printf '%s' "$creds" | cut -f3)"`,
        "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN",
      ],
    });
  });

  test("the YAML is the typed model, written by the yaml library (parses back equal, no folded lines)", () => {
    const snippet = ciSnippet("p", access, { jobName: ".aws-build", chainRoleArn: DEPLOY });
    const text = snippet.toYaml();
    expect(parse(text)).toEqual({ ".aws-build": snippet.job });
    expect(text).toMatch(/^\.aws-build:\n {2}id_tokens:\n {4}GITLAB_OIDC_TOKEN:\n {6}aud: https:\/\/gitlab\.example\.com\n/);
    expect(text).not.toMatch(/: [>|]-?\n/);
  });

  test("role chaining assumes the next role with the OIDC session's credentials", () => {
    const lines = ciSnippet("p", access, { chainRoleArn: DEPLOY }).job.before_script;
    expect(lines).toHaveLength(10);
    expect(lines[5]).toBe(
      `creds="$(aws sts assume-role --role-arn "${DEPLOY}" --role-session-name "gitlab-$CI_PROJECT_ID-$CI_JOB_ID" --query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text)"`,
    );
    expect(lines[9]).toBe("export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN");
  });

  describe("bad input", () => {
    test("a Terraform reference instead of a plain value", () => {
      const error = violationOf(() => ciSnippet("dev/identity/build", { ...access, roleArn: "${TfToken[TOKEN.1]}" }));
      expect(error.message).toMatch(
        /^dev\/identity\/build: invalid CI snippet roleArn "\$\{TfToken\[TOKEN\.1\]\}"\. Rule: a CI snippet is plain YAML, so its values must be known at synth time.*Fix: /,
      );
    });

    test("a malformed role ARN", () => {
      const error = violationOf(() => ciSnippet("p", access, { chainRoleArn: 'arn:aws:iam::111111111111:role/x"; rm -rf /' }));
      expect(error.message).toMatch(/^p: invalid CI snippet chainRoleArn .*Rule: a role ARN is arn:<partition>:iam::<12-digit account>:role\/<path><name>.*Fix: pass the role's ARN/);
    });

    test("a job name that is not hidden", () => {
      expect(violationOf(() => ciSnippet("p", access, { jobName: "aws" })).message).toMatch(
        /^p: invalid CI snippet jobName "aws"\. Rule: the snippet is a hidden job: its name starts with '\.'.*Fix: use e\.g\. \.aws-oidc-build/,
      );
    });

    test.each([600, 50_000])("a session of %p seconds", (durationSeconds) => {
      expect(violationOf(() => ciSnippet("p", access, { durationSeconds })).message).toMatch(
        new RegExp(`^p: invalid CI snippet durationSeconds ${durationSeconds}\\. Rule: an STS session lasts 900 to 43200 seconds`),
      );
    });

    test("a malformed region", () => {
      expect(violationOf(() => ciSnippet("p", { ...access, region: "Frankfurt" })).message).toMatch(
        /^p: invalid CI snippet region "Frankfurt"\. Rule: an AWS region looks like eu-central-1/,
      );
    });
  });
});

describeWithTool("shellcheck", "the CI snippet's shell lines", () => {
  test("before_script (with a chained role) passes shellcheck as POSIX sh", () => {
    const script = ciSnippet("p", access, { chainRoleArn: DEPLOY }).job.before_script.join("\n");
    const run = runTool("shellcheck", ["--shell=sh", "--severity=style", "-"], { input: `${script}\n` });
    expect({ status: run.status, output: run.stdout + run.stderr }).toEqual({ status: 0, output: "" });
  });

  test("shellcheck can fail: an unquoted expansion is reported", () => {
    const run = runTool("shellcheck", ["--shell=sh", "--severity=style", "-"], { input: 'creds=$(echo x)\necho $creds | cut -f1\n' });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toMatch(/SC2086/);
  });
});
