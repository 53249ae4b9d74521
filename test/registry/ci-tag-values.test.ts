import fc from "fast-check";
import { deployTemplate } from "../../lib/gitlab/deploy-template";
import { INPUTS_HASH_FUNCTION_LINES } from "../../lib/gitlab/image-inputs-script";
import { validateEnvironmentBasics } from "../../lib/platform/config";
import { CI_TAG_VALUES, DOCKER_TAG_ALPHABET, PLATFORM_ENVIRONMENT_NAME, type TagSafeValue, validateCiTagValues } from "../../lib/registry/ci-tag-values";
import { DEFAULT_TAG_KINDS, TagScheme, TAG_KINDS } from "../../lib/registry/tag-scheme";
import { exampleConfig } from "../../stacks/example-config";
import { expectViolation } from "../support/violations";

const PATH = "test/tagScheme";
/** distribution/reference, reference.go: `tag = [\w][\w.-]{0,127}`. */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const scheme = (kinds: Record<string, unknown>) => () => new TagScheme(PATH, { kinds } as never);

describe("CI tag values: every value of a tag's variables gives a Docker tag", () => {
  // The old check replaced each variable by "*" and took it for tag characters: a branch kind by
  // ${CI_COMMIT_REF_NAME} was accepted (GitLab lets it take the branch name), and feature/x pushed branch-feature/x.
  test("a branch kind by the branch name (feature/x gives branch-feature/x) is refused; the fix names the slug", () => {
    expectViolation(scheme({ branch: { ciTag: "branch-${CI_COMMIT_REF_NAME}", mutable: true } }), {
      path: `${PATH}/kinds/branch`,
      subject: "ciTag",
      value: "branch-${CI_COMMIT_REF_NAME}",
      rule: /\$\{CI_COMMIT_REF_NAME\} is the branch or tag name: feature\/x gives branch-feature\/x, which the registry refuses at push/,
      fix: /use \$\{CI_COMMIT_REF_SLUG\} \(the ref name's slug, \[a-z0-9-\], at most 63 characters/,
    });
  });

  test.each(["CI_COMMIT_BRANCH", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_DEFAULT_BRANCH"])("a kind of one's own by %s is refused (a branch name may hold '/')", (variable) => {
    expectViolation(scheme({ preview: { prefix: "preview-", ciTag: `preview-\${${variable}}`, retention: { maxAgeDays: 7 } } }), {
      path: `${PATH}/kinds/preview`,
      subject: "ciTag",
      value: `preview-\${${variable}}`,
      rule: new RegExp(`\\$\\{${variable}\\} is .*name: .*/.* gives preview-.*/.*, which the registry refuses at push`),
      fix: /use \$\{CI_COMMIT_REF_SLUG\}/,
    });
  });

  // The old check never counted a template's length: 100 literal characters and a 40-character SHA passed.
  test("a commit kind of 100 literal characters and the commit SHA (140 > 128) is refused", () => {
    const x = "x".repeat(100);
    expectViolation(scheme({ commit: { prefix: x, ciTag: `${x}\${CI_COMMIT_SHA}` } }), {
      path: `${PATH}/kinds/commit`,
      subject: "ciTag",
      value: `${x}\${CI_COMMIT_SHA}`,
      rule: /an image tag has at most 128 characters \(distribution\/reference\), and this template gives up to 140: 100 of literal text \+ \$\{CI_COMMIT_SHA\} 40/,
      fix: /shorten the literal text by 12 characters or more/,
    });
  });

  test("the length bound is exact: 88 literal characters and the commit SHA are accepted, 89 refused", () => {
    expect(new TagScheme(PATH, { kinds: { commit: { prefix: "c", ciTag: `${"c".repeat(88)}\${CI_COMMIT_SHA}` } } }).kind("commit").ciTag).toHaveLength(88 + "${CI_COMMIT_SHA}".length);
    expect(scheme({ commit: { prefix: "c", ciTag: `${"c".repeat(89)}\${CI_COMMIT_SHA}` } })).toThrow(/gives up to 129/);
    // IDs count at 19 digits: MR- + 19 + - + 40 = 63.
    expect(() => validateCiTagValues(PATH, `${"m".repeat(128 - 19 - 1 - 40)}\${CI_MERGE_REQUEST_IID}-\${CI_COMMIT_SHA}`)).not.toThrow();
    expect(() => validateCiTagValues(PATH, `${"m".repeat(129 - 19 - 1 - 40)}\${CI_MERGE_REQUEST_IID}-\${CI_COMMIT_SHA}`)).toThrow(/gives up to 129/);
  });

  test("a template that can start with '-' or '.' is refused (the slug may be empty, so ${CI_COMMIT_REF_SLUG}-x can be -x)", () => {
    expectViolation(scheme({ nightly: { pattern: "*", ciTag: "-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } } }), {
      path: `${PATH}/kinds/nightly`,
      subject: "ciTag",
      value: "-${CI_COMMIT_SHA}",
      rule: /an image tag starts with a letter, digit or '_' \(distribution\/reference\), and this template can start with '-'/,
      fix: /start the template with a literal letter, digit or '_'/,
    });
    expect(() => validateCiTagValues(PATH, "${CI_COMMIT_REF_SLUG}.x")).toThrow(/can start with '\.'/);
    expect(() => validateCiTagValues(PATH, "${CI_COMMIT_REF_SLUG}")).toThrow(/every variable of this template may be empty/);
    expect(() => validateCiTagValues(PATH, "${CI_COMMIT_REF_SLUG}${CI_COMMIT_SHA}")).not.toThrow();
  });

  test("a variable the platform does not know is refused (its value may hold '/', ':' or spaces)", () => {
    expectViolation(scheme({ nightly: { prefix: "nightly-", ciTag: "nightly-${NIGHTLY_NAME}", retention: { maxAgeDays: 7 } } }), {
      path: `${PATH}/kinds/nightly`,
      subject: "ciTag",
      value: "nightly-${NIGHTLY_NAME}",
      rule: /what \$NIGHTLY_NAME holds is not known to the platform/,
      fix: /build the tag from \$\{CI_COMMIT_SHA\}, .*\$\{CI_COMMIT_REF_SLUG\}, .* and literal text, or leave ciTag out/,
    });
    // Timestamps hold ':' (2022-01-31T16:47:55Z): not a known tag value either.
    expect(scheme({ nightly: { prefix: "nightly-", ciTag: "nightly-${CI_PIPELINE_CREATED_AT}", retention: { maxAgeDays: 7 } } })).toThrow(/CI_PIPELINE_CREATED_AT holds is not known/);
  });

  test("the environment name: refused in a kind of one's own (GitLab allows '/' and spaces), accepted in the deployed kind (the platform's environment names)", () => {
    expectViolation(scheme({ preview: { prefix: "env-", ciTag: "env-${CI_ENVIRONMENT_NAME}", retention: { maxAgeDays: 7 } } }), {
      path: `${PATH}/kinds/preview`,
      subject: "ciTag",
      value: "env-${CI_ENVIRONMENT_NAME}",
      rule: /\$\{CI_ENVIRONMENT_NAME\} is the environment name .*: review\/mr 1 gives env-review\/mr 1, which the registry refuses/,
      fix: /use \$\{CI_ENVIRONMENT_SLUG\} \(the environment name's slug, \[a-z0-9-\] starting with a letter, at most 24 characters\)/,
    });
    expect(new TagScheme(PATH, { kinds: { preview: { prefix: "env-", ciTag: "env-${CI_ENVIRONMENT_SLUG}", retention: { maxAgeDays: 7 } } } }).kind("preview").ciTag).toBe("env-${CI_ENVIRONMENT_SLUG}");
    expect(new TagScheme(PATH, { kinds: { deployed: { prefix: "live-", ciTag: "live-${CI_ENVIRONMENT_NAME}", protected: true, mutable: true } } }).kind("deployed").ciTag).toBe("live-${CI_ENVIRONMENT_NAME}");
    // The deployed kind counts the platform's environment names at 20 characters: 108 + 20 = 128.
    expect(scheme({ deployed: { prefix: "d", ciTag: `${"d".repeat(108)}\${CI_ENVIRONMENT_NAME}`, protected: true, mutable: true } })).not.toThrow();
    expect(scheme({ deployed: { prefix: "d", ciTag: `${"d".repeat(109)}\${CI_ENVIRONMENT_NAME}`, protected: true, mutable: true } })).toThrow(/gives up to 129/);
  });

  test("every built-in kind's default tag is accepted, alone and in the default scheme", () => {
    expect(new TagScheme(PATH).kinds.map((k) => k.ciTag)).toEqual(TAG_KINDS.map((name) => DEFAULT_TAG_KINDS[name].ciTag));
    for (const name of TAG_KINDS) {
      expect(() => new TagScheme(PATH, { use: [name], kinds: { [name]: { ciTag: DEFAULT_TAG_KINDS[name].ciTag } } })).not.toThrow();
    }
  });

  test("the inputs hash's length is the one the build job computes (cut -c1-N of its SHA-256)", () => {
    const cut = INPUTS_HASH_FUNCTION_LINES.map((line) => /sha256sum \| cut -c1-(\d+)/.exec(line)).find((m) => m !== null);
    expect(cut).toBeDefined();
    expect((CI_TAG_VALUES.PLATFORM_INPUTS_HASH as TagSafeValue).maxLength).toBe(Number(cut![1]));
  });

  // The property: a template the check accepts gives a Docker tag for every value its variables can
  // take, the longest and the shortest included (each variable drawn from its model).
  const safeNames = Object.entries(CI_TAG_VALUES).filter(([, v]) => "chars" in v && v.maxLength !== "rest").map(([n]) => n);
  const valueArb = (v: TagSafeValue): fc.Arbitrary<string> => {
    const max = v.maxLength as number;
    const rest = fc.array(fc.constantFrom(...v.chars), { maxLength: max - 1 }).map((cs) => cs.join(""));
    const some = fc.tuple(fc.constantFrom(...v.first), rest).map(([c, r]) => c + r);
    const longest = fc.constantFrom(...v.first).map((c) => c + v.chars[0]!.repeat(max - 1));
    return v.mayBeEmpty ? fc.oneof(fc.constant(""), some, longest) : fc.oneof(some, longest);
  };
  const partArb = fc.oneof(
    fc.array(fc.constantFrom(...DOCKER_TAG_ALPHABET), { minLength: 1, maxLength: 50 }).map((cs) => ({ literal: cs.join("") })),
    fc.constantFrom(...safeNames).map((name) => ({ variable: name })),
  );

  /** The template with every variable at its longest, and with the variables that may be empty left empty. */
  const witnesses = (parts: readonly ({ literal: string } | { variable: string })[]) =>
    [false, true].map((empty) =>
      parts
        .map((p) => {
          if ("literal" in p) return p.literal;
          const v = CI_TAG_VALUES[p.variable] as TagSafeValue;
          return empty && v.mayBeEmpty ? "" : v.first[0]! + v.chars[0]!.repeat((v.maxLength as number) - 1);
        })
        .join(""),
    );

  test("property: an accepted template expands to a Docker tag for every value of its variables; a refused one has a value that is none", () => {
    fc.assert(
      fc.property(fc.array(partArb, { minLength: 1, maxLength: 5 }), (parts) => {
        const ciTag = parts.map((p) => ("literal" in p ? p.literal : `\${${p.variable}}`)).join("");
        let accepted = true;
        try {
          validateCiTagValues(PATH, ciTag);
        } catch {
          accepted = false;
        }
        if (accepted) {
          const expansions = fc.sample(fc.tuple(...parts.map((p) => ("literal" in p ? fc.constant(p.literal) : valueArb(CI_TAG_VALUES[p.variable] as TagSafeValue)))), 20).map((vs) => vs.join(""));
          for (const tag of [...expansions, ...witnesses(parts)]) expect(tag).toMatch(DOCKER_TAG);
        } else {
          expect(witnesses(parts).some((tag) => !DOCKER_TAG.test(tag))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  // The deployed kind reads ${CI_ENVIRONMENT_NAME} as one of the platform's environment names: the
  // configuration and the deploy template must accept exactly those (a wider rule would let '/' or a
  // longer name into deployed-<environment>).
  test("property: the configuration and the deploy template accept exactly the environment names of the model", () => {
    const rule = new RegExp(`^[${PLATFORM_ENVIRONMENT_NAME.first}][${PLATFORM_ENVIRONMENT_NAME.chars.replace("-", "\\-")}]{0,${PLATFORM_ENVIRONMENT_NAME.maxLength - 1}}$`);
    const refusesName = (fn: () => unknown): boolean => {
      try {
        fn();
        return false;
      } catch (e) {
        if (/invalid environment name/.test(String(e))) return true;
        throw e;
      }
    };
    const base = exampleConfig.environments[0]!;
    const names = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,21}$/),
      fc.array(fc.constantFrom(..."aZ9-_./ "), { minLength: 1, maxLength: 22 }).map((cs) => cs.join("")),
    );
    fc.assert(
      fc.property(names, (name) => {
        const model = rule.test(name);
        expect(refusesName(() => validateEnvironmentBasics(`config/environments[0]`, { ...base, name }))).toBe(!model);
        expect(refusesName(() => deployTemplate("t", { tagScheme: new TagScheme("t"), environments: [{ name, runnerTags: ["deploy"] }] }))).toBe(!model);
      }),
      { numRuns: 200 },
    );
    expect(`a${"b".repeat(19)}`).toMatch(rule);
    expect(`a${"b".repeat(20)}`).not.toMatch(rule);
  });
});
