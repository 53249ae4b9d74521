import { imageReuseTemplate } from "../../lib/gitlab/image-reuse-template";
import { TagScheme, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { type BadInput } from "./matrix";

/*
 * Bad tag schemes and tag plans: a built-in kind's tag without the variables of its role, a tag
 * template some value of whose variables gives no Docker tag (too long, a leading '-', a variable
 * that may hold '/' or whose value is unknown), kinds one
 * tag can match beyond maxKindsPerImage whose first rule would cut a longer-lived kind short, and
 * Git tag pipelines whose rule cannot be derived from the tag template.
 */
const scheme = (kinds: Record<string, TagKindOptions>) => () =>
  new TagScheme("test/tagScheme", { kinds });

export const tagRows: readonly BadInput[] = [
  {
    name: "a release kind whose tag puts another variable next to the Git tag (the Git tag pipelines' rule cannot be derived)",
    run: () =>
      imageReuseTemplate("test/templates", {
        tagScheme: new TagScheme("test/tagScheme", {
          kinds: {
            release: {
              prefix: "v",
              ciTag: "v${CI_COMMIT_TAG}-${CI_COMMIT_SHORT_SHA}",
            },
          },
        }),
        images: [
          {
            name: "app",
            repository: "$APP_REPO",
            unprotectedRepository: "$APP_UNPROTECTED_REPO",
          },
        ],
      }),
    path: "test/templates/tags/gitTag[1]",
    subject: "tag kind",
    value: "release",
    rule: /its tag v\$\{CI_COMMIT_TAG\}-\$\{CI_COMMIT_SHORT_SHA\} uses \$\{CI_COMMIT_TAG\} with another variable or more than once, so which Git tags give a tag its prefix "v" selects cannot be derived/,
    fix: /write the tag as the Git tag with literal text around it/,
  },
  // TagScheme: a built-in kind's tag without the variables of its role (one tag would stand for many images).
  {
    name: "a content kind tag without the inputs hash (inputs-v1: every later build reuses one image)",
    run: scheme({ inputs: { ciTag: "inputs-v1" } }),
    path: "test/tagScheme/kinds/inputs",
    subject: "ciTag",
    value: "inputs-v1",
    rule: /the built-in kind "inputs" names the content image of one set of build inputs .*so its tag must contain \$\{PLATFORM_INPUTS_HASH\}/,
    fix: /put \$\{PLATFORM_INPUTS_HASH\} into the tag \(the default is inputs-\$\{PLATFORM_INPUTS_HASH\}\)/,
  },
  {
    name: "a content kind tag by branch instead of inputs hash",
    run: scheme({ inputs: { ciTag: "inputs-${CI_COMMIT_REF_SLUG}" } }),
    path: "test/tagScheme/kinds/inputs",
    subject: "ciTag",
    value: "inputs-${CI_COMMIT_REF_SLUG}",
    rule: /so its tag must contain \$\{PLATFORM_INPUTS_HASH\}/,
    fix: /put \$\{PLATFORM_INPUTS_HASH\} into the tag/,
  },
  {
    name: "a content kind tag with a per-branch variable next to the inputs hash",
    run: scheme({
      inputs: { ciTag: "inputs-${CI_COMMIT_REF_SLUG}-${PLATFORM_INPUTS_HASH}" },
    }),
    path: "test/tagScheme/kinds/inputs",
    subject: "ciTag",
    value: "inputs-${CI_COMMIT_REF_SLUG}-${PLATFORM_INPUTS_HASH}",
    rule: /the content kind's tag names the image's inputs only: a further variable \(CI_COMMIT_REF_SLUG\)/,
    fix: /write the tag from literals and \$\{PLATFORM_INPUTS_HASH\} only/,
  },
  {
    name: "a commit kind tag by branch instead of commit SHA",
    run: scheme({ commit: { ciTag: "sha-${CI_COMMIT_REF_SLUG}" } }),
    path: "test/tagScheme/kinds/commit",
    subject: "ciTag",
    value: "sha-${CI_COMMIT_REF_SLUG}",
    rule: /the built-in kind "commit" names the image of one commit .*must contain \$\{CI_COMMIT_SHA\}/,
    fix: /put \$\{CI_COMMIT_SHA\} into the tag/,
  },
  {
    name: "a merge-request kind tag without the merge request IID",
    run: scheme({ mergeRequest: { ciTag: "MR-${CI_COMMIT_SHA}" } }),
    path: "test/tagScheme/kinds/mergeRequest",
    subject: "ciTag",
    value: "MR-${CI_COMMIT_SHA}",
    rule: /the built-in kind "mergeRequest" .*must contain \$\{CI_MERGE_REQUEST_IID\}/,
    fix: /put \$\{CI_MERGE_REQUEST_IID\} into the tag/,
  },
  {
    name: "a release kind tag without the Git tag",
    run: scheme({ release: { ciTag: "v1.2.3" } }),
    path: "test/tagScheme/kinds/release",
    subject: "ciTag",
    value: "v1.2.3",
    rule: /the built-in kind "release" names the image of one Git tag, so its tag must contain \$\{CI_COMMIT_TAG\}/,
    fix: /put \$\{CI_COMMIT_TAG\} into the tag/,
  },
  // TagScheme: a tag template some value of whose variables gives no Docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
  {
    name: "a commit kind of 100 literal characters and the commit SHA (140 characters, over 128)",
    run: scheme({ commit: { prefix: "x".repeat(100), ciTag: `${"x".repeat(100)}\${CI_COMMIT_SHA}` } }),
    path: "test/tagScheme/kinds/commit",
    subject: "ciTag",
    value: `${"x".repeat(100)}\${CI_COMMIT_SHA}`,
    rule: /an image tag has at most 128 characters .*gives up to 140: 100 of literal text \+ \$\{CI_COMMIT_SHA\} 40/,
    fix: /shorten the literal text by 12 characters or more/,
  },
  {
    name: "a kind of one's own tagged by the environment name (review/mr 1 has '/' and a space)",
    run: scheme({ preview: { prefix: "env-", ciTag: "env-${CI_ENVIRONMENT_NAME}", retention: { maxAgeDays: 7 } } }),
    path: "test/tagScheme/kinds/preview",
    subject: "ciTag",
    value: "env-${CI_ENVIRONMENT_NAME}",
    rule: /\$\{CI_ENVIRONMENT_NAME\} is the environment name .*, which the registry refuses at push/,
    fix: /use \$\{CI_ENVIRONMENT_SLUG\}/,
  },
  {
    name: "a tag template that can start with '-' (pattern *, tag -${CI_COMMIT_SHA})",
    run: scheme({ nightly: { pattern: "*", ciTag: "-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } } }),
    path: "test/tagScheme/kinds/nightly",
    subject: "ciTag",
    value: "-${CI_COMMIT_SHA}",
    rule: /an image tag starts with a letter, digit or '_' .*can start with '-'/,
    fix: /start the template with a literal letter, digit or '_'/,
  },
  {
    name: "a tag template with a variable the platform does not know (${NIGHTLY_NAME})",
    run: scheme({ nightly: { prefix: "nightly-", ciTag: "nightly-${NIGHTLY_NAME}", retention: { maxAgeDays: 7 } } }),
    path: "test/tagScheme/kinds/nightly",
    subject: "ciTag",
    value: "nightly-${NIGHTLY_NAME}",
    rule: /what \$NIGHTLY_NAME holds is not known to the platform/,
    fix: /build the tag from .*\$\{CI_COMMIT_REF_SLUG\}.* or leave ciTag out/,
  },
  // TagScheme: overlapping kinds whose order would expire a longer-lived kind early (one tag, more kinds than maxKindsPerImage).
  {
    name: "prefixes a, ab, abc at 10, 20, 30 days with maxKindsPerImage 2 (the a + ab rule expires abc-1 at day 25)",
    run: () =>
      new TagScheme("test/tagScheme", {
        use: ["latest"],
        maxKindsPerImage: 2,
        kinds: {
          a: { prefix: "a", retention: { maxAgeDays: 10 } },
          ab: { prefix: "ab", retention: { maxAgeDays: 20 } },
          abc: { prefix: "abc", retention: { maxAgeDays: 30 } },
        },
      }),
    path: "test/tagScheme/kinds/abc",
    subject: "selector",
    value: "abc*",
    rule: /one tag can match 3 kinds, .*more kinds than maxKindsPerImage 2; .*the one for a \+ ab \(age: 20 days\), which would expire it before "abc"'s 30 days/,
    fix: /raise maxKindsPerImage to 3, make the selectors disjoint, or mark a kind `secondary: true`; or define "abc" before the other kinds of your own/,
  },
  {
    name: "an unprotected release kind (30 d), *.*.* (365 d) and *-rc* (400 d) with maxKindsPerImage 2 (v1.2.3-rc1 expires at day 380)",
    run: () =>
      new TagScheme("test/tagScheme", {
        use: ["release"],
        maxKindsPerImage: 2,
        kinds: {
          release: { protected: false, retention: { maxAgeDays: 30 } },
          semver: { pattern: "*.*.*", retention: { maxAgeDays: 365 } },
          rc: { pattern: "*-rc*", retention: { maxAgeDays: 400 } },
        },
      }),
    path: "test/tagScheme/kinds/rc",
    subject: "selector",
    value: "*-rc*",
    rule: /one tag can match 3 kinds, .*the one for release \+ semver \(age: 365 days\), which would expire it before "rc"'s 400 days/,
    fix: /raise maxKindsPerImage to 3/,
  },
];
