import { createHash } from "node:crypto";
import { matchesSelector } from "../../../lib/registry/glob";
import { lifecyclePolicyFromTagScheme, type LifecyclePolicyDocument, simulateLifecycle, type LifecycleImage } from "../../../lib/registry/lifecycle";
import { type TagKind, type TagScheme } from "../../../lib/registry/tag-scheme";
import { fakeRegistry, type RegistryState } from "./flow-harness";

const DAY = 86_400_000;

/** What {@link runLifecycleDays} found. */
export interface LifecycleReport {
  /** Every broken guarantee, in words (empty when all hold). */
  readonly violations: string[];
  readonly summary: { days: number; pushed: number; expired: number; maxTagsPerImage: number; imagesAtEnd: number };
}

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * Continues the flow suite's registry for `days` more days with the pushes the templates make
 * (per day on the default branch two commit images FROM the current content image and `latest`
 * moved to the newest; new inputs every 10 days; three merge-request commit images in the
 * unprotected repositories, a new merge request every 2 days; a release tag every 30 days), and
 * applies the tag scheme's lifecycle policy every day with the offline simulator. Checks every day:
 * no image with a protected tag expires; an expired image is one that every kind it carries would
 * expire on its own; an image of a single age kind is gone one day after its age; no more images
 * of a single count kind stay than its count; no image reaches 1,000 tags (the fake registry refuses).
 */
export function runLifecycleDays(state: RegistryState, scheme: TagScheme, days: number): LifecycleReport {
  const policy = lifecyclePolicyFromTagScheme(scheme);
  const violations: string[] = [];
  let pushed = 0;
  let expired = 0;
  let maxTags = 0;
  const repos = Object.keys(state.repos);
  const protectedRepos = repos.filter((r) => !r.includes("/unprotected/"));
  const unprotectedRepos = repos.filter((r) => r.includes("/unprotected/"));
  const contentOf = new Map<string, string>();
  let release = 1;
  let iid = 100;
  const start = Math.max(...state.events.map((e) => Date.parse(e.at))) + DAY;
  const push = (now: Date, role: string, repo: string, tag: string, image: Record<string, unknown>) => {
    const env = { FAKE_NOW: now.toISOString(), FAKE_MUTABLE: scheme.mutableKinds.map((k) => ("prefix" in k.selector ? `${k.selector.prefix}*` : k.selector.pattern)).join(","), AWS_ROLE_ARN: role };
    const digest = (image.digest as string | undefined) ?? `sha256:${hex(`${repo}:${tag}:${now.toISOString()}`)}`;
    fakeRegistry.putTag(state, env, repo, tag, digest, image);
    pushed++;
    return digest;
  };
  for (let d = 0; d < days; d++) {
    const day = new Date(start + d * DAY);
    for (const repo of protectedRepos) {
      if (d % 10 === 0 || !contentOf.has(repo)) contentOf.set(repo, push(day, "arn:aws:iam::1:role/x-protected", repo, `inputs-${hex(`${repo}${d}`).slice(0, 40)}`, { kind: "content" }));
      let newest = "";
      for (const n of [1, 2]) newest = push(new Date(day.getTime() + n * 3_600_000), "arn:aws:iam::1:role/x-protected", repo, `sha-${hex(`${d}-${n}`).slice(0, 40)}`, { kind: "commit" });
      push(new Date(day.getTime() + 3 * 3_600_000), "arn:aws:iam::1:role/x-protected", repo, "latest", { digest: newest });
      if (d % 30 === 29) push(new Date(day.getTime() + 4 * 3_600_000), "arn:aws:iam::1:role/x-protected", repo, `v1.${release}.0`, { digest: newest });
    }
    if (d % 30 === 29) release++;
    if (d % 2 === 0) iid++;
    for (const repo of unprotectedRepos) {
      for (const n of [1, 2, 3]) push(new Date(day.getTime() + n * 3_600_000), "arn:aws:iam::1:role/x-unprotected", repo, `MR-${iid}-${hex(`${d}-${n}-${repo}`).slice(0, 40)}`, { kind: "commit" });
    }

    const result = applyLifecycleDay(state, scheme, () => policy, new Date(day.getTime() + 23 * 3_600_000), `day ${d}`);
    violations.push(...result.violations);
    expired += result.expired;
    maxTags = Math.max(maxTags, result.maxTagsPerImage);
  }
  const imagesAtEnd = Object.values(state.repos).reduce((n, r) => n + Object.keys(r.images).length, 0);
  return { violations, summary: { days, pushed, expired, maxTagsPerImage: maxTags, imagesAtEnd } };
}

/** What one day's lifecycle run found. */
export interface LifecycleDayResult {
  readonly violations: string[];
  readonly expired: number;
  readonly maxTagsPerImage: number;
}

/**
 * Applies each repository's lifecycle policy (`policyOf(repository)`) at `now` with the offline
 * simulator, deletes what it expires from the registry, and checks: no image with a protected tag
 * expires; an expired image is one that every kind it carries would expire on its own; an image of a
 * single age kind is gone one day after its age; no more images of a single count kind stay than its count;
 * an image of several kinds is gone once every kind it carries would expire it (see {@link overdueMultiKind}).
 */
export function applyLifecycleDay(state: RegistryState, scheme: TagScheme, policyOf: (repository: string) => LifecyclePolicyDocument, now: Date, label: string): LifecycleDayResult {
  const violations: string[] = [];
  let expired = 0;
  let maxTags = 0;
  for (const repo of Object.keys(state.repos)) {
    const images: LifecycleImage[] = Object.entries(state.repos[repo]!.images).map(([digest, i]) => ({ digest, tags: i.tags, pushedAt: new Date(i.pushedAt) }));
    images.forEach((i) => (maxTags = Math.max(maxTags, i.tags.length)));
    const byDigest = new Map(images.map((i) => [i.digest, i]));
    const carriers = new Carriers(images);
    const result = simulateLifecycle(policyOf(repo), images, now);
    for (const decision of result.expired) {
      const image = byDigest.get(decision.digest)!;
      const carried = kindsOf(scheme, image.tags);
      if (carried.some((k) => k.protected)) violations.push(`${label}: ${repo} ${image.tags.join(",")} expired although protected`);
      for (const kind of carried.filter((k) => !k.protected && !expiresAlone(k, image, carriers, now))) {
        violations.push(`${label}: ${repo} ${image.tags.join(",")} expired before kind ${kind.name}'s retention`);
      }
    }
    const kept = result.kept.map((k) => byDigest.get(k.digest)!);
    const keptKinds = new Map(kept.map((i) => [i, kindsOf(scheme, i.tags)]));
    for (const kind of scheme.retainedKinds) {
      const only = kept.filter((i) => {
        const carried = keptKinds.get(i)!;
        return carried.length === 1 && carried[0] === kind;
      });
      const r = kind.retention!;
      if ("maxAgeDays" in r) {
        const stale = only.filter((i) => now.getTime() - i.pushedAt.getTime() > (r.maxAgeDays + 1) * DAY);
        if (stale.length > 0) violations.push(`${label}: ${repo} keeps ${stale.length} ${kind.name} images older than ${r.maxAgeDays} days`);
      } else if (only.length > r.maxCount) {
        violations.push(`${label}: ${repo} keeps ${only.length} ${kind.name} images, more than ${r.maxCount}`);
      }
    }
    violations.push(...overdueMultiKind(scheme, kept, keptKinds, carriers, now).map((v) => `${label}: ${repo} ${v}`));
    fakeRegistry.expire(state, { [repo]: result.expired.map((e) => e.digest) });
    expired += result.expired.length;
  }
  return { violations, expired, maxTagsPerImage: maxTags };
}

/**
 * The images of one repository carrying every kind of a set, newest first, each with its rank
 * (0 = newest), computed once per set of kinds: the checks ask for them per image and kind.
 */
class Carriers {
  private readonly ranks = new Map<string, Map<LifecycleImage, number>>();
  public constructor(private readonly images: readonly LifecycleImage[]) {}

  /** The rank of `image` among the images carrying every kind of `kinds` (-1 when it does not carry them all). */
  public rankOf(kinds: readonly TagKind[], image: LifecycleImage): number {
    const key = kinds.map((k) => k.name).join("+");
    let ranks = this.ranks.get(key);
    if (!ranks) {
      const carrying = this.images.filter((i) => kinds.every((k) => i.tags.some((t) => matchesSelector(t, k.selector)))).sort((a, b) => b.pushedAt.getTime() - a.pushedAt.getTime());
      ranks = new Map(carrying.map((i, n) => [i, n]));
      this.ranks.set(key, ranks);
    }
    return ranks.get(image) ?? -1;
  }
}

/**
 * Kept images carrying several retained kinds (and no protected one) that the strict rule says are
 * due: the kinds deciding for the image (every non-secondary kind it carries; its secondary kinds
 * when it carries only those) would all expire it. Age kinds: older than the longest age (one day
 * of slack, as lifecycle runs daily). Count kinds: beyond the largest count among the images that
 * carry every one of them (a combination rule's own count). A count kind next to an age kind is
 * reported too: no ECR rule expires such an image, so it is kept forever. Images carrying more
 * kinds than `maxKindsPerImage` (kinds selecting every tag aside) are beyond the policy's bound and
 * left out. One line per combination of kinds.
 */
function overdueMultiKind(scheme: TagScheme, kept: readonly LifecycleImage[], keptKinds: ReadonlyMap<LifecycleImage, readonly TagKind[]>, carriers: Carriers, now: Date): string[] {
  const overdue = new Map<string, { count: number; why: string }>();
  for (const image of kept) {
    if (keptKinds.get(image)!.some((k) => k.protected)) continue;
    const deciding = scheme.decidingKindsOf(image.tags);
    if (deciding.length < 2) continue;
    if (deciding.filter((k) => !("pattern" in k.selector && /^\*+$/.test(k.selector.pattern))).length > scheme.maxKindsPerImage) continue;
    const ages = deciding.map((k) => (k.retention && "maxAgeDays" in k.retention ? k.retention.maxAgeDays : undefined));
    const counts = deciding.map((k) => (k.retention && "maxCount" in k.retention ? k.retention.maxCount : undefined));
    let why: string | undefined;
    if (ages.every((a) => a !== undefined)) {
      const longest = Math.max(...(ages as number[]));
      if (now.getTime() - image.pushedAt.getTime() > (longest + 1) * DAY) why = `older than ${longest} days`;
    } else if (counts.every((c) => c !== undefined)) {
      const largest = Math.max(...(counts as number[]));
      if (carriers.rankOf(deciding, image) >= largest) why = `beyond the newest ${largest} carrying all of them`;
    } else if (deciding.every((k) => expiresAlone(k, image, carriers, now))) {
      why = "that every kind would expire, kept forever (a count kind and an age kind: no ECR rule expires it)";
    }
    if (why === undefined) continue;
    const key = deciding.map((k) => k.name).join("+");
    overdue.set(key, { count: (overdue.get(key)?.count ?? 0) + 1, why });
  }
  return [...overdue].map(([kinds, { count, why }]) => `keeps ${count} images of kinds ${kinds} ${why}`);
}

/** The kinds of each tag, per scheme (the checks ask for the same tags every simulated day). */
const kindsOfTag = new WeakMap<TagScheme, Map<string, readonly TagKind[]>>();

function kindsOf(scheme: TagScheme, tags: readonly string[]): TagKind[] {
  let cache = kindsOfTag.get(scheme);
  if (!cache) kindsOfTag.set(scheme, (cache = new Map()));
  const kinds = new Set<TagKind>();
  for (const tag of tags) {
    let ofTag = cache.get(tag);
    if (!ofTag) cache.set(tag, (ofTag = scheme.kindsOf(tag)));
    ofTag.forEach((k) => kinds.add(k));
  }
  return [...kinds];
}

/** Would `kind` alone expire `image`? Age: pushed more than N days ago; count: beyond the newest N images carrying the kind. */
function expiresAlone(kind: TagKind, image: LifecycleImage, carriers: Carriers, now: Date): boolean {
  const r = kind.retention!;
  if ("maxAgeDays" in r) return now.getTime() - image.pushedAt.getTime() > r.maxAgeDays * DAY;
  return carriers.rankOf([kind], image) >= r.maxCount;
}
