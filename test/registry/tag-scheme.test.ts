import { ValidationError } from "../../lib/core/errors";
import { ciTagVariables, REQUIRED_CI_TAG_VARIABLES } from "../../lib/registry/tag-kinds";
import { DEFAULT_TAG_KINDS, TagScheme, TAG_KINDS } from "../../lib/registry/tag-scheme";

const PATH = "test/tagScheme";

describe("TagScheme", () => {
  test("defaults: every kind, latest, release and the build cache protected, the others retained", () => {
    const scheme = new TagScheme(PATH);
    expect(scheme.kinds.map((k) => k.name)).toEqual([...TAG_KINDS]);
    expect(scheme.protectedKinds.map((k) => k.name)).toEqual(["latest", "release", "buildCache", "deployed"]);
    // The build cache is kept by the scheme's own policy, but losing it loses nothing a build cannot write again.
    expect(scheme.irreplaceableKinds.map((k) => k.name)).toEqual(["latest", "release", "deployed"]);
    expect(scheme.kind("mergeRequest")).toEqual({
      name: "mergeRequest",
      selector: { prefix: "MR-" },
      ciTag: "MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}",
      retention: { maxAgeDays: 30 },
      protected: false,
      mutable: false,
      secondary: false,
    });
    // No kind is secondary unless its options say so: the pipeline kind is a kind like the others.
    expect(scheme.secondaryKinds.map((k) => k.name)).toEqual([]);
    expect(scheme.primaryKinds.map((k) => k.name)).toEqual(["pipeline", "mergeRequest", "commit", "branch", "inputs"]);
    expect(scheme.decidingKindsOf(["pipeline-1001", `sha-${"a".repeat(40)}`]).map((k) => k.name)).toEqual(["pipeline", "commit"]);
    expect(scheme.decidingKindsOf(["pipeline-1001"]).map((k) => k.name)).toEqual(["pipeline"]);
    expect(scheme.decidingKindsOf(["latest"])).toEqual([]);
    // Only `latest`, the build cache and `deployed-<environment>` move; every other tag names one image for good.
    expect(scheme.mutableKinds.map((k) => k.name)).toEqual(["latest", "buildCache", "deployed"]);
    expect(scheme.untaggedExpiryDays).toBe(1);
  });

  test("classify finds the kind of a concrete tag", () => {
    const scheme = new TagScheme(PATH);
    expect(scheme.classify("MR-42")?.name).toBe("mergeRequest");
    expect(scheme.classify("v1.20.3")?.name).toBe("release");
    expect(scheme.classify("latest")?.name).toBe("latest");
    expect(scheme.classify("sha-0123abcd")?.name).toBe("commit");
    expect(scheme.classify("nightly")).toBeUndefined();
  });

  test("overrides merge over the defaults and `use` limits the kinds", () => {
    const scheme = new TagScheme(PATH, {
      kinds: { pipeline: { prefix: "ci-", ciTag: "ci-${CI_PIPELINE_IID}", retention: { maxCount: 20 } } },
      use: ["pipeline", "latest"],
    });
    expect(scheme.kinds.map((k) => k.name)).toEqual(["pipeline", "latest"]);
    expect(scheme.kind("pipeline").selector).toEqual({ prefix: "ci-" });
    expect(scheme.kind("pipeline").retention).toEqual({ maxCount: 20 });
  });

  describe("bad input", () => {
    const expectViolation = (fn: () => unknown, ...parts: RegExp[]) => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      for (const part of parts) expect((error as Error).message).toMatch(part);
    };

    test("a user-defined kind without a selector, or with a bad name", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { nightly: { retention: { maxAgeDays: 3 } } } }),
        /^test\/tagScheme\/kinds\/nightly: invalid selector/,
        /a user-defined tag kind needs a selector/,
        /Fix: give `prefix`/,
      );
      expectViolation(() => new TagScheme(PATH, { kinds: { "night-ly": { prefix: "n-", retention: { maxAgeDays: 3 } } } }), /invalid tag kind name "night-ly"/);
      expectViolation(() => new TagScheme(PATH, { use: ["nightly" as never] }), /^test\/tagScheme: invalid use "nightly"/, /kinds of your own go into `kinds`/);
      expectViolation(() => new TagScheme(PATH).kind("nightly", "some/template"), /^some\/template: invalid tag kind "nightly"/);
    });

    test("a kind the scheme does not use", () => {
      expectViolation(
        () => new TagScheme(PATH, { use: ["latest"] }).kind("mergeRequest", "dev/templates"),
        /^dev\/templates: invalid tag kind "mergeRequest"/,
        /does not use this kind \(it uses latest\)/,
        /Fix: add "mergeRequest" to the tag scheme/,
      );
    });

    test.each([0, -3, 1.5])("a retention of %p", (n) => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { mergeRequest: { retention: { maxAgeDays: n } } } }),
        /test\/tagScheme\/kinds\/mergeRequest: invalid retention maxAgeDays/,
        /Rule: must be a whole number greater than 0/,
        /Fix: keep at least 1 image or 1 day/,
      );
      expectViolation(() => new TagScheme(PATH, { kinds: { commit: { retention: { maxCount: n } } } }), /retention maxCount/);
    });

    test("a zero untagged expiry", () => {
      expectViolation(() => new TagScheme(PATH, { untaggedExpiryDays: 0 }), /invalid untaggedExpiryDays 0/);
    });

    test("a retention with both count and age", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { commit: { retention: { maxCount: 1, maxAgeDays: 1 } as never } } }),
        /either \{ maxCount \} or \{ maxAgeDays \}/,
      );
    });

    test("a protected kind with a retention", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { latest: { retention: { maxCount: 1 } } } }),
        /kinds\/latest: invalid retention/,
        /a protected tag kind is never expired/,
      );
    });

    test("overlapping kinds whose order would expire a longer-lived kind early (one kind per image, no combination rules)", () => {
      expectViolation(
        () =>
          new TagScheme(PATH, {
            maxKindsPerImage: 1,
            use: ["release"],
            kinds: { semver: { pattern: "*.*.*", retention: { maxCount: 10 } }, release: { protected: false, retention: { maxAgeDays: 400 } } },
          }),
        /^test\/tagScheme\/kinds\/release: invalid selector "v\*\.\*\.\*"/,
        /overlaps "semver" \(pattern "\*\.\*\.\*"\)/,
        /Fix: make the selectors disjoint, use age retentions for both, or raise maxKindsPerImage/,
      );
      // Age kinds in order of age are provably safe, and with combination rules (the default) so is an overlap of one retention type.
      const ordered = { maxKindsPerImage: 1, use: ["release" as const], kinds: { semver: { pattern: "*.*.*", retention: { maxAgeDays: 90 } }, release: { protected: false, retention: { maxAgeDays: 400 } } } };
      expect(() => new TagScheme(PATH, ordered)).not.toThrow();
      const counts = new TagScheme(PATH, { use: ["release", "commit"], kinds: { semver: { pattern: "*.*.*", retention: { maxCount: 10 } }, release: { protected: false, retention: { maxCount: 40 } } } });
      expect(counts.kindsOf("v1.2.3").map((k) => k.name)).toEqual(["release", "semver"]);
    });

    test("a count kind and an age kind whose selectors overlap: one tag carries both, and no ECR rule expires only when both would", () => {
      // The bare-SHA example this page used to show: "*" selects every merge-request and branch image too,
      // and the combination rule kept them forever.
      expectViolation(
        () => new TagScheme(PATH, { kinds: { pipeline: { retention: { maxCount: 500 } }, bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } } } }),
        /^test\/tagScheme\/kinds\/bareSha: invalid selector "\*"\. /,
        /Rule: this kind \(count: the newest 200, pattern "\*"\) and "mergeRequest" \(age: 30 days, prefix "MR-"\) select the same tags, so one image carries both; ECR lifecycle rules cannot expire an image only when both a count and an age rule would/,
        /Fix: give both the same retention type \(both maxCount or both maxAgeDays\), make their selectors disjoint, or mark one of them `secondary: true`/,
      );
      // Also the other way round, and between secondary kinds.
      expectViolation(
        () => new TagScheme(PATH, { use: ["commit"], kinds: { recent: { pattern: "*", retention: { maxAgeDays: 5 } } } }),
        /kinds\/recent: invalid selector "\*".*this kind \(age: 5 days, pattern "\*"\) and "commit" \(count: the newest 100, prefix "sha-"\)/,
      );
      expectViolation(
        () => new TagScheme(PATH, { use: ["pipeline", "latest"], kinds: { pipeline: { secondary: true }, ci: { prefix: "pipe", retention: { maxCount: 5 }, secondary: true } } }),
        /kinds\/ci: invalid selector "pipe\*".*and "pipeline" \(age: 7 days, prefix "pipeline-"\)/,
      );
      // Accepted: the same retention type, disjoint selectors, or one of them secondary (the primary kind decides).
      expect(() => new TagScheme(PATH, { kinds: { bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } }, pipeline: { retention: { maxCount: 500 } }, mergeRequest: { retention: { maxCount: 300 } }, branch: { retention: { maxCount: 50 } } } })).not.toThrow();
      expect(() => new TagScheme(PATH, { kinds: { nightly: { prefix: "nightly-", retention: { maxCount: 7 } } } })).not.toThrow();
      // (Secondary kinds are checked among themselves; the pipeline kind, primary, counts images here.)
      expect(() => new TagScheme(PATH, { kinds: { bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 }, secondary: true }, pipeline: { retention: { maxCount: 500 } } } })).not.toThrow();
    });

    test("secondary on a protected kind, or not a boolean", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { latest: { secondary: true } } }),
        /^test\/tagScheme\/kinds\/latest: invalid secondary true\. Rule: a secondary kind yields its retention to the primary kinds on the same image, and a protected kind has no retention to yield/,
        /Fix: drop `secondary`, or set `protected: false` and give a retention/,
      );
      expectViolation(() => new TagScheme(PATH, { kinds: { pipeline: { secondary: "yes" as never } } }), /kinds\/pipeline: invalid secondary "yes"\. Rule: secondary is true or false/);
      // Secondary is never implicit: not for the built-in pipeline kind, protected or not.
      expect(new TagScheme(PATH, { kinds: { pipeline: { protected: true } } }).kind("pipeline").secondary).toBe(false);
      expect(new TagScheme(PATH, { kinds: { pipeline: { retention: { maxAgeDays: 90 } } } }).kind("pipeline").secondary).toBe(false);
    });

    test("semver and bare commit SHAs are expressible as kinds of one's own", () => {
      const scheme = new TagScheme(PATH, {
        kinds: {
          semver: { pattern: "*.*.*", protected: true },
          bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 } },
          pipeline: { retention: { maxCount: 500 } },
          mergeRequest: { retention: { maxCount: 300 } },
          branch: { retention: { maxCount: 50 } },
        },
      });
      expect(scheme.classify("1.2.3")?.name).toBe("semver");
      expect(scheme.kindsOf("0123456789abcdef0123456789abcdef01234567").map((k) => k.name)).toEqual(["bareSha"]);
    });

    test("the content-hash variable in another kind's tag", () => {
      expectViolation(() => new TagScheme(PATH, { kinds: { commit: { ciTag: "sha-${PLATFORM_INPUTS_HASH}" } } }), /kinds\/commit: invalid ciTag/, /computed by the build job for the content-addressed kind "inputs" only/);
    });

    test("both prefix and pattern", () => {
      expectViolation(() => new TagScheme(PATH, { kinds: { commit: { prefix: "a", pattern: "b*" } } }), /not both/);
    });

    test("a pattern with more than 4 wildcards", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { release: { pattern: "v*.*.*.*.*" } } }),
        /invalid tag pattern "v\*\.\*\.\*\.\*\.\*"/,
        /at most 4 '\*' wildcards/,
      );
    });

    test("a ciTag the kind's selector does not select", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { mergeRequest: { ciTag: "mr-${CI_MERGE_REQUEST_IID}" } } }),
        /invalid ciTag "mr-\$\{CI_MERGE_REQUEST_IID\}"/,
        /the kind's prefix "MR-" must select every tag the templates push/,
      );
    });

    // The old check replaced every variable by "*", so each of these passed: "*" meets "sha-*", and
    // "MR-*-*-*" or "nightly-x*" meet a pattern of wildcards. GitLab's predefined variables have shapes
    // (a commit SHA is hex, an IID or pipeline ID is digits), and with them no pushed tag is selected.
    test.each([
      ["commit", { ciTag: "${CI_COMMIT_SHA}" }, '"${CI_COMMIT_SHA}"', 'prefix "sha-"'],
      ["mergeRequest", { pattern: "MR-*-*-*" }, '"MR-${CI_MERGE_REQUEST_IID}-${CI_COMMIT_SHA}"', 'pattern "MR-\\*-\\*-\\*"'],
      ["nightly", { prefix: "nightly-x", ciTag: "nightly-${CI_PIPELINE_ID}", retention: { maxAgeDays: 7 } }, '"nightly-${CI_PIPELINE_ID}"', 'prefix "nightly-x"'],
    ] as const)("a selector that never selects what the templates push: %s %j", (name, options, ciTag, selector) => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { [name]: options } }),
        new RegExp(`^test/tagScheme/kinds/${name}: invalid ciTag ${ciTag.replace(/[$.{}]/g, "\\$&")}\\. Rule: the kind's ${selector} must select every tag the templates push`),
        /Fix: start the template with the prefix or make every tag it can give match the pattern/,
      );
    });

    test("a selector that selects only some of the tags the templates push (the rule is: every tag)", () => {
      // sha-a… selects one commit in 16; pattern "MR-*-*" selects every MR-<iid>-<sha>: accepted.
      expectViolation(() => new TagScheme(PATH, { kinds: { commit: { prefix: "sha-a" } } }), /kinds\/commit: invalid ciTag .*prefix "sha-a" must select every tag/);
      expect(new TagScheme(PATH, { kinds: { mergeRequest: { pattern: "MR-*-*" } } }).kind("mergeRequest").selector).toEqual({ pattern: "MR-*-*" });
      // The Git tag has no shape of its own (the release pattern decides it): it must meet the selector only (release
      // tags are pushed only from Git tags the pipeline rule matches against the selector). Variables the platform
      // does not know are refused outright (ci-tag-values.test.ts).
      expect(new TagScheme(PATH, { kinds: { nightly: { prefix: "nightly-x", ciTag: "nightly-${CI_COMMIT_TAG}", retention: { maxAgeDays: 7 } } } }).kind("nightly").ciTag).toBe("nightly-${CI_COMMIT_TAG}");
      expectViolation(() => new TagScheme(PATH, { kinds: { nightly: { prefix: "nightly-x", ciTag: "build-${CI_COMMIT_TAG}", retention: { maxAgeDays: 7 } } } }), /kinds\/nightly: invalid ciTag .*must select the tag the templates push \(a variable of unknown shape/);
    });

    test("characters docker does not allow in tags", () => {
      expectViolation(() => new TagScheme(PATH, { kinds: { branch: { prefix: "feature/" } } }), /invalid tag prefix "feature\/"/);
    });

    // The content kind's tag was not checked for the inputs hash: "inputs-v1" or "inputs-${CI_COMMIT_REF_SLUG}"
    // named one image for every set of inputs, and every later build "reused" it. Each built-in kind's role
    // has variables its tag must contain; dropping any of them from the default tag is refused.
    test.each(
      TAG_KINDS.flatMap((name) => REQUIRED_CI_TAG_VARIABLES[name].map((requirement) => [name, requirement.join(" or "), requirement] as const)),
    )("a %s tag without %s (its role's variable) is refused", (name, _text, requirement) => {
      const ciTag = requirement.reduce((tag, v) => tag.replace(new RegExp(`\\$\\{?${v}\\}?`, "g"), "v1.2.3"), DEFAULT_TAG_KINDS[name].ciTag);
      expect(ciTagVariables(ciTag).some((v) => requirement.includes(v))).toBe(false);
      expectViolation(() => new TagScheme(PATH, { kinds: { [name]: { ciTag } } }), new RegExp(`kinds/${name}: invalid ciTag .*the built-in kind "${name}" .*so its tag must contain`));
      // The default tag keeps it.
      expect(new TagScheme(PATH).kind(name).ciTag).toBe(DEFAULT_TAG_KINDS[name].ciTag);
    });

    test("the content kind: inputs-v1 and inputs-${CI_COMMIT_REF_SLUG} are refused, another literal around the hash is accepted", () => {
      expectViolation(() => new TagScheme(PATH, { kinds: { inputs: { ciTag: "inputs-v1" } } }), /kinds\/inputs: invalid ciTag "inputs-v1"/, /must contain \$\{PLATFORM_INPUTS_HASH\}/);
      expectViolation(() => new TagScheme(PATH, { kinds: { inputs: { ciTag: "inputs-${CI_COMMIT_REF_SLUG}" } } }), /must contain \$\{PLATFORM_INPUTS_HASH\}/);
      expectViolation(() => new TagScheme(PATH, { kinds: { inputs: { ciTag: "inputs-${PLATFORM_INPUTS_HASH}-${CI_PIPELINE_ID}" } } }), /a further variable \(CI_PIPELINE_ID\) gives the same inputs different tags/);
      expect(new TagScheme(PATH, { kinds: { inputs: { ciTag: "inputs-v2-$PLATFORM_INPUTS_HASH" } } }).kind("inputs").ciTag).toBe("inputs-v2-$PLATFORM_INPUTS_HASH");
    });

    test("kinds of one's own have no role: a tag without predefined variables is accepted", () => {
      expect(new TagScheme(PATH, { kinds: { stable: { pattern: "stable", ciTag: "stable", protected: true, mutable: true } } }).kind("stable").ciTag).toBe("stable");
    });
  });
});
