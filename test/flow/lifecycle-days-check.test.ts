import { type LifecyclePolicyDocument, lifecyclePolicyFromTagScheme } from "../../lib/registry/lifecycle";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { type RegistryState } from "./support/flow-harness";
import { applyLifecycleDay } from "./support/lifecycle-days";

/*
 * The daily lifecycle check of the flow suite: an image carrying several kinds that every kind
 * would expire must be gone (the strict rule), like an image of one kind past its retention. The
 * check used to look at images of a single kind only, so a policy keeping them passed.
 */
const DAY = 86_400_000;
const now = new Date("2026-06-15T12:00:00Z");
const hex = (n: number) => n.toString(16).padStart(40, "0");
/** Only the untagged rule: keeps every tagged image (a broken policy). */
const keepsEverything: LifecyclePolicyDocument = {
  rules: [{ rulePriority: 1, selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 } as never, action: { type: "expire" } }],
};
const state = (images: Array<[string[], number]>): RegistryState => ({
  repos: { "acme/app": { images: Object.fromEntries(images.map(([tags, daysAgo], i) => [`sha256:${i}`, { tags, pushedAt: new Date(now.getTime() - daysAgo * DAY - i * 60_000).toISOString() }])) as never } },
  events: [],
});

describe("applyLifecycleDay: images of several kinds", () => {
  const scheme = new TagScheme("flow/tags", { kinds: { nightly: { prefix: "nightly-", ciTag: "nightly-${CI_COMMIT_SHA}", retention: { maxAgeDays: 7 } } } });

  test("age kinds: {MR-…, branch-…} older than both kinds' 30 days and kept is reported", () => {
    const result = applyLifecycleDay(state([[[`MR-1-${hex(1)}`, "branch-feature"], 40]]), scheme, () => keepsEverything, now, "day 1");
    expect(result.violations).toEqual(["day 1: acme/app keeps 1 images of kinds mergeRequest+branch older than 30 days"]);
  });

  test("count kinds: {sha-…, inputs-…} beyond the newest 100 carrying both and kept is reported", () => {
    const images = Array.from({ length: 103 }, (_, i): [string[], number] => [[`sha-${hex(i)}`, `inputs-${hex(i)}`], 1]);
    const result = applyLifecycleDay(state(images), scheme, () => keepsEverything, now, "day 2");
    expect(result.violations).toContain("day 2: acme/app keeps 3 images of kinds commit+inputs beyond the newest 100 carrying all of them");
  });

  test("a count kind and an age kind that would both expire it: kept forever, reported", () => {
    const images = [[[`sha-${hex(0)}`, `nightly-${hex(0)}`], 20], ...Array.from({ length: 100 }, (_, i): [string[], number] => [[`sha-${hex(i + 1)}`], 1])] as Array<[string[], number]>;
    const result = applyLifecycleDay(state(images), scheme, () => lifecyclePolicyFromTagScheme(scheme), now, "day 3");
    expect(result.violations).toEqual(["day 3: acme/app keeps 1 images of kinds commit+nightly that every kind would expire, kept forever (a count kind and an age kind: no ECR rule expires it)"]);
  });

  test("the generated policy passes: due images of several kinds of one type are expired", () => {
    const images: Array<[string[], number]> = [[[`MR-1-${hex(1)}`, "branch-feature"], 40], [[`MR-2-${hex(2)}`, "branch-other"], 10]];
    const result = applyLifecycleDay(state(images), scheme, () => lifecyclePolicyFromTagScheme(scheme), now, "day 4");
    expect(result).toEqual({ violations: [], expired: 1, maxTagsPerImage: 2 });
  });
});
