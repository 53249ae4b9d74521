import { GitLabOidcProvider } from "../../lib/identity/gitlab-oidc-provider";
import { onlyResource, synth, testStack, violationOf } from "../support/synth";

const props = { url: "https://gitlab.example.com", accountId: "111111111111" };

describe("GitLabOidcProvider", () => {
  test("creates the provider with the instance URL as audience and no thumbprint", () => {
    const stack = testStack();
    const provider = new GitLabOidcProvider(stack, "gitlab", props);
    const { json } = synth(stack);
    expect(onlyResource(json, "aws_iam_openid_connect_provider")).toEqual({
      url: "https://gitlab.example.com",
      client_id_list: ["https://gitlab.example.com"],
    });
    expect(provider.host).toBe("gitlab.example.com");
    expect(provider.audiences).toEqual(["https://gitlab.example.com"]);
    expect(provider.providerArn).toMatch(/^\$\{TfToken\[/);
  });

  test("audiences and tags are options", () => {
    const stack = testStack();
    new GitLabOidcProvider(stack, "gitlab", { ...props, url: "https://gitlab.com", audiences: ["sts.amazonaws.com", "https://gitlab.com"], tags: { team: "ci" } });
    expect(onlyResource(synth(stack).json, "aws_iam_openid_connect_provider")).toEqual({
      url: "https://gitlab.com",
      client_id_list: ["sts.amazonaws.com", "https://gitlab.com"],
      tags: { team: "ci" },
    });
  });

  test("thumbprints for an instance behind a private CA", () => {
    const stack = testStack();
    new GitLabOidcProvider(stack, "gitlab", { ...props, thumbprints: ["a".repeat(40)] });
    expect(onlyResource(synth(stack).json, "aws_iam_openid_connect_provider").thumbprint_list).toEqual(["a".repeat(40)]);
  });

  test("fromExisting references a provider by its deterministic ARN and creates nothing", () => {
    const stack = testStack();
    const existing = GitLabOidcProvider.fromExisting(stack, "gitlab", { ...props, partition: "aws-cn" });
    expect(existing.providerArn).toBe("arn:aws-cn:iam::111111111111:oidc-provider/gitlab.example.com");
    expect(existing.audiences).toEqual(["https://gitlab.example.com"]);
    expect(synth(stack).json.resource).toBeUndefined();
  });

  describe("bad input", () => {
    test.each([
      ["http://gitlab.example.com", /invalid GitLab URL "http:\/\/gitlab\.example\.com"\. Rule: the instance URL is https:\/\/<host> with no path, query or trailing slash/],
      ["https://gitlab.example.com/", /invalid GitLab URL "https:\/\/gitlab\.example\.com\/"\. Rule: .*no path, query or trailing slash/],
      ["https://example.com/gitlab", /invalid GitLab URL "https:\/\/example\.com\/gitlab"\. Rule: .*no path/],
    ])("the URL %p is not an https origin", (url, message) => {
      for (const build of [
        (s: ReturnType<typeof testStack>) => new GitLabOidcProvider(s, "gitlab", { ...props, url }),
        (s: ReturnType<typeof testStack>) => GitLabOidcProvider.fromExisting(s, "gitlab", { ...props, url }),
      ]) {
        const error = violationOf(() => build(testStack()));
        expect(error.path).toBe("test/gitlab");
        expect(error.message).toMatch(message);
        expect(error.fix).toBe(`use e.g. https://${new URL(url).hostname} (or https://gitlab.com)`);
      }
    });

    test("a URL with a port", () => {
      const error = violationOf(() => new GitLabOidcProvider(testStack(), "gitlab", { ...props, url: "https://gitlab.example.com:8443" }));
      expect(error.message).toMatch(
        /^test\/gitlab: invalid GitLab URL "https:\/\/gitlab\.example\.com:8443"\. Rule: the instance URL carries no port: .*IAM OIDC provider URLs cannot contain a port number.*Fix: serve GitLab .*on port 443 and use "https:\/\/gitlab\.example\.com"/,
      );
    });

    test("a thumbprint that is not 40 hex digits", () => {
      const error = violationOf(() => new GitLabOidcProvider(testStack(), "gitlab", { ...props, thumbprints: ["AB:CD"] }));
      expect(error.message).toMatch(/^test\/gitlab: invalid thumbprints\[0\] "AB:CD"\. Rule: a certificate thumbprint is the SHA-1 fingerprint: 40 hex digits.*Fix: take it from/);
    });

    test("a malformed account id", () => {
      const error = violationOf(() => GitLabOidcProvider.fromExisting(testStack(), "gitlab", { ...props, accountId: "1234" }));
      expect(error.message).toMatch(/^test\/gitlab: invalid accountId "1234"\. Rule: an AWS account id is exactly 12 digits/);
    });

    test.each([
      ["no audience", [], /^test\/gitlab: invalid audiences \[\]\. Rule: an IAM OIDC provider has 1 to 100 audiences.*Fix: list the audiences/],
      ["a blank audience", ["a b"], /^test\/gitlab: invalid audiences\[0\] "a b"\. Rule: an audience \(client id\) is 1-255 characters without white space.*Fix: use the instance URL/],
      ["a duplicate audience", ["x", "x"], /^test\/gitlab: invalid audiences\[1\] "x"\. Rule: audiences are unique\. Fix: remove the duplicate/],
    ])("%s", (_name, audiences, message) => {
      expect(violationOf(() => new GitLabOidcProvider(testStack(), "gitlab", { ...props, audiences })).message).toMatch(message);
    });
  });
});
