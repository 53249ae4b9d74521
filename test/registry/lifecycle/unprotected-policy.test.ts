import fc from "fast-check";
import { App, TerraformStack } from "cdktf";
import { DEFAULT_PROTECTED_KEEP_COUNT, DEFAULT_UNPROTECTED_MAX_AGE_DAYS, lifecyclePolicyFromTagScheme, simulateLifecycle, type LifecycleImage } from "../../../lib/registry/lifecycle";
import { selectsEveryTag } from "../../../lib/registry/lifecycle/scheme-policy";
import { ContainerRepository } from "../../../lib/registry/repository";
import { type TagKind, TagScheme } from "../../../lib/registry/tag-scheme";
import { carriedKinds, DAY, decidingKinds, generatedSchemes, guaranteedKinds, images, kindExpires, NOW, rankAmong } from "./support/retention-oracle";

/*
 * The lifecycle policy of a repository that takes unprotected pushes (merge-request pipelines).
 * Any merge-request job can push any tag there; with the protected repository's policy, `latest`,
 * `v9.9.9`, `deployed-*` and `buildcache` had keep rules, and a count kind next to an age kind a keep
 * rule too, with no catch-all: such images were never expired and filled the images-per-repository
 * quota. There, protected kinds are other tags, count-and-age combinations expire by age, and every
 * image no retained kind selects expires `maxAgeDays` after push.
 */
const SHA = "a".repeat(40);
const image = (digest: string, tags: string[], ageDays: number): LifecycleImage => ({ digest, tags, pushedAt: new Date(NOW.getTime() - ageDays * DAY) });
const expiredOf = (policy: ReturnType<typeof lifecyclePolicyFromTagScheme>, imgs: LifecycleImage[]) => simulateLifecycle(policy, imgs, NOW).expired.map((d) => d.digest).sort();

describe("lifecycle policy of an unprotected repository", () => {
  const scheme = new TagScheme("test/tags");
  const unprotected = lifecyclePolicyFromTagScheme(scheme, { unprotected: { maxAgeDays: DEFAULT_UNPROTECTED_MAX_AGE_DAYS } });

  test("latest, v9.9.9, deployed-production, buildcache, an untyped tag and untagged images pushed by merge-request jobs expire after 14 days (the protected policy kept the tagged ones forever)", () => {
    const tags = [["latest"], ["v9.9.9"], ["deployed-production"], ["buildcache"], ["anything"]];
    const imgs = tags.flatMap((t, i) => [image(`old-${i}`, t, 15), image(`new-${i}`, t, 13)]);
    expect(expiredOf(unprotected, imgs)).toEqual(tags.map((_, i) => `old-${i}`).sort());
    // The protected repository's policy keeps every protected tag and the untyped one (no catch-all).
    expect(expiredOf(lifecyclePolicyFromTagScheme(scheme), imgs)).toEqual([]);
    // Untagged images keep the scheme's shorter untagged expiry.
    const untagged = [image("u-old", [], scheme.untaggedExpiryDays + 1), image("u-new", [], scheme.untaggedExpiryDays - 0.5)];
    expect(expiredOf(unprotected, untagged)).toEqual(["u-old"]);
    // No keep rule is left: every rule expires by a retention, the last one is the catch-all by age.
    expect(unprotected.rules.filter((r) => r.selection.countType === "imageCountMoreThan" && r.selection.countNumber >= DEFAULT_PROTECTED_KEEP_COUNT)).toEqual([]);
    expect(unprotected.rules.at(-1)!.selection).toEqual({ tagStatus: "any", countType: "sinceImagePushed", countUnit: "days", countNumber: 14 });
  });

  test("the kinds merge-request pipelines push keep their retention: MR-<iid>-<sha> 30 days, inputs-<hash> the newest 50", () => {
    const imgs = [image("mr-29", [`MR-1-${SHA}`], 29), image("mr-31", [`MR-2-${SHA}`], 31), ...Array.from({ length: 51 }, (_, i) => image(`in-${String(i).padStart(2, "0")}`, [`inputs-${i}`], 60 - i / 10))];
    expect(expiredOf(unprotected, imgs)).toEqual(["in-00", "mr-31"]);
  });

  test("a count kind and an age kind on one image (sha- and MR-) expire after the longest age, not never", () => {
    const imgs = [image("mixed-31", [`sha-${SHA}`, `MR-3-${SHA}`], 31), image("mixed-29", [`sha-b${SHA.slice(1)}`, `MR-4-${SHA}`], 29)];
    expect(expiredOf(unprotected, imgs)).toEqual(["mixed-31"]);
    expect(expiredOf(lifecyclePolicyFromTagScheme(scheme), imgs)).toEqual([]);
  });

  test("ContainerRepository: unprotected uses this policy (default 14 days, configurable); catchAllRetention still wins; a bad age is refused at the scheme path", () => {
    const stack = new TerraformStack(new App(), "s");
    const tagScheme = new TagScheme(stack, "tags");
    const days = (r: ContainerRepository) => r.lifecyclePolicy.rules.at(-1)!.selection;
    expect(days(new ContainerRepository(stack, "a", { repositoryName: "acme/unprotected/a", tagScheme, unprotected: {} })).countNumber).toBe(14);
    expect(days(new ContainerRepository(stack, "b", { repositoryName: "acme/unprotected/b", tagScheme, unprotected: { maxAgeDays: 3 } })).countNumber).toBe(3);
    expect(days(new ContainerRepository(stack, "c", { repositoryName: "acme/unprotected/c", tagScheme, unprotected: {}, catchAllRetention: { maxCount: 20 } }))).toMatchObject({ tagStatus: "any", countType: "imageCountMoreThan", countNumber: 20 });
    const protectedRepo = new ContainerRepository(stack, "d", { repositoryName: "acme/d", tagScheme });
    expect(protectedRepo.lifecyclePolicy.rules[0]!.description).toMatch(/^Keep every image tagged latest/);
    expect(() => new ContainerRepository(stack, "e", { repositoryName: "acme/unprotected/e", tagScheme, unprotected: { maxAgeDays: 0 } })).toThrow(/unprotected: invalid maxAgeDays 0\. Rule: must be a whole number greater than 0/);
  });

  const numRuns = 300;
  const type = (k: TagKind) => ("maxCount" in k.retention! ? "count" : "age");
  test("property: images no retained kind selects expire exactly after maxAgeDays; retained kinds keep the guarantee (expired only when every kind would; live within the count bound); mixed count-and-age images expire by age, never before the bound", () => {
    const seen = { other: 0, otherExpired: 0, liveChecks: 0, mixed: 0 };
    fc.assert(
      fc.property(
        generatedSchemes
          .filter((g): g is { scheme: TagScheme } => "scheme" in g && g.scheme.retainedKinds.length <= 6)
          .chain(({ scheme }) => fc.tuple(fc.constant(scheme), images(scheme), fc.integer({ min: 1, max: 12 }))),
        ([scheme, imgs, maxAgeDays]) => {
          const result = simulateLifecycle(lifecyclePolicyFromTagScheme(scheme, { unprotected: { maxAgeDays } }), imgs, NOW);
          result.decisions.forEach((decision, i) => {
            const img = imgs[i]!;
            const age = NOW.getTime() - img.pushedAt.getTime();
            const carried = carriedKinds(scheme, img);
            const deciding = decidingKinds(carried);
            const row = { digest: img.digest, tags: img.tags, expired: decision.expired };
            if (deciding.length === 0) {
              // Protected kinds' tags and other tags: the catch-all by age.
              seen.other++;
              if (decision.expired) seen.otherExpired++;
              expect(row).toEqual({ ...row, expired: age > maxAgeDays * DAY });
              return;
            }
            const ordered = scheme.maxKindsPerImage === 1 && deciding.every((k) => type(k) === "age");
            if (deciding.filter((k) => !selectsEveryTag(k)).length > scheme.maxKindsPerImage && !ordered) return;
            const oneType = deciding.every((k) => type(k) === type(deciding[0]!));
            if (!oneType) {
              seen.mixed++;
              // Expired by age, and never before the repository's bound or an age kind it carries would expire it.
              const ageKinds = guaranteedKinds(carried).filter((k) => type(k) === "age");
              if (decision.expired) expect({ ...row, old: age > maxAgeDays * DAY && ageKinds.every((k) => kindExpires(k, img, imgs)) }).toEqual({ ...row, old: true });
              return;
            }
            const guaranteed = guaranteedKinds(carried);
            if (decision.expired) expect({ ...row, all: guaranteed.every((k) => kindExpires(k, img, imgs)) }).toEqual({ ...row, all: true });
            if (deciding.every((k) => kindExpires(k, img, imgs))) {
              const bound = type(deciding[0]!) === "age" || rankAmong(deciding, img, imgs) > Math.max(...deciding.map((k) => (k.retention as { maxCount: number }).maxCount));
              if (!bound) return;
              seen.liveChecks++;
              expect(row).toEqual({ ...row, expired: true });
            }
          });
        },
      ),
      { numRuns, seed: 20261201 },
    );
    // Not vacuous: other images were seen and expired, liveness was checked, mixed images occurred.
    expect(seen.other).toBeGreaterThan(numRuns);
    expect(seen.otherExpired).toBeGreaterThan(numRuns / 4);
    expect(seen.liveChecks).toBeGreaterThan(numRuns);
    expect(seen.mixed).toBeGreaterThan(4);
  });
});
