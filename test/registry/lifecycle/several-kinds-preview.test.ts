import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { lifecyclePolicyFromTagScheme, renderLifecyclePolicy } from "../../../lib/registry/lifecycle";
import { TagScheme } from "../../../lib/registry/tag-scheme";

// `npm run lifecycle:preview` (the real command) on the policy generated from the default tag
// scheme: an image tagged {pipeline-1001, sha-<40 hex>} pushed 10 days ago is kept (it may be
// expired only when both kinds would, and the commit kind keeps the newest 100); an older policy
// expired it by its 7-day pipeline rule, claimed first.
test("lifecycle:preview keeps {pipeline-1001, sha-<40 hex>} pushed 10 days ago under the generated policy", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "preview-"));
  try {
    const now = new Date("2026-06-15T12:00:00Z");
    const policy = path.join(dir, "policy.json");
    const images = path.join(dir, "images.json");
    writeFileSync(policy, renderLifecyclePolicy(lifecyclePolicyFromTagScheme(new TagScheme("t"))));
    const sha = "0123456789abcdef0123456789abcdef01234567";
    writeFileSync(images, JSON.stringify([{ digest: `sha256:${"a".repeat(64)}`, tags: ["pipeline-1001", `sha-${sha}`], pushedAt: new Date(now.getTime() - 10 * 86_400_000).toISOString() }]));
    const run = spawnSync("npm", ["run", "--silent", "lifecycle:preview", "--", policy, images, "--now", now.toISOString(), "--json"], {
      cwd: path.resolve(__dirname, "../../.."),
      encoding: "utf8",
      timeout: 60_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
    const result = JSON.parse(run.stdout) as { summary: { expired: number; kept: number }; kept: Array<{ reason: string }> };
    expect(result.summary).toEqual(expect.objectContaining({ images: 1, expired: 0, kept: 1 }));
    expect(result.kept[0]!.reason).toMatch(/^kept: selected first by rule \d+ \(/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
