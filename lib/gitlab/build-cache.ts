/**
 * Build speed for the generated templates: dependency caches in the runners' S3 cache and
 * BuildKit image builds with a registry cache next to each image.
 *
 * Dependency caches: hidden jobs `.platform-cache-<name>` with a `cache:` keyed on the lock
 * files' contents (`cache:key:files`, GitLab CI/CD YAML syntax reference) and saved even when
 * the job fails (`when: always`: the install step succeeded before the tests failed). The key's
 * prefix carries the pipeline's trust level, `$PLATFORM_TRUST` (the runner expands variables in
 * cache keys: `AbstractShell.cacheFile` in GitLab Runner's shells/abstract.go,
 * `build.GetAllVariables().ExpandValue(userKey)`). Three separations stack up: the platform's
 * runners keep each trust level's cache under its own S3 prefix (`cachePathOf`), GitLab adds
 * `-protected` / `-non_protected` to every key unless a project turns "Use separate caches for
 * protected branches" off, and the key's trust prefix holds even then.
 *
 * Image builds: `docker buildx build` (on a `docker-container` builder: the default `docker`
 * driver cannot export a registry cache) or rootless `buildctl-daemonless.sh`, importing and
 * exporting a registry cache `<repository>:<build cache tag>` with
 * `type=registry,mode=max,image-manifest=true,oci-mediatypes=true`, the form ECR stores (AWS
 * containers blog "Announcing remote cache support in Amazon ECR for BuildKit clients",
 * BuildKit 0.12+; Docker docs "Registry cache": image-manifest is the default from BuildKit
 * 0.21). The cache lives in the repository of the job's own trust level: unprotected builds
 * export only to unprotected repositories; protected builds import only protected caches;
 * unprotected builds may also import the protected cache (read only), as they may start from
 * protected content images. Build secrets go in as BuildKit secret mounts (`--secret
 * id=<VAR>,env=<VAR>`, read in the Dockerfile with `RUN --mount=type=secret,id=<VAR>`), never as
 * build arguments, which end up in the image's history (docker buildx build reference,
 * `--secret`; buildctl's `--secret` parser, moby/buildkit cmd/buildctl/build/secret.go, takes `env=`).
 */

import { check } from "../core/errors";
import { type TagScheme, type TagKind } from "../registry/tag-scheme";
import { type CiCache, type CiJob } from "./ci-yaml";
import { PLATFORM_VARIABLES } from "./platform-variables";

/** The built-in tag kind of BuildKit registry caches (one moving tag per repository). */
export const BUILD_CACHE_KIND = "buildCache";

/** The job variable listing the CI variables passed to builds as BuildKit secrets (names separated by spaces). */
export const BUILD_SECRETS_VARIABLE = "PLATFORM_BUILD_SECRETS";

/** The job variable naming the BuildKit image of the `docker-container` builder on docker runners. */
export const BUILDKIT_IMAGE_VARIABLE = "PLATFORM_BUILDKIT_IMAGE";

/** Cache export options ECR accepts: an OCI image manifest, not BuildKit's own index (AWS containers blog, see above). */
export const REGISTRY_CACHE_OPTIONS = "mode=max,image-manifest=true,oci-mediatypes=true";

/** A dependency cache of the templates: what a package manager downloads, keyed on its lock files. */
export interface DependencyCache {
  /** Names the hidden job `.platform-cache-<name>`: lower-case letters, digits and '-'. */
  readonly name: string;
  /** Lock files whose contents key the cache (one or two: `cache:key:files` takes at most two). Relative to the project directory. */
  readonly lockFiles: readonly string[];
  /** Directories cached, relative to the project directory (the runner caches nothing outside it). */
  readonly paths: readonly string[];
  /**
   * Job variables that point the package manager at `paths`.
   * @default none
   */
  readonly variables?: Readonly<Record<string, string>>;
}

/**
 * The dependency caches every template offers, for the package managers' documented cache
 * locations: npm `npm_config_cache` (npm docs, "config: cache"), pip `PIP_CACHE_DIR` (pip
 * docs, "Caching"), Maven's local repository `-Dmaven.repo.local`, Go's `GOMODCACHE` (go
 * help environment). Jobs `extends:` the hidden job, e.g. `.platform-cache-npm`.
 */
export const DEFAULT_DEPENDENCY_CACHES: readonly DependencyCache[] = [
  { name: "npm", lockFiles: ["package-lock.json"], paths: [".npm/"], variables: { npm_config_cache: "$CI_PROJECT_DIR/.npm" } },
  { name: "pip", lockFiles: ["requirements.txt"], paths: [".cache/pip/"], variables: { PIP_CACHE_DIR: "$CI_PROJECT_DIR/.cache/pip" } },
  { name: "maven", lockFiles: ["pom.xml"], paths: [".m2/repository/"], variables: { MAVEN_OPTS: "-Dmaven.repo.local=$CI_PROJECT_DIR/.m2/repository" } },
  { name: "go", lockFiles: ["go.sum"], paths: [".go/pkg/mod/"], variables: { GOMODCACHE: "$CI_PROJECT_DIR/.go/pkg/mod" } },
];

const CACHE_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The hidden job of a dependency cache. */
export const dependencyCacheJob = (name: string) => `.platform-cache-${name}`;

/** A relative path inside the project directory: no leading '/', no '..' segment, no variables. */
function insideProject(p: string): boolean {
  return typeof p === "string" && p.length > 0 && !p.startsWith("/") && !p.includes("$") && !p.split("/").includes("..");
}

/**
 * The hidden jobs of the dependency caches: `cache:` keyed on the lock files, prefixed by the
 * trust level and the cache's name, saved `always`.
 * @throws ValidationError naming `path` for a bad name, duplicate names, no or more than two lock
 *   files, or a path outside the project directory
 */
export function dependencyCacheJobs(path: string, caches: readonly DependencyCache[]): Record<string, CiJob> {
  const jobs: Record<string, CiJob> = {};
  caches.forEach((cache, i) => {
    const where = `${path}/dependencyCaches[${i}]`;
    check(typeof cache.name === "string" && CACHE_NAME.test(cache.name), {
      path: where,
      subject: "name",
      value: cache.name,
      rule: "a dependency cache name is 1-31 lower-case letters, digits and '-', starting with a letter (it names the hidden job .platform-cache-<name>)",
      fix: "use e.g. npm, pip or maven",
    });
    check(jobs[dependencyCacheJob(cache.name)] === undefined, { path: where, subject: "name", value: cache.name, rule: "dependency cache names are unique", fix: "rename one of the caches" });
    check(Array.isArray(cache.lockFiles) && cache.lockFiles.length >= 1 && cache.lockFiles.length <= 2, {
      path: where,
      subject: "lockFiles",
      value: cache.lockFiles,
      rule: "GitLab keys a cache on one or two files (cache:key:files)",
      fix: "name the package manager's lock file, e.g. package-lock.json",
    });
    check(Array.isArray(cache.paths) && cache.paths.length > 0, { path: where, subject: "paths", value: cache.paths, rule: "a cache caches at least one path", fix: "name the package manager's cache directory" });
    for (const file of [...cache.lockFiles, ...cache.paths]) {
      check(insideProject(file), {
        path: where,
        subject: cache.lockFiles.includes(file) ? "lockFiles" : "paths",
        value: file,
        rule: "lock files and cached paths are relative to the project directory, without '..' or variables (the runner caches nothing outside it)",
        fix: `write the path relative to the repository root, e.g. ".npm/"`,
      });
    }
    for (const key of Object.keys(cache.variables ?? {})) {
      check(VARIABLE_NAME.test(key), { path: where, subject: "variables", value: key, rule: "a CI variable name is letters, digits and '_', not starting with a digit", fix: "rename the variable" });
    }
    const entry: CiCache = {
      key: { files: [...cache.lockFiles], prefix: `$${PLATFORM_VARIABLES.trust}-${cache.name}` },
      paths: [...cache.paths],
      when: "always",
      policy: "pull-push",
    };
    jobs[dependencyCacheJob(cache.name)] = { ...(cache.variables ? { variables: { ...cache.variables } } : {}), cache: [entry] };
  });
  return jobs;
}

/** The build cache kind of a scheme, when it uses one with a literal tag. */
export function buildCacheKind(scheme: TagScheme): TagKind | undefined {
  const kind = scheme.kinds.find((k) => k.name === BUILD_CACHE_KIND);
  return kind?.ciTag !== undefined && !kind.ciTag.includes("$") ? kind : undefined;
}

/** The repositories of one image, per trust level, as CI expressions. */
export interface ImageRepositories {
  /** Where protected pipelines push. */
  readonly protected: string;
  /** Where unprotected pipelines push. */
  readonly unprotected: string;
}

/**
 * The build job's cache variables: `CACHE_IMAGE` is this pipeline's own repository (the
 * workflow rules set the pipeline repository variable per trust level) with the cache tag, where
 * the build exports and from which it imports; `CACHE_TRUSTED_REPOSITORY` names the protected
 * repository whose cache (`:<CACHE_TAG>`) an unprotected pipeline may also import (the trusted
 * repository variable is empty in protected pipelines, so nothing more is imported there);
 * `CACHE_EXPORT` is `registry`, or `inline` when the scheme has no build cache kind (the layer
 * cache then rides in the protected image's moving tag, `inlineCacheImage`, imported only).
 *
 * @throws ValidationError naming `path` when the two trust levels share a repository (an
 *   unprotected build would write the cache, and the images, that protected builds import)
 */
export function buildCacheVariables(
  path: string,
  scheme: TagScheme,
  repositories: ImageRepositories,
  pipelineRepository: string,
  trustedRepository: string,
  inlineCacheImage: string,
): Record<string, string> {
  check(repositories.protected !== repositories.unprotected, {
    path,
    subject: "unprotectedRepository",
    value: repositories.unprotected,
    rule: "protected and unprotected pipelines need distinct repositories: an unprotected build must never write the image or the build cache a protected build imports",
    fix: "give the image an unprotectedRepository of its own (e.g. the tenant's unprotected repository)",
  });
  const kind = buildCacheKind(scheme);
  if (!kind) return { CACHE_IMAGE: inlineCacheImage, CACHE_TRUSTED_REPOSITORY: "", CACHE_TAG: "", CACHE_EXPORT: "inline" };
  return { CACHE_IMAGE: `${pipelineRepository}:${kind.ciTag}`, CACHE_TRUSTED_REPOSITORY: trustedRepository, CACHE_TAG: kind.ciTag!, CACHE_EXPORT: "registry" };
}

const BUILD_LINES = [
  "# Image builds with BuildKit, generated by gitlab-ci-platform.",
  "platform_buildx_builder() {",
  "  # A docker-container builder (the docker driver cannot export a registry cache), created once per daemon and",
  "  # project: its cache mounts stay with the project's own builds.",
  '  _builder="platform-buildkit-${CI_PROJECT_ID:-local}"',
  '  if ! docker buildx inspect "$_builder" > /dev/null 2>&1; then',
  '    set -- --name "$_builder" --driver docker-container',
  `    if [ -n "\${${BUILDKIT_IMAGE_VARIABLE}:-}" ]; then set -- "$@" --driver-opt "image=$${BUILDKIT_IMAGE_VARIABLE}"; fi`,
  "    # A job of the same project on the same host may have created it meanwhile.",
  '    docker buildx create "$@" > /dev/null || docker buildx inspect "$_builder" > /dev/null',
  "  fi",
  "  printf '%s' \"$_builder\"",
  "}",
  "platform_build() {",
  '  # $1 Dockerfile, $2 context, $3 image to push, $4 cache image of this trust level, $5 base image ("" for none), $6 inputs hash.',
  "  # Reads CACHE_EXPORT (registry or inline), CACHE_TRUSTED_REPOSITORY and CACHE_TAG (the protected cache, unprotected pipelines only)",
  `  # and ${BUILD_SECRETS_VARIABLE} (CI variables passed as BuildKit secrets, never as build arguments).`,
  "  _df=$1 _ctx=$2 _ref=$3 _cache=$4 _from=$5 _hash=$6",
  '  _trusted=${CACHE_TRUSTED_REPOSITORY:+$CACHE_TRUSTED_REPOSITORY:${CACHE_TAG:-}}',
  "  platform_builder",
  "  set --",
  `  for _secret in \${${BUILD_SECRETS_VARIABLE}:-}; do set -- "$@" --secret "id=$_secret,env=$_secret"; done`,
  '  if [ "${PLATFORM_IMAGE_BUILDER:-docker}" = buildkit-rootless ]; then',
  '    if [ -n "$_from" ]; then set -- "$@" --opt "build-arg:BASE_IMAGE=$_from"; fi',
  '    if [ -n "$_trusted" ]; then set -- "$@" --import-cache "type=registry,ref=$_trusted"; fi',
  '    if [ "${CACHE_EXPORT:-inline}" = registry ]; then',
  `      set -- "$@" --export-cache "type=registry,ref=$_cache,${REGISTRY_CACHE_OPTIONS}"`,
  "    else",
  '      set -- "$@" --export-cache type=inline',
  "    fi",
  '    buildctl-daemonless.sh build --frontend dockerfile.v0 --local "context=$_ctx" --local "dockerfile=$(dirname "$_df")" --opt "filename=$(basename "$_df")" "$@" \\',
  '      --opt "label:platform.inputs=$_hash" --import-cache "type=registry,ref=$_cache" --output "type=image,name=$_ref,push=true"',
  "  else",
  '    if [ -n "$_from" ]; then set -- "$@" --build-arg "BASE_IMAGE=$_from"; fi',
  '    if [ -n "$_trusted" ]; then set -- "$@" --cache-from "type=registry,ref=$_trusted"; fi',
  '    if [ "${CACHE_EXPORT:-inline}" = registry ]; then',
  `      set -- "$@" --cache-to "type=registry,ref=$_cache,${REGISTRY_CACHE_OPTIONS}"`,
  "    else",
  '      set -- "$@" --cache-to type=inline',
  "    fi",
  '    docker buildx build --builder "$(platform_buildx_builder)" --pull --file "$_df" --cache-from "type=registry,ref=$_cache" "$@" \\',
  '      --label "platform.inputs=$_hash" --tag "$_ref" --push "$_ctx"',
  "  fi",
  "}",
];

/**
 * The build function of the templates' build jobs (POSIX sh, shellcheck-clean), defined after
 * the image flow functions so that `platform_image` builds through it.
 */
export const BUILD_CACHE_FUNCTIONS: string = BUILD_LINES.join("\n") + "\n";

/**
 * The worked example's application Dockerfile (Node.js): the dependency install keeps npm's
 * download cache in a BuildKit cache mount (`RUN --mount=type=cache`, kept by the builder between
 * builds and exported with `mode=max`), and reads the private registry token from a secret mount
 * (`RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN`, Dockerfile reference "RUN
 * --mount=type=secret", `env` option) that the build job passes with `--secret` when the project
 * lists `NPM_TOKEN` in `PLATFORM_BUILD_SECRETS`: the token is in no layer, no build argument and
 * no image history.
 */
export const EXAMPLE_APP_DOCKERFILE = [
  "# syntax=docker/dockerfile:1",
  "FROM node:22-alpine",
  "WORKDIR /app",
  "COPY package.json package-lock.json ./",
  "# npm's download cache stays in the builder (and in the registry cache), not in the image.",
  "RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci --omit=dev",
  "COPY src ./src",
  'CMD ["node", "src/index.js"]',
  "",
].join("\n");
