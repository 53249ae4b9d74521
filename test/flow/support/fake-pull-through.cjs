// The ECR pull-through cache of the fake registry (fake-registry.cjs), for the pipeline flow suite.
//
// With $FAKE_PULL_THROUGH (a JSON list of rules `{ prefix, upstreamRegistryUrl, resourceTags, repositories }`,
// read from the synthesized aws_ecr_pull_through_cache_rule and aws_ecr_repository_creation_template
// resources, and `repositories` from the account stack's aws_ecr_repository resources under the
// prefix, the cache repositories created up front; see pull-through.ts), a pull by tag of `<prefix>/<upstream path>:<tag>` that the
// registry does not hold yet imports the upstream image `<upstreamRegistryUrl>/<upstream path>:<tag>`
// with the caller's credentials, as ECR does (Amazon ECR User Guide, "IAM permissions required to
// sync an upstream registry with an Amazon ECR private registry", pull-through-cache-iam.html):
// - `ecr:BatchImportUpstreamImage` "to retrieve the external image and import it to your private
//   registry", on the cache repository;
// - `ecr:CreateRepository` as well when the cache repository does not exist yet ("required if the
//   repository storing the cached images doesn't already exist"): the first pull creates it. A
//   repository of the rule's `repositories` exists from the start (the account stack created it);
// - `ecr:TagResource` as well when that creation applies resource tags from the repository
//   creation template ("If tags are specified in the resource-creating action, AWS performs
//   additional authorization on the ecr:CreateRepository action to verify if users have permissions
//   to create tags", Amazon ECR User Guide, "Using Tag-Based Access Control"; the Service
//   Authorization Reference lists ecr:BatchImportUpstreamImage, ecr:CreateRepository and
//   ecr:TagResource as the actions the BatchGetImage operation may also authorize).
// A pull of an image the cache holds needs the pull actions only (checked by the caller before).
// $FAKE_UPSTREAM (comma-separated `<registry>/<path>:<tag>`) lists the upstream images that exist;
// without it every upstream image exists. Each creation and import is appended to state.events
// (ops `pull-through-create` and `pull-through-import`, with the caller's role).
"use strict";
const crypto = require("node:crypto");

/** The pull-through cache rules of $FAKE_PULL_THROUGH (none without it). */
function rulesOf(env) {
  return env.FAKE_PULL_THROUGH ? JSON.parse(env.FAKE_PULL_THROUGH) : [];
}

/** The rule whose prefix `repo` is under (ECR appends a `/` to every prefix; the longest prefix wins), or undefined. */
function ruleOf(env, repo) {
  return rulesOf(env)
    .filter((rule) => repo.startsWith(`${rule.prefix}/`))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

/** Whether the account stack created the cache repository `repo` up front (a synthesized aws_ecr_repository of `rule`). */
function createdUpFront(rule, repo) {
  return (rule.repositories ?? []).includes(repo);
}

/** The ECR actions a pull of `repo:tag` through `rule` needs besides the pull actions, in the registry's state now. */
function importActions(state, rule, repo) {
  if (state.repos[repo] !== undefined || createdUpFront(rule, repo)) return ["ecr:BatchImportUpstreamImage"];
  return ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository", ...(rule.resourceTags ? ["ecr:TagResource"] : [])];
}

/**
 * Before a pull by tag of `repo:tag`: imports the upstream image when `repo` is under a pull-through
 * prefix and does not hold `tag` yet, creating the cache repository on the first pull. Throws what
 * `authorize` throws (AccessDeniedException naming the first action the caller lacks), or
 * ImageNotFoundException for an upstream image $FAKE_UPSTREAM does not list.
 * @returns "imported", "cached", or undefined for a repository under no pull-through prefix
 */
function importOnPull(state, env, repo, tag, deps) {
  const rule = ruleOf(env, repo);
  if (rule === undefined || tag === undefined) return undefined;
  const images = state.repos[repo]?.images ?? {};
  if (Object.values(images).some((image) => image.tags.includes(tag))) return "cached";
  deps.authorize(env, repo, ...importActions(state, rule, repo));
  const upstream = `${rule.upstreamRegistryUrl}/${repo.slice(rule.prefix.length + 1)}:${tag}`;
  const catalog = env.FAKE_UPSTREAM === undefined ? undefined : env.FAKE_UPSTREAM.split(",").filter(Boolean);
  if (catalog !== undefined && !catalog.includes(upstream)) {
    throw new deps.RegistryError("ImageNotFoundException", `the upstream image ${upstream} of ${repo}:${tag} does not exist`);
  }
  const role = env.AWS_ROLE_ARN || "";
  const at = { at: env.FAKE_NOW, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME, role };
  if (state.repos[repo] === undefined && createdUpFront(rule, repo)) {
    // Created by the account stack before any pull: nobody's pull creates it.
    state.repos[repo] = { images: {}, pullThrough: { upstreamRegistryUrl: rule.upstreamRegistryUrl, createdUpFront: true } };
  } else if (state.repos[repo] === undefined) {
    state.repos[repo] = { images: {}, pullThrough: { upstreamRegistryUrl: rule.upstreamRegistryUrl, createdBy: role, createdAt: env.FAKE_NOW } };
    state.events.push({ ...at, op: "pull-through-create", repo });
  }
  // The upstream image's manifest: the same bytes (and digest) for every pull of one upstream reference.
  const config = `sha256:${crypto.createHash("sha256").update(upstream).digest("hex")}`;
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config }, layers: [] });
  const digest = `sha256:${crypto.createHash("sha256").update(manifest).digest("hex")}`;
  const image = (state.repos[repo].images[digest] ??= { tags: [], pushedAt: env.FAKE_NOW, kind: "upstream", upstream, manifest });
  image.tags.push(tag);
  state.events.push({ ...at, op: "pull-through-import", repo, tag, digest, ref: upstream });
  return "imported";
}

module.exports = { importOnPull, importActions, ruleOf, createdUpFront };
