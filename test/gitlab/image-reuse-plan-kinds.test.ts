import { pipelineKinds } from "../../lib/gitlab/image-reuse-plan";
import { TagScheme, type TagKindOptions } from "../../lib/registry/tag-scheme";
import { lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../lib/registry/lifecycle";
import { violationOf } from "../support/synth";

const DAY = 86_400_000;
const now = new Date("2026-06-15T12:00:00Z");
/** `n` images, one a day, each tagged as `tags` says; the digests the scheme's policy expires. */
const expired = (scheme: TagScheme, n: number, tags: (i: number, sha: string) => string[]) => {
  const daily: LifecycleImage[] = Array.from({ length: n }, (_, i) => {
    const sha = i.toString(16).padStart(40, "0");
    return { digest: `sha256:${i}`, tags: tags(i, sha), pushedAt: new Date(now.getTime() - i * DAY) };
  });
  return simulateLifecycle(lifecyclePolicyFromTagScheme(scheme), daily, now).expired.map((e) => Number(e.digest.slice(7)));
};

/*
 * A mutable tag whose value is not per commit moves to the next pipeline's image only where the
 * ref lives on: on the default branch. A merge request's branch is deleted after the merge, and its
 * last image keeps the tag for good, so there the kind counts like any other on the image.
 */
describe("pipeline tag plans: a moving kind on merge-request pipelines", () => {
  const kinds = { mergeRequest: { retention: { maxCount: 5 } }, branch: { mutable: true } };

  test("mergeRequest [mergeRequest, branch] with merge requests by count and a mutable branch by age is refused at branch's entry", () => {
    // The lifecycle keeps every merge request's last image: its branch-<slug> never moves again.
    const scheme = new TagScheme("test/tagScheme", { kinds });
    const kept = expired(scheme, 60, (i, sha) => [`MR-${i}-${sha}`, `branch-feature-${i}`]);
    expect(kept).toEqual([]);
    const error = violationOf(() => pipelineKinds("test", scheme, { mergeRequest: ["mergeRequest", "branch"] }));
    expect(error).toMatchObject({ path: "test/tags/mergeRequest[1]", subject: "tag kind", value: "branch" });
    expect(error.rule).toMatch(/mergeRequest pipelines put this kind \(age: 30 days\) and "mergeRequest" \(count: the newest 5\) on one image/);
  });

  test("the same moving kind stays exempt on the default branch, and one retention type passes on merge requests", () => {
    const scheme = new TagScheme("test/tagScheme", { kinds });
    expect(() => pipelineKinds("test", scheme, { defaultBranch: ["commit", "latest", "branch"] })).not.toThrow();
    const byAge = new TagScheme("test/tagScheme", { kinds: { branch: { mutable: true } } });
    expect(() => pipelineKinds("test", byAge, { mergeRequest: ["mergeRequest", "branch"] })).not.toThrow();
  });
});

/*
 * The lifecycle policy combines at most maxKindsPerImage retained kinds of a group on one image. The
 * image of a pipeline carries its planned kinds, the content kind (every build pushes it) and every
 * kind whose selector selects one of their tags; more than maxKindsPerImage lets a shorter-lived
 * kind's rule claim the image first.
 */
describe("pipeline tag plans: more kinds on one image than maxKindsPerImage", () => {
  const nightly: TagKindOptions = { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxCount: 30 } };
  const rc: TagKindOptions = { prefix: "rc-", ciTag: "rc-${CI_COMMIT_SHA}", retention: { maxCount: 10 } };
  // The content kind as secondary: it yields to the primary kinds and is counted in its own group.
  const inputs: TagKindOptions = { secondary: true };

  test("maxKindsPerImage 1 with defaultBranch [commit, nightly] is refused at the plan: commit's rule expired images within nightly's newest 200", () => {
    const scheme = new TagScheme("test/tagScheme", { maxKindsPerImage: 1, kinds: { nightly: { ...nightly, retention: { maxCount: 200 } }, inputs } });
    const gone = expired(scheme, 150, (_, sha) => [`sha-${sha}`, `nightly-${sha}`]);
    expect(gone.length).toBe(50);
    expect(gone.every((i) => i < 200)).toBe(true);
    const error = violationOf(() => pipelineKinds("test", scheme, { defaultBranch: ["commit", "nightly"] }));
    expect(error).toMatchObject({ path: "test/tags/defaultBranch", subject: "tag kinds", value: ["commit", "nightly"] });
    expect(error.rule).toMatch(/defaultBranch pipelines put 2 retained primary kinds on the commit image \(commit, nightly: .*maxKindsPerImage 1/);
    expect(error.fix).toMatch(/raise maxKindsPerImage of the tag scheme to 2, or drop a kind from the plan/);
    expect(() => pipelineKinds("test", scheme, { defaultBranch: ["commit"] })).not.toThrow();
  });

  test("maxKindsPerImage 2 with three count kinds on the default branch's image is refused; 3 passes", () => {
    const two = new TagScheme("test/tagScheme", { maxKindsPerImage: 2, kinds: { nightly, rc, inputs } });
    expect(violationOf(() => pipelineKinds("test", two, { defaultBranch: ["commit", "nightly", "rc"] }))).toMatchObject({ path: "test/tags/defaultBranch", value: ["commit", "nightly", "rc"] });
    const three = new TagScheme("test/tagScheme", { maxKindsPerImage: 3, kinds: { nightly, rc, inputs } });
    expect(() => pipelineKinds("test", three, { defaultBranch: ["commit", "nightly", "rc"] })).not.toThrow();
  });

  test("maxKindsPerImage 2 with a *-* age kind selecting both planned kinds' tags is refused and names it", () => {
    const ageKinds = { commit: { retention: { maxAgeDays: 90 } }, nightly: { ...nightly, retention: { maxAgeDays: 7 } }, inputs };
    const wide = new TagScheme("test/tagScheme", { maxKindsPerImage: 2, kinds: { ...ageKinds, dashed: { pattern: "*-*", retention: { maxAgeDays: 60 } } } });
    const error = violationOf(() => pipelineKinds("test", wide, { defaultBranch: ["commit", "nightly"] }));
    expect(error).toMatchObject({ path: "test/tags/defaultBranch", value: ["commit", "nightly"] });
    expect(error.rule).toMatch(/put 3 retained primary kinds on the commit image \(commit, nightly, dashed:/);
    const narrow = new TagScheme("test/tagScheme", { maxKindsPerImage: 2, kinds: ageKinds });
    expect(() => pipelineKinds("test", narrow, { defaultBranch: ["commit", "nightly"] })).not.toThrow();
  });

  // The content image is a manifest of its own: the commit image is written FROM it with two labels
  // (another digest), and the plan's further tags are copies of the commit image's manifest. The
  // plan check used to add the content kind to the commit image's kinds.
  test("the content kind is on its own manifest: default scheme with maxKindsPerImage 1 is accepted (mergeRequest and inputs never share an image)", () => {
    const scheme = new TagScheme("test/tagScheme", { maxKindsPerImage: 1 });
    const plan = pipelineKinds("test", scheme, {});
    expect(plan.map((k) => [k.name, [k.commitKind, ...k.extraKinds].map((e) => e.name)])).toEqual([
      ["mergeRequest", ["mergeRequest"]],
      ["defaultBranch", ["commit", "latest"]],
      ["gitTag", ["commit", "release"]],
    ]);
    // As the flow tags them: content images and commit images apart, each kind by its own rule.
    const content = Array.from({ length: 80 }, (_, i) => [`inputs-${i.toString(16).padStart(64, "0")}`]);
    const commits = Array.from({ length: 80 }, (_, i) => [`MR-${i}-${i.toString(16).padStart(40, "0")}`]);
    const kept = expired(scheme, 160, (i) => (i % 2 === 0 ? content[i / 2]! : commits[(i - 1) / 2]!));
    // inputs keeps its newest 50 (indexes 0, 2, …, 98); merge requests 30 days (indexes up to 30).
    expect(kept).toEqual(Array.from({ length: 160 }, (_, i) => i).filter((i) => (i % 2 === 0 ? i >= 100 : i > 30)));
  });

  test("maxKindsPerImage 2 with defaultBranch [commit, latest, nightly] is accepted: the commit image carries 2 retained kinds (latest is protected, inputs is elsewhere)", () => {
    const scheme = new TagScheme("test/tagScheme", { maxKindsPerImage: 2, kinds: { nightly } });
    expect(() => pipelineKinds("test", scheme, { defaultBranch: ["commit", "latest", "nightly"] })).not.toThrow();
    // A third retained kind on the commit image is still refused, and the content kind is not named.
    const three = new TagScheme("test/tagScheme", { maxKindsPerImage: 2, kinds: { nightly, rc } });
    const error = violationOf(() => pipelineKinds("test", three, { defaultBranch: ["commit", "latest", "nightly", "rc"] }));
    expect(error.rule).toMatch(/put 3 retained primary kinds on the commit image \(commit, nightly, rc: /);
  });

  test("maxKindsPerImage 1 accepts only age kinds on one image (their own rules come longest first)", () => {
    const scheme = new TagScheme("test/tagScheme", { maxKindsPerImage: 1, kinds: { commit: { retention: { maxAgeDays: 90 } }, nightly: { ...nightly, retention: { maxAgeDays: 7 } }, inputs } });
    expect(() => pipelineKinds("test", scheme, { defaultBranch: ["commit", "nightly"] })).not.toThrow();
  });
});
