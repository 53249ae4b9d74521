import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lifecyclePreviewMain as main, parseImagesInput } from "../../../lib/registry/lifecycle";
import { EXIT_BAD_INPUT, PAGINATION_TOKENS } from "../../../lib/registry/lifecycle/cli";

const fixtures = join(__dirname, "fixtures");
const fixture = (name: string) => join(fixtures, name);
const NOW = ["--now", "2024-06-15T12:00:00Z"];
const digest = (n: number) => `sha256:${String(n).repeat(64)}`;

function run(...argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const code = main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

describe("lifecycle:preview", () => {
  it("prints a table of the images that would be expired, by which rule and why, and a summary", () => {
    const { code, stdout, stderr } = run(fixture("policy.json"), fixture("images.json"), ...NOW);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^DIGEST +TAGS +PUSHED +RULE +DESCRIPTION +WHY$/);
    expect(lines.slice(1, 4)).toEqual([
      expect.stringMatching(/^sha256:222222222222 +MR-7 +2024-05-01T00:00:00\.000Z +2 +Expire merge request images after 30 days +expired by rule 2: pushed 45\.5 days ago, more than the 30 days of rule 2$/),
      expect.stringMatching(/^sha256:666666666666 +sha-ddd +2024-05-20T00:00:00\.000Z +3 +Keep the newest 2 commit images +expired by rule 3: it is #3 newest of the 4 images rule 3 selects, which keeps the newest 2$/),
      expect.stringMatching(/^sha256:777777777777 +<untagged> +2024-06-13T00:00:00\.000Z +4 +Expire untagged images after 1 day +expired by rule 4: pushed 2\.5 days ago, more than the 1 day of rule 4$/),
    ]);
    // Columns line up.
    expect(new Set(lines.slice(0, 4).map((line) => line.indexOf(line.includes("WHY") ? "WHY" : "expired by")))).toHaveProperty("size", 1);
    expect(lines.slice(4)).toEqual([
      "",
      "Kept images per rule:",
      "RULE  KEPT  DESCRIPTION",
      "1     1     Keep latest",
      "2     1     Expire merge request images after 30 days",
      "3     2     Keep the newest 2 commit images",
      "4     1     Expire untagged images after 1 day",
      "",
      "3 of 8 images would be expired, 5 kept (as of 2024-06-15T12:00:00.000Z).",
    ]);
  });

  it("reads get-lifecycle-policy and describe-images output, with the same result as the plain formats", () => {
    const aws = run(fixture("get-lifecycle-policy.json"), fixture("describe-images.json"), ...NOW, "--json");
    const plain = run(fixture("policy.json"), fixture("images.json"), "--json", ...NOW);
    expect(aws.code).toBe(0);
    const result = JSON.parse(aws.stdout) as { now: string; summary: unknown; expired: Array<{ digest: string; rule: { rulePriority: number } }>; kept: unknown[] };
    expect(result.now).toBe("2024-06-15T12:00:00.000Z");
    expect(result.summary).toEqual({ images: 8, expired: 3, kept: 5, protectedExpired: 0 });
    expect(result.expired.map((d) => [d.digest, d.rule.rulePriority])).toEqual([
      [digest(2), 2],
      [digest(6), 3],
      [digest(7), 4],
    ]);
    expect(JSON.parse(plain.stdout)).toEqual(result);
  });

  it("says so when nothing would be expired", () => {
    const { code, stdout } = run(fixture("policy.json"), fixture("recent-images.json"), ...NOW);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Kept images per rule:\nRULE +KEPT +DESCRIPTION\n(.+\n)+\n0 of 2 images would be expired, 2 kept \(as of 2024-06-15T12:00:00\.000Z\)\.\n$/);
  });

  it("prints usage for --help", () => {
    expect(run("--help")).toEqual({ code: 0, stdout: expect.stringMatching(/^usage: ecr-lifecycle-preview <policy\.json> <images\.json>/), stderr: "" });
  });

  it.each([
    ["an invalid policy", [fixture("bad-policy.json"), fixture("images.json")], /bad-policy\.json\/rules\/0: invalid selection\.countUnit "days"\. Rule: countUnit is only allowed with the since\* count types\. Fix: remove countUnit/],
    ["a missing argument", [fixture("policy.json")], /command line: invalid arguments \[".*policy\.json"\]\. Rule: give exactly two files: the policy and the images\. Fix: run ecr-lifecycle-preview/],
    ["an unknown option", [fixture("policy.json"), fixture("images.json"), "--verbose"], /command line: invalid option "--verbose"\. Rule: the options are --now <ISO date>, --json, --fail-on-protected, --protected <pattern>, --tag-scheme <file> and --help/],
    ["a bad --now", [fixture("policy.json"), fixture("images.json"), "--now", "yesterday"], /command line: invalid --now "yesterday"\. Rule: a time is an ISO 8601 date/],
    ["a missing file", [fixture("policy.json"), fixture("missing.json")], /missing\.json: invalid file "ENOENT: no such file or directory.*Rule: the file must exist and be readable\. Fix: check the path/],
    ["a file that is not JSON", [fixture("not-json.txt"), fixture("images.json")], /not-json\.txt: invalid file content ".*JSON.*"\. Rule: must be valid JSON\. Fix: fix the JSON syntax/],
    ["images that are not a list", [fixture("policy.json"), fixture("policy.json")], /policy\.json: invalid images \{"rules":.*\. Rule: images are an array of .*Fix: pass a JSON array of images/],
    ["an image pushed after --now", [fixture("policy.json"), fixture("images.json"), "--now", "2024-06-14T00:00:00Z"], /images\.json: invalid image 7 push time "2024-06-15T00:00:00\.000Z"\. Rule: the preview time \(--now 2024-06-14T00:00:00\.000Z\) must not be before an image's push\. Fix: give a later --now/],
    ["a duplicate digest", [fixture("policy.json"), fixture("duplicate-digest-images.json")], /duplicate-digest-images\.json: invalid \[1\]\.digest "sha256:2{64}"\. Rule: every image has a digest, unique in the list/],
  ])("exits 2 with a clear message on %s", (_, argv, message) => {
    const { code, stdout, stderr } = run(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^ecr-lifecycle-preview: /);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/\nusage: ecr-lifecycle-preview <policy\.json> <images\.json> \[--now <ISO date>\] \[--json\] \[--fail-on-protected\]/);
  });

  it("--fail-on-protected exits 1 when a protected tag (latest, by default) would expire, and names the image", () => {
    const { code, stdout, stderr } = run(fixture("expires-latest-policy.json"), fixture("images.json"), ...NOW, "--fail-on-protected");
    expect(code).toBe(1);
    expect(stdout).toMatch(/PROTECTED IMAGES WOULD BE EXPIRED \(protected tags: latest, v\*\.\*\.\*, deployed-\*\):\n {2}sha256:111111111111 carries latest and would be expired by rule 1\n/);
    expect(stderr).toMatch(/^ecr-lifecycle-preview: 1 image\(s\) carrying a protected tag would be expired \(--fail-on-protected\)\n$/);
  });

  it("without --fail-on-protected the same preview warns but exits 0; a safe policy passes the gate", () => {
    const warned = run(fixture("expires-latest-policy.json"), fixture("images.json"), ...NOW);
    expect(warned.code).toBe(0);
    expect(warned.stdout).toContain("PROTECTED IMAGES WOULD BE EXPIRED");
    const safe = run(fixture("policy.json"), fixture("images.json"), ...NOW, "--fail-on-protected");
    expect({ code: safe.code, stderr: safe.stderr }).toEqual({ code: 0, stderr: "" });
    expect(safe.stdout).not.toContain("PROTECTED");
  });

  it("--protected patterns replace the default protected tags; --json reports the protected expiries", () => {
    const commits = run(fixture("policy.json"), fixture("images.json"), ...NOW, "--protected", "sha-*", "--fail-on-protected", "--json");
    expect(commits.code).toBe(1);
    const result = JSON.parse(commits.stdout) as { protectedTags: string[]; protectedExpired: Array<{ digest: string; protectedTags: string[]; rulePriority: number }> };
    expect(result.protectedTags).toEqual(["sha-*"]);
    expect(result.protectedExpired).toEqual([{ digest: digest(6), protectedTags: ["sha-ddd"], rulePriority: 3 }]);
  });

  it("--tag-scheme takes the protected kinds of a tag scheme document", () => {
    const dir = mkdtempSync(join(tmpdir(), "tag-scheme-"));
    try {
      const scheme = join(dir, "scheme.json");
      writeFileSync(scheme, JSON.stringify({ kinds: { commit: { protected: true } } }));
      const r = run(fixture("policy.json"), fixture("images.json"), ...NOW, "--tag-scheme", scheme, "--fail-on-protected", "--json");
      const result = JSON.parse(r.stdout) as { protectedTags: string[]; protectedExpired: Array<{ digest: string }> };
      expect(result.protectedTags).toContain("sha-*");
      expect(result.protectedExpired.map((e) => e.digest)).toEqual([digest(6)]);
      expect(r.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses describe-images output cut by --max-items (a NextToken): exit 2, nothing previewed, the fix named", () => {
    const complete = JSON.parse(readFileSync(fixture("describe-images.json"), "utf8")) as { imageDetails: unknown[] };
    const dir = mkdtempSync(join(tmpdir(), "lifecycle-page-"));
    try {
      // The first page of two: count rules would keep what the missing page's newer images push out.
      const page = join(dir, "page.json");
      writeFileSync(page, JSON.stringify({ imageDetails: complete.imageDetails.slice(0, 4), NextToken: "eyJuZXh0VG9rZW4iOiBudWxsfQ==" }));
      const { code, stdout, stderr } = run(fixture("get-lifecycle-policy.json"), page, ...NOW);
      expect({ code, stdout }).toEqual({ code: EXIT_BAD_INPUT, stdout: "" });
      expect(stderr).toMatch(/page\.json: invalid NextToken "eyJ.*Rule: the images must be the repository's complete list.*Fix: rerun `aws ecr describe-images .*without --max-items/);
      // The complete output of the same images is previewed.
      expect(run(fixture("get-lifecycle-policy.json"), fixture("describe-images.json"), ...NOW).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exits with the code of main when run as a script", () => {
    const cli = join(__dirname, "../../../lib/registry/lifecycle/cli.ts");
    const spawn = (...args: string[]) => spawnSync(process.execPath, ["-r", "@swc-node/register", cli, ...args], { encoding: "utf8" });
    const bad = spawn(fixture("bad-policy.json"), fixture("images.json"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid selection\.countUnit "days"/);
  });
});

describe("parseImagesInput", () => {
  it("reads describe-images wire timestamps (epoch seconds) and untagged images without imageTags", () => {
    const images = parseImagesInput("describe.json", { imageDetails: [{ imageDigest: "sha256:x", imagePushedAt: 1718452800.5, lastRecordedPullTime: 1718452900 }] });
    expect(images).toEqual([{ digest: "sha256:x", tags: [], pushedAt: new Date("2024-06-15T12:00:00.500Z"), lastPulledAt: new Date("2024-06-15T12:01:40Z") }]);
  });

  it("rejects epoch numbers and missing tags in the plain format, and bad tags in describe-images output", () => {
    expect(() => parseImagesInput("i.json", [{ digest: "d", tags: [], pushedAt: 1718452800 }])).toThrow(/^i\.json: invalid \[0\]\.pushedAt 1718452800\. Rule: a time is an ISO 8601 date such as "2024-06-01T12:00:00Z"\. Fix: correct the date/);
    expect(() => parseImagesInput("i.json", [{ digest: "d", pushedAt: "2024-06-01" }])).toThrow(/^i\.json: invalid \[0\]\.tags undefined\. Rule: tags are an array of strings/);
    expect(() => parseImagesInput("d.json", { imageDetails: [{ imageDigest: "d", imageTags: "latest", imagePushedAt: "2024-06-01" }] })).toThrow(
      /^d\.json: invalid imageDetails\[0\]\.imageTags "latest"\. Rule: tags are an array of strings/,
    );
  });

  it.each(PAGINATION_TOKENS)("refuses describe-images output holding a pagination token (%s): an incomplete list", (token) => {
    const details = [{ imageDigest: "sha256:x", imageTags: ["sha-a"], imagePushedAt: "2024-06-01T00:00:00Z" }];
    expect(() => parseImagesInput("d.json", { imageDetails: details, [token]: "abc" })).toThrow(
      new RegExp(`^d\\.json: invalid ${token} "abc"\\. Rule: the images must be the repository's complete list`),
    );
    // Without a token (or with the null a last page may carry) the same list is read.
    expect(parseImagesInput("d.json", { imageDetails: details })).toHaveLength(1);
    expect(parseImagesInput("d.json", { imageDetails: details, [token]: null })).toHaveLength(1);
  });
});
