import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import fc from "fast-check";
import { join } from "node:path";
import { lifecyclePreviewMain as main } from "../../../lib/registry/lifecycle";
import { EXIT_BAD_INPUT, EXIT_PROTECTED_EXPIRES } from "../../../lib/registry/lifecycle/cli";
import { parseTagSchemeInput } from "../../../lib/registry/lifecycle/tag-scheme-input";
import { tagSchemeShapeViolations } from "../../../lib/registry/tag-scheme-shape";

/**
 * The preview's inputs are checked in full: a tag scheme file, an images file or an option that
 * does not say what it seems to is exit 2 with every problem on stderr, never the default in
 * silence (a misspelt `Kinds` used to pass `--fail-on-protected` with the default scheme).
 */
const fixtures = join(__dirname, "fixtures");
const fixture = (name: string) => join(fixtures, name);
const NOW = ["--now", "2024-06-15T12:00:00Z"];

function run(...argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const code = main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), "lifecycle-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(content: string): string {
  const path = join(dir, `input-${++files}.json`);
  writeFileSync(path, content);
  return path;
}

/** The images fixture with sha-ddd's image (expired by rule 3 of policy.json) also tagged golden-1. */
function goldenImages(): string {
  const images = JSON.parse(readFileSync(fixture("images.json"), "utf8")) as Array<{ tags: string[] }>;
  images[5]!.tags.push("golden-1");
  return file(JSON.stringify(images));
}

/** Runs the preview with `--tag-scheme <scheme>`, expecting exit 2: returns stderr's problem lines. */
function refusedScheme(scheme: string, images = fixture("images.json")): { path: string; lines: string[] } {
  const path = file(scheme);
  const { code, stdout, stderr } = run(fixture("policy.json"), images, ...NOW, "--tag-scheme", path, "--fail-on-protected");
  expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
  expect(stderr).toMatch(/^ecr-lifecycle-preview: /);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  const lines = stderr.replace(/^ecr-lifecycle-preview: /, "").trimEnd().split("\n");
  expect(lines.pop()).toMatch(/^usage: ecr-lifecycle-preview /);
  return { path, lines };
}

describe("--tag-scheme: a file that is not a tag scheme is refused, not read as the default scheme", () => {
  it.each([
    ["null", "null", ":/", "tag scheme", "null", /tag scheme is an object \{ \.\.\. \}, not null/],
    ["a list", "[1]", ":/", "tag scheme", "[1]", /tag scheme is an object \{ \.\.\. \}, not a list/],
    ["a number", "5", ":/", "tag scheme", "5", /tag scheme is an object \{ \.\.\. \}, not a number/],
    ["kinds of the wrong type", '{"kinds":5}', ":/kinds", "kinds", "5", /kinds is an object \{ \.\.\. \}, not a number/],
    ["a kind that is null", '{"kinds":{"latest":null}}', ":/kinds/latest", "tag kind latest", "null", /tag kind latest is an object \{ \.\.\. \}, not null/],
    ["a misspelt key", '{"kindz":{}}', ":/kindz", "key", '"kindz"', /the settings of a tag scheme are kinds, use, untaggedExpiryDays, maxKindsPerImage\. Fix: did you mean "kinds"\?/],
    ["a kind's option of the wrong type", '{"kinds":{"golden":{"prefix":5,"protected":true}}}', ":/kinds/golden/prefix", "prefix", "5", /prefix is a string such as "golden-", not a number/],
    ["a misspelt kind option", '{"kinds":{"golden":{"prefix":"golden-","protect":true}}}', ":/kinds/golden/protect", "key", '"protect"', /Fix: did you mean "protected"\?/],
    ["a retention field misspelt", '{"kinds":{"nightly":{"prefix":"nightly-","retention":{"maxDays":7}}}}', ":/kinds/nightly/retention/maxDays", "key", '"maxDays"', /the settings of a retention are maxCount, maxAgeDays/],
    ["use as a string", '{"use":"latest"}', ":/use", "use", '"latest"', /use is a list such as \["commit", "latest"\], not a string/],
  ])("%s (%s): exit 2, named at its path", (_, scheme, pointer, subject, value, rule) => {
    const { path, lines } = refusedScheme(scheme);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`${path}${pointer}: invalid ${subject} ${value}. Rule: `)).toBe(true);
    expect(lines[0]).toMatch(rule);
  });

  it("a protected kind under a misspelt Kinds is exit 2, not a passing gate; spelt kinds, the gate fails (exit 1)", () => {
    const images = goldenImages();
    const golden = { golden: { prefix: "golden-", protected: true } };
    const { path, lines } = refusedScheme(JSON.stringify({ Kinds: golden }), images);
    expect(lines).toEqual([`${path}:/Kinds: invalid key "Kinds". Rule: the settings of a tag scheme are kinds, use, untaggedExpiryDays, maxKindsPerImage. Fix: did you mean "kinds"? Rename the key`]);

    const spelt = run(fixture("policy.json"), images, ...NOW, "--tag-scheme", file(JSON.stringify({ kinds: golden })), "--fail-on-protected");
    expect(spelt.code).toBe(EXIT_PROTECTED_EXPIRES);
    expect(spelt.stdout).toMatch(/carries golden-1 and would be expired by rule 3/);
  });

  it("lists every shape problem at once", () => {
    const { path, lines } = refusedScheme('{"kindz":{},"use":["commit",7],"kinds":{"golden":{"prefix":5},"old":null},"maxKindsPerImage":null}');
    expect(lines.map((line) => line.slice(0, line.indexOf(": invalid")))).toEqual([
      `${path}:/kindz`,
      `${path}:/maxKindsPerImage`,
      `${path}:/use/1`,
      `${path}:/kinds/golden/prefix`,
      `${path}:/kinds/old`,
    ]);
  });

  it("a sound shape is checked with the tag scheme's own rules, every problem listed", () => {
    const { path, lines } = refusedScheme('{"kinds":{"golden":{"prefix":"golden-"},"nightly":{"prefix":"nightly-","retention":{"maxCount":7},"secondary":"yes"}},"untaggedExpiryDays":"3"}');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:/kinds/golden: invalid retention undefined\\. Rule: an unprotected tag kind needs a retention`)),
      expect.stringMatching(/:\/kinds\/nightly: invalid secondary "yes"\. Rule: secondary is true or false/),
      expect.stringMatching(/:\/: invalid untaggedExpiryDays "3"\. Rule: must be a whole number greater than 0/),
    ]);
  });

  it("an empty object is the default scheme, as documented (every key is optional)", () => {
    const r = run(fixture("policy.json"), fixture("images.json"), ...NOW, "--tag-scheme", file("{}"), "--fail-on-protected", "--json");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { protectedTags: string[] }).protectedTags).toEqual(["latest", "v*.*.*", "deployed-*"]);
  });

  it("parseTagSchemeInput returns the props and the resolved scheme of a sound file", () => {
    const input = parseTagSchemeInput("s.json", { kinds: { golden: { prefix: "golden-", protected: true } } });
    expect(input.resolved.kinds.filter((k) => k.protected).map((k) => k.name)).toEqual(["latest", "release", "buildCache", "deployed", "golden"]);
  });

  it("tagSchemeShapeViolations finds nothing in the documented examples and every key of TagSchemeProps", () => {
    const full = {
      kinds: { semver: { pattern: "*.*.*", protected: true, mutable: false }, bareSha: { pattern: "*", ciTag: "${CI_COMMIT_SHA}", retention: { maxCount: 200 }, secondary: true } },
      use: ["commit", "latest"],
      untaggedExpiryDays: 2,
      maxKindsPerImage: 3,
    };
    expect(tagSchemeShapeViolations("p", full)).toEqual([]);
    expect(tagSchemeShapeViolations("p", { kinds: { commit: { prefix: "sha-", retention: { maxAgeDays: 3 } } } })).toEqual([]);
  });
});

describe("--tag-scheme with any JSON", () => {
  const value = fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -2, max: 5 }), fc.constantFrom("golden-", "sha-", "*", "", "latest", "${CI_COMMIT_SHA}"));
  const retention = fc.dictionary(fc.constantFrom("maxCount", "maxAgeDays", "maxDays"), value, { maxKeys: 2 });
  const kind = fc.dictionary(fc.constantFrom("prefix", "pattern", "ciTag", "retention", "protected", "mutable", "secondary", "protect"), fc.oneof(value, retention), { maxKeys: 4 });
  const scheme = fc.dictionary(
    fc.constantFrom("kinds", "use", "untaggedExpiryDays", "maxKindsPerImage", "Kinds"),
    fc.oneof(value, fc.dictionary(fc.constantFrom("latest", "commit", "golden", "Golden", "nightly"), fc.oneof(value, kind), { maxKeys: 3 }), fc.array(fc.oneof(value, fc.constantFrom("commit", "latest")), { maxLength: 3 })),
    { maxKeys: 4 },
  );

  it("exits 0, 1 or 2 and never throws; exit 2 names the file and prints no stack trace", () => {
    fc.assert(
      fc.property(fc.oneof(scheme, fc.jsonValue()), (document) => {
        const path = file(JSON.stringify(document) ?? "null");
        const r = run(fixture("policy.json"), fixture("images.json"), ...NOW, "--tag-scheme", path, "--fail-on-protected");
        expect([0, EXIT_PROTECTED_EXPIRES, EXIT_BAD_INPUT]).toContain(r.code);
        if (r.code === EXIT_BAD_INPUT) {
          expect(r.stderr.startsWith(`ecr-lifecycle-preview: ${path}:/`)).toBe(true);
          expect(r.stderr).not.toMatch(/\n\s+at /);
        } else {
          expect(tagSchemeShapeViolations("p", document)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("the other inputs: no silent default either", () => {
  it("a misspelt key of a plain-format image is exit 2 (lastPulled would read as never pulled)", () => {
    const images = file(JSON.stringify([{ digest: "sha256:a", tags: ["sha-a"], pushedAt: "2024-06-01T00:00:00Z", lastPulled: "2024-06-14T00:00:00Z" }]));
    const { code, stdout, stderr } = run(fixture("policy.json"), images, ...NOW);
    expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
    expect(stderr).toContain(`${images}: invalid [0] key "lastPulled". Rule: an image is { digest, tags, pushedAt, lastPulledAt }`);
    expect(stderr).toContain('Fix: did you mean "lastPulledAt"? Rename the key');
  });

  it("--fail-on-protected with a tag scheme that protects nothing is exit 2, not a gate that always passes", () => {
    const scheme = file(JSON.stringify({ use: ["commit", "buildCache"] }));
    const { code, stdout, stderr } = run(fixture("expires-latest-policy.json"), fixture("images.json"), ...NOW, "--tag-scheme", scheme, "--fail-on-protected");
    expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
    expect(stderr).toContain(`${scheme}:/: invalid protected tags []. Rule: --fail-on-protected needs at least one protected tag`);
    // Without the gate the same scheme previews as before.
    expect(run(fixture("expires-latest-policy.json"), fixture("images.json"), ...NOW, "--tag-scheme", scheme).code).toBe(0);
  });

  it("describe-images output keeps its other fields (sizes, scan status): read as before", () => {
    expect(run(fixture("get-lifecycle-policy.json"), fixture("describe-images.json"), ...NOW).code).toBe(0);
  });

  it.each([
    ["--now", ["--now", "2024-06-15T12:00:00Z", "--now", "2024-07-01T00:00:00Z"], /command line: invalid --now "2024-06-15T12:00:00\.000Z"\. Rule: --now is given at most once/],
    ["--tag-scheme", [...NOW, "--tag-scheme", "a.json", "--tag-scheme", "b.json"], /command line: invalid --tag-scheme "a\.json"\. Rule: --tag-scheme is given at most once/],
  ])("a second %s is exit 2, not a silent replacement of the first", (_, options, message) => {
    const { code, stdout, stderr } = run(fixture("policy.json"), fixture("images.json"), ...options);
    expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
    expect(stderr).toMatch(message);
  });
});

describe("an option written with '='", () => {
  it.each([
    [["--tag-scheme=scheme.json"], /invalid option "--tag-scheme=scheme\.json"\. Rule: the options are .*\. Fix: give the value as the next argument: --tag-scheme scheme\.json/],
    [["--tag-scheme="], /invalid option "--tag-scheme="\. Rule: .*\. Fix: give the value as the next argument: --tag-scheme <file>/],
    [["--now=2024-06-15T12:00:00Z"], /Fix: give the value as the next argument: --now 2024-06-15T12:00:00Z/],
    [["--protected=v*"], /Fix: give the value as the next argument: --protected v\*/],
    [["--json=true"], /invalid option "--json=true"\. Rule: .*\. Fix: give --json without a value/],
    [["--verbose"], /invalid option "--verbose"\. Rule: .*\. Fix: remove it or use one of the options/],
    [["--verbose=1"], /Fix: remove it or use one of the options/],
  ])("%j is exit 2 with a fix that names the option's own form", (options, message) => {
    const { code, stdout, stderr } = run(fixture("policy.json"), fixture("images.json"), ...NOW, ...options);
    expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain("remove the option");
  });
});
