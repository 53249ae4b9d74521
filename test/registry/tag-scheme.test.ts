import { ValidationError } from "../../lib/core/errors";
import { TagScheme, TAG_KINDS } from "../../lib/registry/tag-scheme";

const PATH = "test/tagScheme";

describe("TagScheme", () => {
  test("defaults: every kind, latest and release protected, the others retained", () => {
    const scheme = new TagScheme(PATH);
    expect(scheme.kinds.map((k) => k.name)).toEqual([...TAG_KINDS]);
    expect(scheme.protectedKinds.map((k) => k.name)).toEqual(["latest", "release"]);
    expect(scheme.kind("mergeRequest")).toEqual({
      name: "mergeRequest",
      selector: { prefix: "MR-" },
      ciTag: "MR-${CI_MERGE_REQUEST_IID}",
      retention: { maxAgeDays: 30 },
      protected: false,
    });
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

    test("an unknown tag kind", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { nightly: { prefix: "n-" } } as never }),
        /^test\/tagScheme: invalid kinds\.nightly "nightly"/,
        /Rule: tag kinds are pipeline, mergeRequest, commit, branch, latest, release/,
        /Fix: use one of the known tag kinds/,
      );
      expectViolation(() => new TagScheme(PATH).kind("nightly", "some/template"), /^some\/template: invalid tag kind "nightly"/);
    });

    test("a kind the scheme does not use", () => {
      expectViolation(
        () => new TagScheme(PATH, { use: ["latest"] }).kind("mergeRequest", "dev/templates"),
        /^dev\/templates: invalid tag kind "mergeRequest"/,
        /does not use this kind \(it uses latest\)/,
        /Fix: add "mergeRequest" to the tag scheme's `use` list/,
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

    test("a selector that would expire a protected tag", () => {
      expectViolation(
        () => new TagScheme(PATH, { kinds: { branch: { prefix: "l", ciTag: "l${CI_COMMIT_REF_SLUG}" } } }),
        /invalid tag kind "latest" selector "latest"/,
        /also matches tags of kind "branch" \(prefix "l"\)/,
        /would expire images carrying the protected tag kind "latest"/,
      );
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
        /must be selected by the kind's prefix "MR-"/,
      );
    });

    test("characters docker does not allow in tags", () => {
      expectViolation(() => new TagScheme(PATH, { kinds: { branch: { prefix: "feature/" } } }), /invalid tag prefix "feature\/"/);
    });
  });
});
