import { ValidationError, type Violation, violationsOf } from "../../lib/core/errors";
import { type AccountConfig, type EnvironmentConfig, type PlatformConfig, validateConfig } from "../../stacks/config";
import { exampleConfig } from "../../stacks/example-config";

/*
 * Every configuration mistake is reported once, and every path that holds it is reported: a
 * value checked again by a rule that reads it (the project name inside each environment's
 * checks) is not a second line, the same mistake in two environments is two lines, and a field
 * of the wrong type is one problem, not the start of a cascade through the rules that read it.
 */

/** The violations validateConfig reports for `config` (none when it accepts it). */
function violationsFor(config: unknown): readonly Violation[] {
  try {
    validateConfig(config as PlatformConfig);
    return [];
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return violationsOf(error);
  }
}

const at = (v: Violation) => `${v.path} ${v.subject}`;
const [nonprod, prod] = exampleConfig.accounts as [AccountConfig, AccountConfig];
const withEnvironments = (patch: (env: EnvironmentConfig, i: number) => EnvironmentConfig): PlatformConfig => ({ ...exampleConfig, environments: exampleConfig.environments.map(patch) });

describe("each mistake once, at every path that holds it", () => {
  test("the same bad cache expiry in two environments is reported for each of them", () => {
    const config = withEnvironments((env, i) => (i < 2 ? { ...env, cache: { ...env.cache, expirationDays: 0 } } : env));
    expect(violationsFor(config).map(at)).toEqual(["config/environments[0]/cache expirationDays", "config/environments[1]/cache expirationDays"]);
  });

  test("the same bad region in two environments is reported for each of them", () => {
    const config = withEnvironments((env, i) => (i < 2 ? { ...env, region: "eu-central1" } : env));
    const regions = violationsFor(config).filter((v) => v.subject === "region");
    expect(regions.map((v) => v.path)).toEqual(["config/environments[0]", "config/environments[1]"]);
  });

  test("a malformed GitLab URL in the environment declaring the toolbox project is one problem (the others of the instance still find the toolbox project)", () => {
    for (const url of ["https://gitlab.example.com:8443", "https://ci:secret@gitlab.example.com", "https://gitlab.example.com/gitlab", "https://gitlab.example.com?x=1", "http://gitlab.example.com"]) {
      const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, gitlab: { ...env.gitlab, url } } : env)));
      expect({ url, problems: problems.map(at) }).toEqual({ url, problems: ["config/environments[0]/gitlab GitLab URL"] });
    }
  });

  test("an upper-case or scheme-less GitLab URL is one problem (its shared stack does not also clash on a state key at an impossible path)", () => {
    for (const url of ["https://GitLab.example.com", "gitlab.example.com"]) {
      const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, gitlab: { ...env.gitlab, url } } : env)));
      expect({ url, problems: problems.map(at) }).toEqual({ url, problems: ["config/environments[0]/gitlab GitLab URL"] });
    }
  });

  test("a malformed group is one problem (its projects are not also 'outside the group', its promotion not 'another group')", () => {
    for (const group of ["acme/", "/acme", "acme/platform", ""]) {
      const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, gitlab: { ...env.gitlab, group } } : env)));
      expect({ group, problems: problems.map(at) }).toEqual({ group, problems: ["config/environments[0]/gitlab group"] });
    }
  });

  test("a malformed region is one problem (the promotion from it is not also 'across regions')", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, region: "eu-central1" } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0] region"]);
  });

  test("an account entry left out is one line per environment deploying there, not one more per promotion between them", () => {
    const problems = violationsFor({ ...exampleConfig, accounts: [prod] });
    expect(problems.map(at)).toEqual(["config/environments[0] account and region", "config/environments[1] account and region"]);
  });

  test("a misspelt dockerAccess is one problem (the runner's builder is not also compared with it)", () => {
    const dev = exampleConfig.environments[0]!;
    const unprotected = dev.runners!.unprotected!;
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, runners: { ...dev.runners!, unprotected: { ...unprotected, runners: [{ ...unprotected.runners[0]!, dockerAccess: "None" as never }] } } } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0]/runners/unprotected/runners[0] dockerAccess"]);
  });

  test("two environments with one name: the repository names and state keys derived from it are not reported again", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, name: "staging" } : env)));
    expect(problems.map(at)).toContain("config/environments[1] environment name");
    expect(problems.filter((v) => v.subject === "repository name" || v.subject === "stateKey")).toEqual([]);
  });

  test("an environment named like an account stack still clashes on its state key", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, name: "account-nonprod" } : env)));
    expect(problems.map(at)).toContain("config/environments[0] stateKey");
  });

  test("a bad project name is one line at config/project, not one more per environment that reads it", () => {
    const problems = violationsFor({ ...exampleConfig, project: "Acme CI" });
    expect(problems.map(at)).toEqual(["config/project project name"]);
  });
});

describe("a field of the wrong type is one problem, at its path", () => {
  test("an account id given as a number (on an account with a deploy role) is one problem, not a cascade", () => {
    const problems = violationsFor({ ...exampleConfig, accounts: [{ ...nonprod, accountId: 111111111111 as unknown as string }, prod] });
    expect(problems.map(at)).toEqual(["config/accounts[0] accountId"]);
    expect(problems[0]!.rule).toMatch(/given as a string, and this one has the type number/);
  });

  test("an environment's account id given as a number is one problem", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, accountId: 111111111111 as unknown as string } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0] accountId"]);
  });

  test("a malformed account id on an account is one problem (environments of that account are not also 'without an account stack')", () => {
    const problems = violationsFor({ ...exampleConfig, accounts: [{ ...nonprod, accountId: "11111111111" }, prod] });
    expect(problems.map(at)).toEqual(["config/accounts[0] accountId"]);
  });

  test("an environment no account entry can serve, fixed or not, is still reported when another account's id is malformed", () => {
    // The malformed entry is in eu-central-1: it may be 333333333333 once fixed, but not in eu-west-1.
    const problems = violationsFor({
      ...exampleConfig,
      accounts: [{ ...nonprod, accountId: "11111111111" }, prod],
      environments: exampleConfig.environments.map((env, i) => (i === 2 ? { ...env, accountId: "333333333333", region: "eu-west-1" } : env)),
    });
    expect(problems.map(at)).toEqual(expect.arrayContaining(["config/accounts[0] accountId", "config/environments[2] account and region"]));
  });
});

describe("several mistyped fields in one section: each is its own problem", () => {
  const dev = exampleConfig.environments[0]!;
  const withCapacity = (capacity: Record<string, unknown>): PlatformConfig => withEnvironments((env, i) => (i === 0 ? { ...env, runners: { ...dev.runners!, capacity: capacity as never } } : env));

  test("two group sizes given as strings are two problems (not one matched by section and value)", () => {
    const problems = violationsFor(withCapacity({ minSize: "1", maxSize: "1" }));
    expect(problems.map(at)).toEqual(["config/environments[0]/runners capacity.minSize", "config/environments[0]/runners capacity.maxSize"]);
  });

  test("three capacity fields given as strings are three problems", () => {
    const problems = violationsFor(withCapacity({ minSize: "1", maxSize: "1", desiredCapacity: "1" }));
    expect(problems.map(at)).toEqual(expect.arrayContaining(["config/environments[0]/runners capacity.minSize", "config/environments[0]/runners capacity.maxSize"]));
    expect(problems.map(at).filter((p) => /desiredCapacity/.test(p))).toHaveLength(1);
    expect(problems).toHaveLength(3);
  });

  test("the protected and the unprotected pool's minSize given as strings are two problems (the section above does not claim the one below)", () => {
    const unprotected = dev.runners!.unprotected!;
    const config = withEnvironments((env, i) =>
      i === 0 ? { ...env, runners: { ...dev.runners!, capacity: { minSize: "1", maxSize: 3 } as never, unprotected: { ...unprotected, capacity: { minSize: "1", maxSize: 2 } as never } } } : env,
    );
    expect(violationsFor(config).map(at)).toEqual(["config/environments[0]/runners capacity.minSize", "config/environments[0]/runners/unprotected capacity.minSize"]);
  });

  test("an environment's account id and region both given as numbers are two problems", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, accountId: 1 as unknown as string, region: 1 as unknown as string } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0] accountId", "config/environments[0] region"]);
  });

  test("an account's id and region both given as booleans are two problems", () => {
    const problems = violationsFor({ ...exampleConfig, accounts: [{ ...nonprod, accountId: true as unknown as string, region: true as unknown as string }, prod] });
    expect(problems.map(at)).toEqual(["config/accounts[0] accountId", "config/accounts[0] region"]);
  });
});

describe("a mistyped field hides no other problem", () => {
  test("a cache expiry given as a string, another environment's negative expiry and a URL with a port are three problems", () => {
    const config = withEnvironments((env, i) =>
      i === 0
        ? { ...env, cache: { ...env.cache, expirationDays: "7" as unknown as number }, gitlab: { ...env.gitlab, url: "https://gitlab.example.com:8443" } }
        : i === 1
          ? { ...env, cache: { ...env.cache, expirationDays: -1 } }
          : env,
    );
    expect(violationsFor(config).map(at)).toEqual(["config/environments[0]/cache expirationDays", "config/environments[0]/gitlab GitLab URL", "config/environments[1]/cache expirationDays"]);
  });

  test("a value equal to a mistyped field's is no follow-on of it: a repository description 0 and production's cache expiry 0 are both reported, with a bad project, bucket and URL port", () => {
    const problems = violationsFor({
      ...exampleConfig,
      project: "Acme CI",
      backend: { kind: "s3", bucket: "Bad_Bucket", region: "eu-central-1" },
      environments: exampleConfig.environments.map((env, i) =>
        i === 0
          ? { ...env, gitlab: { ...env.gitlab, url: "https://gitlab.example.com:8443" }, registry: { ...env.registry, repositories: env.registry.repositories.map((r, j) => (j === 0 ? { ...r, description: 0 as unknown as string } : r)) } }
          : i === 2
            ? { ...env, cache: { ...env.cache, expirationDays: 0 } }
            : env,
      ),
    });
    expect(problems.map(at)).toEqual([
      "config/environments[0]/registry/repositories[0] description",
      "config/project project name",
      "config/environments[0]/gitlab GitLab URL",
      "config/environments[2]/cache expirationDays",
      "config/backend bucket",
    ]);
  });

  test("an account id given as a number and a bad project name are both reported, and nothing that follows from the account id", () => {
    const problems = violationsFor({ ...exampleConfig, project: "Acme CI", accounts: [{ ...nonprod, accountId: 111111111111 as unknown as string }, prod] });
    expect(problems.map(at)).toEqual(["config/accounts[0] accountId", "config/project project name"]);
  });

  test("a group size given as a string keeps its sibling comparison quiet but not another environment's region", () => {
    const dev = exampleConfig.environments[0]!;
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, runners: { ...dev.runners!, capacity: { minSize: "9" as unknown as number, maxSize: 1 } } } : i === 2 ? { ...env, region: "eu-central1" } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0]/runners capacity.minSize", "config/environments[2] region"]);
  });
});

describe("the rules run beside shape problems: every mistake in one run", () => {
  const [dev, staging, production] = exampleConfig.environments as [EnvironmentConfig, EnvironmentConfig, EnvironmentConfig];
  const fourRuleMistakes = (environments: readonly EnvironmentConfig[]): PlatformConfig => ({
    ...exampleConfig,
    project: "Acme CI",
    accounts: [{ ...nonprod, name: "Non_Prod" }, prod],
    environments: environments.map((env, i) => (i === 1 ? { ...env, name: "Staging" } : env)),
    backend: { kind: "s3", bucket: "Bad_Bucket", region: "eu-central-1" },
  });
  const FOUR = ["config/project project name", "config/accounts[0] account stack name", "config/environments[1] environment name", "config/backend bucket"];

  test("gitlab.urll instead of url, with four rule mistakes elsewhere: one line for the key that says url is missing, and the four (not 'url missing' again, nor a toolbox the other environments no longer find)", () => {
    const { url, ...gitlab } = dev.gitlab;
    const problems = violationsFor(fourRuleMistakes([{ ...dev, gitlab: { ...gitlab, urll: url } as never }, staging, production]));
    expect(problems.map(at)).toEqual(["config/environments[0]/gitlab key", ...FOUR]);
    expect(problems[0]!.value).toBe("urll");
    expect(problems[0]!.rule).toMatch(/^url is required \("\.\.\."\) and missing, and "urll" is not a known setting of config\/environments\[0\]\/gitlab/);
    expect(problems[0]!.fix).toMatch(/did you mean "url"/);
  });

  test("a misspelt key close to an optional or present key keeps the plain unknown-key line; two misspellings of one missing key: the first says it is missing", () => {
    const { url, ...gitlab } = dev.gitlab;
    const optional = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, gitlab: { ...env.gitlab, gruop: "x", autoDevOp: true } as never } : env)));
    expect(optional.map((v) => [at(v), v.value])).toEqual([["config/environments[0]/gitlab key", "gruop"], ["config/environments[0]/gitlab key", "autoDevOp"]]);
    for (const v of optional) expect(v.rule).toMatch(/^a known setting of/);
    const twice = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, gitlab: { ...gitlab, urll: url, ur: url } as never } : env)));
    expect(twice.map((v) => [at(v), v.value, /is required/.test(v.rule)])).toEqual([
      ["config/environments[0]/gitlab key", "urll", true],
      ["config/environments[0]/gitlab key", "ur", false],
    ]);
  });

  test("an unknown key is reported and otherwise ignored: its own section's rules still report", () => {
    const problems = violationsFor(withEnvironments((env, i) => (i === 0 ? { ...env, cache: { expirationDay: 7, path: "runner cache" } as never } : env)));
    expect(problems.map(at)).toEqual(["config/environments[0]/cache key", "config/environments[0]/cache path"]);
  });

  test("a list given as a string is judged by its shape line, and the same environment's other sections and the other environments still report", () => {
    const problems = violationsFor(
      fourRuleMistakes([{ ...dev, cache: { expirationDays: 0 }, runners: { ...dev.runners!, instanceTypes: "m7i.large" as never } }, staging, production]),
    );
    expect(problems.map(at)).toEqual(["config/environments[0]/runners instanceTypes", "config/project project name", "config/accounts[0] account stack name", "config/environments[0]/cache expirationDays", "config/environments[1] environment name", "config/backend bucket"]);
  });

  test("a missing environments list or a configuration that is not an object is its shape lines only (every rule reads them)", () => {
    expect(violationsFor({ project: "Acme CI", accounts: [nonprod] }).map(at)).toEqual(["config environments"]);
    expect(violationsFor(null).map(at)).toEqual(["config configuration"]);
  });
});

describe("names derived from several fields, reported in the configuration pass", () => {
  test("two environments' default access-log bucket names over 63 characters are both reported, at config paths, in one run", () => {
    const problems = violationsFor({
      ...exampleConfig,
      project: "acme-ci-platform-xyz",
      environments: exampleConfig.environments.map((env, i) => (i === 1 ? { ...env, name: "staging-eu-central1" } : i === 2 ? { ...env, name: "production-eu-cent1" } : env)),
    });
    expect(problems.map(at)).toEqual(["config/environments[1]/cache accessLogs.bucketName", "config/environments[2]/cache accessLogs.bucketName"]);
    expect(problems.map((v) => v.value)).toEqual(["acme-ci-platform-xyz-staging-eu-central1-cache-111111111111-logs", "acme-ci-platform-xyz-production-eu-cent1-cache-222222222222-logs"]);
  });

  test("a name too long because the project name is invalid is reported once, at config/project", () => {
    const problems = violationsFor({ ...exampleConfig, project: "acme-ci-platform-xyz-too-long", environments: exampleConfig.environments.map((env, i) => (i === 1 ? { ...env, name: "staging-eu-central1" } : env)) });
    expect(problems.filter((v) => v.subject === "accessLogs.bucketName")).toEqual([]);
    expect(problems.map(at)).toContain("config/project project name");
  });

  test("accessLogs false or a short bucketName of its own is accepted with the same long names", () => {
    for (const accessLogs of [false, { bucketName: "acme-staging-cache-logs" }]) {
      const problems = violationsFor({
        ...exampleConfig,
        project: "acme-ci-platform-xyz",
        environments: exampleConfig.environments.map((env, i) => (i === 0 ? env : { ...env, name: i === 1 ? "staging-eu-central1" : "production-eu-cent1", cache: { ...env.cache, accessLogs } })),
      });
      expect({ accessLogs, problems: problems.map(at) }).toEqual({ accessLogs, problems: [] });
    }
  });
});

describe("the GitLab version check's rules run in the configuration pass, every problem collected", () => {
  test("bad minimum versions in several environments are all reported by validateConfig (stack building stopped at the first)", () => {
    const problems = violationsFor(withEnvironments((env) => ({ ...env, gitlab: { ...env.gitlab, minimumVersions: ["18.1.5"] } })));
    expect(problems.map(at)).toEqual([0, 1, 2].map((i) => `config/environments[${i}]/gitlab/minimumVersions minimumVersions`));
  });

  test("a malformed minimum version is one problem per environment (not also 'newest below 18.2.2')", () => {
    for (const minimumVersions of [["18.2"], []]) {
      const problems = violationsFor(withEnvironments((env) => ({ ...env, gitlab: { ...env.gitlab, minimumVersions } })));
      expect(problems.map(at)).toEqual([0, 1, 2].map((i) => `config/environments[${i}]/gitlab/minimumVersions minimumVersions`));
      for (const problem of problems) expect(problem.rule).toMatch(/one or more <major>\.<minor>\.<patch> versions/);
    }
  });

  test("a skip without a reason and a version problem elsewhere come out together", () => {
    const problems = violationsFor(
      withEnvironments((env, i) => ({ ...env, gitlab: { ...env.gitlab, skipVersionCheck: { reason: i === 0 ? "" : "no merge-request pipelines from forks" } }, ...(i === 1 ? { cache: { expirationDays: -1 } } : {}) })),
    );
    expect(problems.map(at)).toEqual(["config/environments[1]/cache expirationDays", "config/environments[0]/gitlab/skipVersionCheck reason"]);
  });
});
