import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRegistryScanningConfiguration } from "@cdktf/provider-aws/lib/ecr-registry-scanning-configuration";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Fn } from "cdktf";
import { type Construct } from "constructs";
import { ContainerRepository } from "../../lib/registry/repository";
import { checkStack, findingsOf, onlyFinding } from "../support/annotations";

const repository = (scope: Construct, config: { scanOnPush?: boolean; forceDelete?: boolean; name?: string } = {}) =>
  new EcrRepository(scope, "repo", {
    name: config.name ?? "acme/app",
    forceDelete: config.forceDelete ?? false,
    imageTagMutability: "IMMUTABLE",
    ...(config.scanOnPush === undefined ? {} : { imageScanningConfiguration: { scanOnPush: config.scanOnPush } }),
  });

const keep = (priority: number, pattern: string) => ({
  rulePriority: priority,
  description: `Keep ${pattern}`,
  selection: { tagStatus: "tagged", tagPatternList: [pattern], countType: "imageCountMoreThan", countNumber: 100000 },
  action: { type: "expire" },
});
const expireAfter = (priority: number, prefix: string, days: number) => ({
  rulePriority: priority,
  description: `Expire ${prefix}* after ${days} days`,
  selection: { tagStatus: "tagged", tagPrefixList: [prefix], countType: "sinceImagePushed", countUnit: "days", countNumber: days },
  action: { type: "expire" },
});
const lifecycle = (scope: Construct, rules: unknown[] | string) =>
  new EcrLifecyclePolicy(scope, "lifecycle", { repository: "acme/app", policy: typeof rules === "string" ? rules : JSON.stringify({ rules }) });

describe("ECR001 scan on push", () => {
  test("fires on a repository without scan on push", () => {
    const finding = onlyFinding(checkStack((s) => repository(s)), "ECR001", "test/repo");
    expect(finding.message).toContain("image_scanning_configuration.scan_on_push is not true and no registry scanning rule covers the repository");
    expect(finding.message).toContain("Fix: set image_scanning_configuration { scan_on_push = true }");
  });

  test("passes scan on push, or a registry scanning rule whose filter matches the repository", () => {
    expect(checkStack((s) => repository(s, { scanOnPush: true }))).toEqual([]);
    const annotations = checkStack((s) => {
      repository(s);
      new EcrRegistryScanningConfiguration(s, "scanning", {
        scanType: "BASIC",
        rule: [{ scanFrequency: "SCAN_ON_PUSH", repositoryFilter: [{ filter: "acme/*", filterType: "WILDCARD" }] }],
      });
    });
    expect(annotations).toEqual([]);
    const otherFilter = checkStack((s) => {
      repository(s);
      new EcrRegistryScanningConfiguration(s, "scanning", { scanType: "BASIC", rule: [{ scanFrequency: "SCAN_ON_PUSH", repositoryFilter: [{ filter: "other/*", filterType: "WILDCARD" }] }] });
    });
    onlyFinding(otherFilter, "ECR001", "test/repo");
  });
});

describe("ECR002 force_delete", () => {
  test("fires on force_delete = true", () => {
    const finding = onlyFinding(checkStack((s) => repository(s, { scanOnPush: true, forceDelete: true })), "ECR002", "test/repo");
    expect(finding.message).toContain("ECR002 ECR repository with force_delete: force_delete is true. Construct: test/repo (aws_ecr_repository.repo)");
  });
});

describe("ECR003 lifecycle policies and protected tags (simulated)", () => {
  test("the tag-scheme policy of ContainerRepository passes", () => {
    expect(checkStack((s) => new ContainerRepository(s, "app", { repositoryName: "acme/app", catchAllRetention: { maxCount: 500 } }))).toEqual([]);
  });

  test("fires when an expiring rule claims an image before the keep rule of latest", () => {
    const annotations = checkStack((s) => lifecycle(s, [expireAfter(1, "MR-", 30), keep(2, "latest"), keep(3, "v*.*.*")]));
    const finding = onlyFinding(annotations, "ECR003", "test/lifecycle");
    expect(finding.message).toContain(
      'rule 1 ("Expire MR-* after 30 days") would expire an image tagged latest, MR-0, which carries the protected tag pattern "latest" (expired by rule 1: pushed 31.0 days ago, more than the 30 days of rule 1)',
    );
    expect(finding.message).toContain('pattern "v*.*.*"');
    expect(finding.message).toContain("Fix: give each protected tag its own keep rule before every other tagged rule");
  });

  test("fires on a count rule that keeps only the newest releases, and on an age-based catch-all", () => {
    const newest5 = checkStack((s) =>
      lifecycle(s, [keep(1, "latest"), { rulePriority: 2, selection: { tagStatus: "tagged", tagPatternList: ["v*"], countType: "imageCountMoreThan", countNumber: 5 }, action: { type: "expire" } }]),
    );
    expect(onlyFinding(newest5, "ECR003", "test/lifecycle").message).toMatch(
      /rule 2 would expire an image tagged v0\.0\.0, which carries the protected tag pattern "v\*\.\*\.\*" \(expired by rule 2: it is #6 newest of the 6 images rule 2 selects, which keeps the newest 5\)/,
    );
    const catchAll = checkStack((s) =>
      lifecycle(s, [{ rulePriority: 1, selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 90 }, action: { type: "expire" } }]),
    );
    expect(onlyFinding(catchAll, "ECR003", "test/lifecycle").message).toContain('rule 1 would expire an image tagged latest, which carries the protected tag pattern "latest"');
  });

  test("fires on a policy ECR rejects and on one that cannot be read offline", () => {
    const invalid = checkStack((s) =>
      lifecycle(s, [{ rulePriority: 1, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countNumber: 1 }, action: { type: "expire" } }]),
    );
    expect(onlyFinding(invalid, "ECR003", "test/lifecycle").message).toContain('ECR rejects the policy: selection.countUnit undefined: countType sinceImagePushed requires countUnit "days"');
    const expression = checkStack((s) => lifecycle(s, Fn.file("policy.json")));
    expect(onlyFinding(expression, "ECR003", "test/lifecycle").message).toContain('the policy is a Terraform expression ("${file(\\"policy.json\\")}"), so it cannot be simulated offline');
    const broken = checkStack((s) => lifecycle(s, "{rules: []"));
    expect(onlyFinding(broken, "ECR003", "test/lifecycle").message).toContain("the policy is not valid JSON");
  });

  test("a repository of unprotected pushes (tagged trust = unprotected) may expire latest and releases; the same policy on a protected one fires", () => {
    const rules = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 }, action: { type: "expire" } }] });
    const withTrust = (trust: string) => (s: Construct) => {
      const repo = new EcrRepository(s, "repo", { name: "acme/app/unprotected/app", imageTagMutability: "IMMUTABLE", tags: { trust } });
      new EcrLifecyclePolicy(s, "lifecycle", { repository: repo.name, policy: rules });
    };
    expect(findingsOf(checkStack(withTrust("unprotected")), "ECR003")).toEqual([]);
    expect(onlyFinding(checkStack(withTrust("protected")), "ECR003", "test/lifecycle").message).toContain('would expire an image tagged latest');
    // ContainerRepository with `unprotected` passes only on such a repository.
    expect(findingsOf(checkStack((s) => new ContainerRepository(s, "app", { repositoryName: "acme/unprotected/app", unprotected: {}, tags: { trust: "unprotected" } })), "ECR003")).toEqual([]);
    expect(findingsOf(checkStack((s) => new ContainerRepository(s, "app", { repositoryName: "acme/unprotected/app", unprotected: {} })), "ECR003")).toHaveLength(1);
  });

  test("protectedTags names the tags to protect", () => {
    const rules = [keep(1, "latest"), keep(2, "v*.*.*"), keep(3, "deployed-*"), expireAfter(4, "stable-", 14)];
    expect(checkStack((s) => lifecycle(s, rules))).toEqual([]);
    const annotations = checkStack((s) => lifecycle(s, rules), { protectedTags: ["latest", "stable-*"] });
    expect(onlyFinding(annotations, "ECR003", "test/lifecycle").message).toContain('which carries the protected tag pattern "stable-*"');
    expect(findingsOf(annotations, "ECR003")).toHaveLength(1);
  });
});
