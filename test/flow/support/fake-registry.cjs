#!/usr/bin/env node
// A fake container registry with ECR's rules, for the pipeline flow suite. Installed as the
// `docker` and `aws` commands of gitlab-ci-local's shell executor (see flow-harness.ts), it
// keeps its state in a JSON file ($FAKE_REGISTRY_STATE) and enforces:
// - tag immutability with exclusion filters ($FAKE_MUTABLE, comma-separated wildcards):
//   pushing an existing immutable tag onto another digest fails (ImageTagAlreadyExistsException);
// - at most 1,000 tags per image (ECR quota "Tags per image");
// - push times from the simulated clock ($FAKE_NOW, ISO 8601);
// - IAM: with $FAKE_IAM (a JSON table role ARN -> repository -> allowed ECR actions, decided by the
//   IAM evaluator over the synthesized policies, see flow-iam.ts) every pull, push and ECR call is
//   allowed only when the job's role ($AWS_ROLE_ARN) holds the action on that repository; without
//   it, a role whose ARN contains "unprotected" may push only repositories under "/unprotected/";
// - FROM / BASE_IMAGE references must exist in the registry;
// - with $FAKE_PULL_THROUGH, ECR's pull-through cache: a pull of an image under a pull-through prefix
//   that the registry does not hold imports it, and creates its repository on the first pull (unless
//   the account stack created it up front), only when the caller may (fake-pull-through.cjs);
// - BuildKit registry caches (`docker buildx build --cache-to type=registry,ref=…`, buildctl
//   `--export-cache type=registry,ref=…`) are pushed like images, under the same IAM and tag rules
//   (a cache export into a protected repository by an unprotected role is refused); a cache import
//   of a missing ref is not an error, as in BuildKit;
// - GitLab's protected container repositories ($FAKE_GITLAB_PROTECTED, comma-separated repository
//   path patterns with `*`): a push by a job whose user ($FAKE_GITLAB_ROLE, default developer) is
//   below Maintainer is denied, as GitLab checks the job token's user's role against the rules;
// - with $FAKE_ENVIRONMENTS (comma-separated environment names) and $FAKE_PROMOTION
//   (`target=source,...`), IAM across environments as the platform grants it: a role acts in its
//   own environment's repositories and parameters, and pulls from its promotion source's
//   repositories; `aws sts assume-role` to a tenant's deployment role only from the same tenant's
//   protected role of that environment; a tenant's SSM parameters only by its own deployment role.
//   The caller is $AWS_SESSION_TOKEN (set from `aws sts assume-role`, which hands the role ARN out
//   as the session token) or else $AWS_ROLE_ARN.
// - manifests are bytes and digests are content addresses, as in a registry: every image holds the exact
//   manifest bytes it was pushed with, and its digest is the sha256 of those bytes, computed here on every
//   push and put-image from what the call sent (never read from a field or copied), so a re-tag that sends
//   other bytes (a trailing newline) creates another image; batch-get-image prints the stored bytes the way
//   the AWS CLI's text output prints a string (followed by one newline); `docker buildx imagetools create`
//   copies a single image manifest unchanged only with --prefer-index=false, else it writes a new index
//   around it (docker buildx reference, "imagetools create"), and an index is always copied unchanged
//   ($FAKE_MANGLE_PUT=1 makes put-image store one byte more than it was sent);
// - with $FAKE_PINNED_JOBS (a regular expression of job names), a docker or aws call of such a job
//   fails when its environment holds a variable that would send a real CLI's call, credentials or
//   trust elsewhere (REDIRECTING_VARIABLES: endpoints, CA bundles, config and credential files,
//   botocore data, proxies, the docker daemon and config), or a HOME holding an AWS CLI or docker
//   configuration file: what a pipeline variable must not reach;
// Every build, push and tag operation is appended to state.events for the assertions.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const pullThrough = require("./fake-pull-through.cjs");

const MAX_TAGS_PER_IMAGE = 1000;
const OCI_IMAGE_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/**
 * Variables that redirect a real AWS CLI or docker CLI call (AWS CLI User Guide, "Configuring
 * environment variables for the AWS CLI", "Service-specific endpoints", "Using an HTTP proxy"; docker CLI
 * reference, "Environment variables"), listed here independently of the deploy template's own lists.
 */
const REDIRECTING_VARIABLES = [
  "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CA_BUNDLE", "AWS_DATA_PATH",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
  "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
  "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "SSL_CERT_FILE", "SSL_CERT_DIR", "LD_PRELOAD",
];

/** Refuses a call of a job named by $FAKE_PINNED_JOBS whose environment would redirect it (see REDIRECTING_VARIABLES). */
function refuseRedirects(env, tool) {
  if (!env.FAKE_PINNED_JOBS || !new RegExp(env.FAKE_PINNED_JOBS).test(env.CI_JOB_NAME || "")) return;
  const set = Object.keys(env).filter((k) => (env[k] ?? "") !== "" && (REDIRECTING_VARIABLES.includes(k) || k.startsWith("AWS_ENDPOINT_URL")));
  // Files a real AWS CLI and docker CLI read from $HOME (~/.aws/config: endpoint_url, ca_bundle,
  // credential_process; ~/.docker/config.json: credential helpers, contexts): a HOME a variable chose
  // would redirect the call as well as the variables do.
  const home = env.HOME || "";
  for (const file of [".aws/config", ".aws/credentials", ".docker/config.json", ".docker/contexts"]) {
    if (home !== "" && fs.existsSync(path.join(home, file))) set.push(`HOME (${path.join(home, file)})`);
  }
  if (set.length > 0) throw new RegistryError("Redirected", `${tool} in ${env.CI_JOB_NAME} ran with ${set.sort().join(", ")} set: a real CLI would send the call, its credentials or its trust elsewhere`);
}

/** The digest of manifest bytes: `sha256:<hex of the exact bytes>`. */
function digestOf(bytes) {
  return `sha256:${crypto.createHash("sha256").update(bytes).digest("hex")}`;
}

/** The manifest a build writes (an image manifest; with FAKE_IMAGE_INDEX=1 an index around it, as buildx writes with attestations). */
function buildManifest(env, config, layersOf) {
  const image = JSON.stringify({ schemaVersion: 2, mediaType: OCI_IMAGE_MANIFEST, config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config) }, layers: layersOf ? [{ digest: layersOf }] : [] });
  if (env.FAKE_IMAGE_INDEX !== "1") return image;
  return JSON.stringify({ schemaVersion: 2, mediaType: OCI_IMAGE_INDEX, manifests: [{ mediaType: OCI_IMAGE_MANIFEST, digest: digestOf(image), size: image.length, platform: { os: "linux", architecture: "amd64" } }] });
}

/** The media type of manifest bytes (their mediaType field). */
function mediaTypeOf(bytes) {
  try {
    return JSON.parse(bytes).mediaType;
  } catch {
    return undefined;
  }
}

/** An image's fields without its tags and push time (what a copy of it into a repository starts from). */
function contentOf(image) {
  const { tags: _tags, pushedAt: _pushedAt, ...rest } = image;
  return rest;
}

function emptyState() {
  return { repos: {}, local: {}, events: [], counter: 0 };
}

function load(file) {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : emptyState();
}

function save(file, state) {
  fs.writeFileSync(file, JSON.stringify(state));
}

/** Runs fn with an exclusive lock on the state file (jobs of one pipeline may run at once). */
function withState(file, fn) {
  const lock = `${file}.lock`;
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (i > 12000) throw new Error(`fake registry: cannot lock ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  try {
    const state = load(file);
    const result = fn(state);
    save(file, state);
    return result;
  } finally {
    fs.rmdirSync(lock);
  }
}

function wildcard(pattern) {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

class RegistryError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

/** `host/name:tag` -> { repo: name, tag }; `host/name@sha256:...` -> { repo: name, digest }. */
function parseRef(ref) {
  const slash = ref.indexOf("/");
  const at = ref.indexOf("@");
  if (slash > 0 && at > slash) return { repo: ref.slice(slash + 1, at), digest: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(":");
  if (slash < 0 || colon < slash) throw new RegistryError("InvalidReference", `${ref} is not <host>/<repository>:<tag>`);
  return { repo: ref.slice(slash + 1, colon), tag: ref.slice(colon + 1) };
}

/** The role a call acts as: an assumed role's session, else the web-identity role. */
function callerOf(env) {
  return env.AWS_SESSION_TOKEN || env.AWS_ROLE_ARN || "";
}

/** The environment a role, repository or parameter belongs to (with $FAKE_ENVIRONMENTS), or undefined. */
function environmentOf(env, kind, name) {
  const names = (env.FAKE_ENVIRONMENTS || "").split(",").filter(Boolean);
  if (kind === "role") return names.find((n) => (name.split("/").pop() || "").includes(`-${n}-`));
  if (kind === "repo") return names.find((n) => name.split("/")[1] === n);
  return names.find((n) => name.split("/")[2] === n);
}

/**
 * The tenant of a CI or deployment role `<project>-<environment>-<tenant>-<protected|unprotected|deployment>`
 * (with $FAKE_ENVIRONMENTS): each tenant has a deployment role of its own, assumed from its own protected
 * role, writing its own parameters `/<project>/<environment>/deploy/<tenant>/...` only.
 */
function tenantOf(env, role) {
  const name = role.split("/").pop() || "";
  const environment = environmentOf(env, "role", name);
  if (environment === undefined) return undefined;
  const rest = name.slice(name.indexOf(`-${environment}-`) + environment.length + 2);
  return rest.replace(/-(protected|unprotected|deployment)$/, "");
}

/** IAM across environments: `access` is "pull" (also the promotion source's repositories) or "push". */
function authorizeEnvironment(env, access, repo) {
  if (!env.FAKE_ENVIRONMENTS) return;
  const caller = callerOf(env);
  const mine = environmentOf(env, "role", caller);
  const theirs = environmentOf(env, "repo", repo);
  const source = Object.fromEntries((env.FAKE_PROMOTION || "").split(",").filter(Boolean).map((p) => p.split("=")))[mine];
  const allowed = mine !== undefined && (theirs === mine || (access === "pull" && theirs === source && caller.endsWith("-protected")));
  if (!allowed) throw new RegistryError("AccessDeniedException", `${caller} is not authorized to ${access} ${repo}`);
}

function findTag(state, repo, tag) {
  const images = state.repos[repo]?.images ?? {};
  for (const [digest, image] of Object.entries(images)) if (image.tags.includes(tag)) return { digest, image };
  return undefined;
}

const tables = {};
/** Throws AccessDeniedException unless the job's role may perform every action on `repo` (no table: no IAM). */
function authorize(env, repo, ...actions) {
  if (!env.FAKE_IAM) {
    const role = env.AWS_ROLE_ARN || "";
    if (actions.includes("ecr:PutImage") && role.includes("unprotected") && !repo.includes("/unprotected/")) {
      throw new RegistryError("AccessDeniedException", `${role} is not authorized to perform ecr:PutImage on repository ${repo}`);
    }
    return;
  }
  const table = (tables[env.FAKE_IAM] ??= JSON.parse(fs.readFileSync(env.FAKE_IAM, "utf8")));
  const role = env.AWS_ROLE_ARN || "(no credentials)";
  const allowed = table[role]?.[repo] ?? [];
  const denied = actions.find((a) => !allowed.includes(a));
  if (denied) throw new RegistryError("AccessDeniedException", `User: ${role} is not authorized to perform: ${denied} on resource: repository ${repo}`);
}

const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const PUSH = ["ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage"];

/** Puts `tag` on `digest` in `repo` under ECR's rules. `image` describes a new image. */
function putTag(state, env, repo, tag, digest, image) {
  const gitlabProtected = (env.FAKE_GITLAB_PROTECTED || "").split(",").filter(Boolean);
  if (gitlabProtected.some((p) => wildcard(p).test(repo)) && !["maintainer", "owner", "admin"].includes(env.FAKE_GITLAB_ROLE || "developer")) {
    throw new RegistryError("denied", `requested access to the resource is denied: ${repo} is a protected container repository and the pipeline's user is a ${env.FAKE_GITLAB_ROLE || "developer"}`);
  }
  const role = callerOf(env);
  authorizeEnvironment(env, "push", repo);
  if (role.includes("unprotected") && !repo.includes("/unprotected/")) {
    throw new RegistryError("AccessDeniedException", `${role} is not authorized to perform ecr:PutImage on repository ${repo}`);
  }
  const mutable = (env.FAKE_MUTABLE || "").split(",").filter(Boolean).some((p) => wildcard(p).test(tag));
  const repository = (state.repos[repo] ??= { images: {} });
  const existing = findTag(state, repo, tag);
  if (existing && existing.digest === digest) return "unchanged";
  if (existing && !mutable) {
    throw new RegistryError("ImageTagAlreadyExistsException", `The image tag '${tag}' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`);
  }
  const target = (repository.images[digest] ??= { tags: [], pushedAt: env.FAKE_NOW, ...image });
  if (target.tags.length >= MAX_TAGS_PER_IMAGE) {
    throw new RegistryError("LimitExceededException", `image ${digest} in ${repo} already has ${MAX_TAGS_PER_IMAGE} tags`);
  }
  if (existing) existing.image.tags = existing.image.tags.filter((t) => t !== tag);
  target.tags.push(tag);
  state.events.push({ at: env.FAKE_NOW, op: "tag", repo, tag, digest, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME, role });
  return "tagged";
}

/** The values of `--accepted-media-types` (the AWS CLI takes a list option's values up to the next option). */
function acceptedMediaTypes(args) {
  const at = args.indexOf("--accepted-media-types");
  if (at < 0) return [];
  const out = [];
  for (let i = at + 1; i < args.length && !args[i].startsWith("--"); i++) out.push(args[i]);
  return out;
}

function optionValues(args, name) {
  const out = [];
  args.forEach((a, i) => {
    if (a === name) out.push(args[i + 1]);
    else if (a.startsWith(`${name}=`)) out.push(a.slice(name.length + 1));
  });
  return out;
}

/** The `ref` of a `type=registry,ref=…[,…]` cache option (a bare image reference is taken as is). */
function cacheRef(value) {
  if (!value.startsWith("type=")) return value;
  const fields = Object.fromEntries(value.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
  return fields.type === "registry" ? fields.ref : undefined;
}

/** Pushes a BuildKit registry cache manifest to `ref` (`type=registry,ref=…,<options>`). */
function exportCache(state, env, value) {
  const ref = cacheRef(value);
  if (ref === undefined) return;
  const { repo, tag } = parseRef(ref);
  authorize(env, repo, ...PUSH);
  const digest = `sha256:${crypto.createHash("sha256").update(`cache\n${ref}\n${++state.counter}`).digest("hex")}`;
  putTag(state, env, repo, tag, digest, { kind: "cache", options: value });
  state.events.push({ at: env.FAKE_NOW, op: "cache-export", ref, digest, options: value, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME, role: env.AWS_ROLE_ARN || "" });
}

function requireImage(state, env, ref, why) {
  const { repo, tag, digest } = parseRef(ref);
  authorize(env, repo, ...PULL);
  // A pull under a pull-through prefix imports what the cache does not hold yet (with the caller's credentials).
  if (digest === undefined) pullThrough.importOnPull(state, env, repo, tag, { authorize, RegistryError });
  const byDigest = digest !== undefined && state.repos[repo]?.images[digest];
  const found = digest !== undefined ? (byDigest ? { digest, image: byDigest } : undefined) : findTag(state, repo, tag);
  if (!found) throw new RegistryError("ImageNotFoundException", `${why}: ${ref} does not exist`);
  return found;
}

/** The name of a local image: one docker daemon for every job (socket binding), or one per $FAKE_DAEMON (jobs on different runners). */
function localName(env, ref) {
  return env.FAKE_DAEMON ? `${env.FAKE_DAEMON} ${ref}` : ref;
}

function docker(state, env, args, stdin) {
  refuseRedirects(env, "docker");
  const [command, ...rest] = args;
  switch (command) {
    case "login":
      if (stdin.trim() === "") throw new RegistryError("LoginFailed", "no password on stdin");
      return "Login Succeeded\n";
    case "build": {
      const tag = optionValues(rest, "--tag")[0];
      const labels = Object.fromEntries(optionValues(rest, "--label").map((l) => l.split("=")));
      const buildArgs = Object.fromEntries(optionValues(rest, "--build-arg").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
      const context = rest[rest.length - 1];
      const dockerfile = optionValues(rest, "--file")[0] ?? path.join(context, "Dockerfile");
      const text = fs.readFileSync(path.resolve(env.PWD || process.cwd(), dockerfile), "utf8");
      const from = /^FROM\s+(\S+)/m.exec(text)?.[1];
      const labelOnly = /^LABEL\s+platform\.inputs=(\S+)\s+platform\.commit=(\S+)/m.exec(text);
      let base;
      // Images of this registry (a host with a dot) must exist; public images (alpine, amazon/aws-cli) come from elsewhere.
      if (from && from.includes("/") && from.split("/")[0].includes(".")) base = requireImage(state, env, from, "FROM");
      if (buildArgs.BASE_IMAGE) base = requireImage(state, env, buildArgs.BASE_IMAGE, "BASE_IMAGE");
      // The image config holds the build's time (here a counter), so two builds of the same inputs differ, as real builds do.
      const manifest = buildManifest(env, `${text}\n${JSON.stringify(labels)}\n${++state.counter}`, base?.digest);
      const digest = digestOf(manifest);
      const image = labelOnly
        ? { kind: "commit", inputs: labelOnly[1], commit: labelOnly[2], layersOf: base?.digest }
        : {
            kind: "content",
            inputs: labels["platform.inputs"],
            dockerfile,
            base: buildArgs.BASE_IMAGE,
            cacheFrom: optionValues(rest, "--cache-from").map(cacheRef).filter(Boolean),
            cacheTo: optionValues(rest, "--cache-to"),
            secrets: optionValues(rest, "--secret"),
          };
      // Whether the build re-resolved its FROM images in the registry (--pull) and by what it named them.
      Object.assign(image, { pull: rest.includes("--pull"), from });
      state.local[localName(env, tag)] = { manifest, ...image };
      state.events.push({ at: env.FAKE_NOW, op: labelOnly ? "commit-image" : "build", ref: tag, digest, ...image, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME });
      return `Successfully tagged ${tag}\n`;
    }
    case "push": {
      const ref = rest[0];
      const local = state.local[localName(env, ref)];
      if (!local) throw new RegistryError("NoSuchImage", `An image does not exist locally with the tag: ${ref}`);
      const { repo, tag } = parseRef(ref);
      const { digest: _stale, ...image } = local;
      // The registry names what it receives: the sha256 of the manifest bytes pushed.
      const digest = digestOf(image.manifest);
      authorize(env, repo, ...PUSH);
      putTag(state, env, repo, tag, digest, image);
      state.events.push({ at: env.FAKE_NOW, op: "push", ref, digest, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME, role: env.AWS_ROLE_ARN || "" });
      return `${tag}: digest: ${digest}\n`;
    }
    case "buildx": {
      // A docker-container builder: inspect fails until it is created, like docker buildx.
      if (rest[0] === "inspect") {
        if (!(state.builders ?? []).includes(rest[1])) throw new RegistryError("NoSuchBuilder", `no builder "${rest[1]}" found`);
        return `Name: ${rest[1]}\nDriver: docker-container\n`;
      }
      if (rest[0] === "create") {
        (state.builders ??= []).push(optionValues(rest, "--name")[0]);
        return "";
      }
      if (rest[0] === "build") {
        // buildx build --push = build + push; the registry cache is exported after the image.
        const builder = optionValues(rest, "--builder")[0];
        if (builder !== undefined && !(state.builders ?? []).includes(builder)) throw new RegistryError("NoSuchBuilder", `no builder "${builder}" found`);
        const args = rest.slice(1).filter((a) => a !== "--push");
        const out = docker(state, env, ["build", ...args], "");
        state.events[state.events.length - 1].buildx = true;
        if (!rest.includes("--push")) return out;
        const tag = optionValues(args, "--tag")[0];
        docker(state, env, ["push", tag], "");
        for (const c of optionValues(args, "--cache-to")) exportCache(state, env, c);
        return out;
      }
      if (rest[0] !== "imagetools") throw new RegistryError("Unsupported", `docker buildx ${rest[0]}`);
      if (rest[1] === "inspect") return `${requireImage(state, env, rest[2], "inspect").digest}\n`;
      if (rest[1] === "create") {
        const target = optionValues(rest, "--tag")[0];
        const sourceRef = rest[rest.length - 1];
        authorizeEnvironment(env, "pull", sourceRef.slice(sourceRef.indexOf("/") + 1).split(/[@:]/)[0]);
        const source = requireImage(state, env, sourceRef, "imagetools create");
        const { repo, tag } = parseRef(target);
        authorize(env, repo, "ecr:PutImage");
        const bytes = source.image.manifest;
        if (bytes === undefined) throw new RegistryError("Unsupported", `fake registry: ${sourceRef} has no manifest bytes`);
        // One source: an index is copied unchanged; a single manifest only with --prefer-index=false, else it is
        // wrapped in a new index (docker buildx reference, "imagetools create", --prefer-index defaults to true).
        const carbonCopy = mediaTypeOf(bytes) === OCI_IMAGE_INDEX || rest.includes("--prefer-index=false");
        const manifest = carbonCopy
          ? bytes
          : JSON.stringify({ schemaVersion: 2, mediaType: OCI_IMAGE_INDEX, manifests: [{ mediaType: mediaTypeOf(bytes), digest: source.digest, size: Buffer.byteLength(bytes) }] });
        putTag(state, env, repo, tag, digestOf(manifest), { ...contentOf(source.image), manifest });
        return "";
      }
      throw new RegistryError("Unsupported", `docker buildx imagetools ${rest[1]}`);
    }
    default:
      throw new RegistryError("Unsupported", `docker ${command}`);
  }
}

function aws(state, env, args) {
  refuseRedirects(env, "aws");
  const [service, command, ...rest] = args;
  if (service === "sts" || service === "ssm") return awsDeploy(state, env, service, command, rest);
  if (service !== "ecr") throw new RegistryError("Unsupported", `aws ${service}`);
  const repo = optionValues(rest, "--repository-name")[0];
  const tagOf = () => optionValues(rest, "--image-ids")[0].replace(/^imageTag=/, "");
  state.events.push({ at: env.FAKE_NOW, op: `aws ${command}`, role: env.AWS_ROLE_ARN || "", pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME });
  switch (command) {
    case "get-login-password":
      return "fake-ecr-token\n";
    case "describe-images": {
      authorize(env, repo, "ecr:DescribeImages");
      const found = findTag(state, repo, tagOf());
      if (!found) throw new RegistryError("ImageNotFoundException", `The image with imageId {imageTag:'${tagOf()}'} does not exist within the repository with name '${repo}'`);
      return `${found.digest}\n`;
    }
    case "batch-get-image": {
      authorize(env, repo, "ecr:BatchGetImage");
      // Like ECR: a missing tag is a failure entry, not an error; --output text prints None.
      authorizeEnvironment(env, "pull", repo);
      const id = optionValues(rest, "--image-ids")[0];
      const found = id.startsWith("imageDigest=")
        ? state.repos[repo]?.images?.[id.slice("imageDigest=".length)] && { digest: id.slice("imageDigest=".length), image: state.repos[repo].images[id.slice("imageDigest=".length)] }
        : findTag(state, repo, tagOf());
      const query = optionValues(rest, "--query")[0] ?? "";
      // Like ECR: an image whose manifest media type is not accepted is a failure entry (ImageFailure), not an image.
      // With FAKE_IMAGE_INDEX=1 every image is an OCI image index, as buildx pushes with provenance attestations;
      // BatchGetImage returns it only when --accepted-media-types (a space-separated list) names the index type.
      if (found && env.FAKE_IMAGE_INDEX === "1" && !acceptedMediaTypes(rest).includes(OCI_IMAGE_INDEX)) return "None\n";
      if (query.includes("imageDigest")) return `${found ? found.digest : "None"}\n`;
      if (!found) return "None\n";
      const bytes = found.image.manifest;
      if (bytes === undefined) throw new RegistryError("Unsupported", `fake registry: image ${found.digest} in ${repo} has no manifest bytes`);
      // The AWS CLI's text output prints a string query result followed by one newline (awscli/text.py).
      if (query === "images[0].imageManifestMediaType") return `${found.image.mediaType ?? mediaTypeOf(bytes) ?? "None"}\n`;
      if (query === "images[0].imageManifest") return `${bytes}\n`;
      throw new RegistryError("Unsupported", `fake aws ecr batch-get-image --query ${query}`);
    }
    case "put-image": {
      authorize(env, repo, "ecr:PutImage");
      const tag = optionValues(rest, "--image-tag")[0];
      const value = optionValues(rest, "--image-manifest")[0];
      // As the AWS CLI reads a parameter: file://<path> is the file's content, anything else the value itself.
      const read = value.startsWith("file://") ? fs.readFileSync(path.resolve(env.PWD || process.cwd(), value.slice("file://".length)), "utf8") : value;
      // FAKE_MANGLE_PUT=1: a registry (or proxy) that stores other bytes than it was sent, for the scripts' read-back check.
      const bytes = env.FAKE_MANGLE_PUT === "1" ? `${read}\n` : read;
      let parsed;
      try {
        parsed = JSON.parse(bytes);
      } catch {
        throw new RegistryError("InvalidParameterException", `the image manifest sent for ${repo}:${tag} is not JSON`);
      }
      const mediaType = optionValues(rest, "--image-manifest-media-type")[0] ?? parsed.mediaType;
      if (mediaType === undefined) throw new RegistryError("InvalidParameterException", "a manifest without a mediaType field needs --image-manifest-media-type");
      // The digest is the sha256 of the bytes received. Bytes that differ from a stored manifest (a trailing newline)
      // make another image, if what they reference is in the repository (here: the same JSON as a stored manifest).
      const digest = digestOf(bytes);
      const images = state.repos[repo]?.images ?? {};
      let image = images[digest];
      if (!image) {
        const same = Object.values(images).find((i) => i.manifest !== undefined && JSON.stringify(JSON.parse(i.manifest)) === JSON.stringify(parsed));
        if (!same) throw new RegistryError("LayersNotFoundException", `the manifest sent for ${repo}:${tag} references content that is not in the repository`);
        image = { ...contentOf(same), manifest: bytes, mediaType };
      }
      if (putTag(state, env, repo, tag, digest, image) === "unchanged") {
        throw new RegistryError("ImageAlreadyExistsException", `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${repo}'`);
      }
      return "{}\n";
    }
    default:
      throw new RegistryError("Unsupported", `aws ecr ${command}`);
  }
}

/** `aws sts assume-role` and `aws ssm get-parameter|put-parameter`, with the IAM of the deploy jobs. */
function awsDeploy(state, env, service, command, rest) {
  const caller = callerOf(env);
  state.events.push({ at: env.FAKE_NOW, op: `aws ${service} ${command}`, role: caller, pipeline: env.CI_PIPELINE_ID, run: env.FAKE_RUN, job: env.CI_JOB_NAME });
  if (service === "sts" && command === "assume-role") {
    const target = optionValues(rest, "--role-arn")[0];
    const mine = environmentOf(env, "role", caller);
    const sameTenant = !env.FAKE_ENVIRONMENTS || tenantOf(env, caller) === tenantOf(env, target);
    if (!caller.endsWith("-protected") || !target.endsWith("-deployment") || !sameTenant || (env.FAKE_ENVIRONMENTS && mine !== environmentOf(env, "role", `${target}-`))) {
      throw new RegistryError("AccessDenied", `${caller} is not authorized to perform sts:AssumeRole on ${target}`);
    }
    return `AKIAFAKE\tfake-secret\t${target}\n`;
  }
  const name = optionValues(rest, "--name")[0];
  const ownParameter = !env.FAKE_ENVIRONMENTS || (environmentOf(env, "role", `${caller}-`) === environmentOf(env, "parameter", name) && tenantOf(env, caller) === name.split("/")[4]);
  if (!caller.endsWith("-deployment") || !ownParameter) {
    throw new RegistryError("AccessDeniedException", `${caller} is not authorized to perform ssm:${command} on ${name}`);
  }
  state.parameters ??= {};
  if (command === "put-parameter") {
    state.parameters[name] = optionValues(rest, "--value")[0];
    state.events.push({ at: env.FAKE_NOW, op: "record", ref: name, digest: state.parameters[name], run: env.FAKE_RUN, job: env.CI_JOB_NAME, role: caller });
    return "{}\n";
  }
  if (command === "get-parameter") {
    if (state.parameters[name] === undefined) throw new RegistryError("ParameterNotFound", name);
    return `${state.parameters[name]}\n`;
  }
  throw new RegistryError("Unsupported", `aws ssm ${command}`);
}

/** `buildctl-daemonless.sh build …` (rootless BuildKit): the same build and push as docker build + push. */
function buildctl(state, env, args) {
  if (args[0] !== "build") throw new RegistryError("Unsupported", `buildctl ${args[0]}`);
  const locals = Object.fromEntries(optionValues(args, "--local").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const opts = optionValues(args, "--opt");
  const filename = opts.find((o) => o.startsWith("filename="))?.slice("filename=".length) ?? "Dockerfile";
  const output = Object.fromEntries(optionValues(args, "--output")[0].split(",").map((kv) => kv.split("=")));
  if (output.type !== "image" || output.push !== "true") throw new RegistryError("Unsupported", "only --output type=image,push=true");
  // Daemonless BuildKit has no local image store: it always resolves FROM images in the registry.
  const dockerArgs = ["build", "--pull", "--file", path.join(locals.dockerfile, filename), "--tag", output.name];
  for (const o of opts) {
    if (o.startsWith("label:")) dockerArgs.push("--label", o.slice("label:".length));
    if (o.startsWith("build-arg:")) dockerArgs.push("--build-arg", o.slice("build-arg:".length));
  }
  for (const c of optionValues(args, "--import-cache")) dockerArgs.push("--cache-from", c);
  for (const c of optionValues(args, "--export-cache")) dockerArgs.push("--cache-to", c);
  for (const c of optionValues(args, "--secret")) dockerArgs.push("--secret", c);
  dockerArgs.push(locals.context);
  docker(state, env, dockerArgs, "");
  state.events[state.events.length - 1].builder = "buildkit-rootless";
  const out = docker(state, env, ["push", output.name], "");
  for (const c of optionValues(args, "--export-cache")) exportCache(state, env, c);
  return out;
}

/** Deletes images (lifecycle expiry): `expired` maps repository name to digests. */
function expire(state, expired) {
  for (const [repo, digests] of Object.entries(expired)) for (const digest of digests) delete state.repos[repo].images[digest];
}

module.exports = { emptyState, load, save, withState, docker, aws, buildctl, putTag, expire, parseRef, findTag, authorize, RegistryError, MAX_TAGS_PER_IMAGE, digestOf };

if (require.main === module) {
  const [tool, ...args] = process.argv.slice(2);
  const stdin = tool === "docker" && args[0] === "login" ? fs.readFileSync(0, "utf8") : "";
  const file = process.env.FAKE_REGISTRY_STATE;
  fs.appendFileSync(`${file}.log`, `${[tool, ...args].join(" ")}\n`);
  try {
    const run = { docker: () => docker, aws: () => aws, buildctl: () => buildctl }[tool];
    if (!run) throw new Error(`unknown tool ${tool}`);
    const out = withState(file, (state) => run()(state, process.env, args, stdin));
    process.stdout.write(out);
  } catch (error) {
    process.stderr.write(`fake ${tool}: ${error.message}\n`);
    process.exit(error instanceof RegistryError ? (tool === "aws" ? 254 : 1) : 2);
  }
}
