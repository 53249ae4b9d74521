import fc from "fast-check";
import { parse } from "yaml";
import { BUILD_CACHE_FUNCTIONS, DEFAULT_DEPENDENCY_CACHES, dependencyCacheJob, dependencyCacheJobs, EXAMPLE_APP_DOCKERFILE, REGISTRY_CACHE_OPTIONS } from "../../lib/gitlab/build-cache";
import { type CiJob } from "../../lib/gitlab/ci-yaml";
import { imageReuseTemplate, type TemplateImage } from "../../lib/gitlab/image-reuse-template";
import { platformCiTemplates } from "../../lib/gitlab/platform-templates";
import { TagScheme } from "../../lib/registry/tag-scheme";
import { violationOf } from "../support/synth";

const scheme = new TagScheme("cfg/tagScheme");
type Job = CiJob & { cache?: Array<{ key: { files: string[]; prefix: string }; paths: string[]; when: string; policy: string }> };
const jobsOf = (content: string) => parse(content) as Record<string, Job>;

/** Expands `$VAR` / `${VAR}` as GitLab expands job variables (no shell operators). */
const expand = (value: string, vars: Readonly<Record<string, string>>): string => {
  let out = value;
  for (let i = 0; i < 5; i++) out = out.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => vars[name] ?? "");
  return out;
};

describe("dependency caches in the published templates", () => {
  test("every published template offers each dependency cache, keyed on its lock files with the trust level in the prefix, saved always", () => {
    for (const template of platformCiTemplates("cfg/templates", scheme)) {
      const jobs = jobsOf(template.content);
      for (const cache of DEFAULT_DEPENDENCY_CACHES) {
        const job = jobs[dependencyCacheJob(cache.name)]!;
        expect({ template: template.fileName, cache: job.cache }).toEqual({
          template: template.fileName,
          cache: [{ key: { files: [...cache.lockFiles], prefix: `$PLATFORM_TRUST-${cache.name}` }, paths: [...cache.paths], when: "always", policy: "pull-push" }],
        });
        expect(job.variables).toEqual(cache.variables);
      }
    }
  });

  test("the npm cache directory the variable names is the path the cache saves", () => {
    const npm = DEFAULT_DEPENDENCY_CACHES.find((c) => c.name === "npm")!;
    expect(npm.variables!.npm_config_cache!.replace("$CI_PROJECT_DIR/", "") + "/").toBe(npm.paths[0]);
  });

  test("bad caches are refused with the path, the value and the fix", () => {
    const cases: Array<[Parameters<typeof dependencyCacheJobs>[1], RegExp]> = [
      [[{ name: "NPM", lockFiles: ["package-lock.json"], paths: [".npm/"] }], /^cfg\/dependencyCaches\[0\]: invalid name "NPM"/],
      [[{ name: "npm", lockFiles: ["a.lock", "b.lock", "c.lock"], paths: [".npm/"] }], /invalid lockFiles .*GitLab keys a cache on one or two files/],
      [[{ name: "npm", lockFiles: [], paths: [".npm/"] }], /invalid lockFiles/],
      [[{ name: "npm", lockFiles: ["package-lock.json"], paths: ["/root/.npm"] }], /invalid paths "\/root\/.npm"\. Rule: lock files and cached paths are relative to the project directory/],
      [[{ name: "npm", lockFiles: ["../package-lock.json"], paths: [".npm/"] }], /invalid lockFiles "\.\.\/package-lock\.json"/],
      [[{ name: "npm", lockFiles: ["package-lock.json"], paths: [] }], /invalid paths/],
      [[{ name: "npm", lockFiles: ["package-lock.json"], paths: [".npm/"] }, { name: "npm", lockFiles: ["yarn.lock"], paths: [".yarn/"] }], /^cfg\/dependencyCaches\[1\]: invalid name "npm"\. Rule: dependency cache names are unique/],
    ];
    for (const [caches, message] of cases) expect(violationOf(() => dependencyCacheJobs("cfg", caches)).message).toMatch(message);
  });
});

describe("BuildKit builds with a registry cache", () => {
  test("the build jobs build with buildx and export the cache with the options ECR stores", () => {
    const jobs = jobsOf(platformCiTemplates("cfg/templates", scheme)[0]!.content);
    const functions = jobs[".platform-docker"]!.before_script!.join("\n");
    expect(functions).toContain(BUILD_CACHE_FUNCTIONS.trim());
    expect(functions).toContain('docker buildx build --builder "$(platform_buildx_builder)"');
    expect(functions).toContain("--cache-to \"type=registry,ref=$_cache,mode=max,image-manifest=true,oci-mediatypes=true\"");
    expect(functions).toContain("--export-cache \"type=registry,ref=$_cache,mode=max,image-manifest=true,oci-mediatypes=true\"");
    expect(functions).toContain("--driver docker-container");
    expect(REGISTRY_CACHE_OPTIONS).toBe("mode=max,image-manifest=true,oci-mediatypes=true");
    // Secrets go in as secret mounts, never as build arguments.
    expect(functions).toContain('--secret "id=$_secret,env=$_secret"');
    expect(functions).not.toMatch(/--build-arg "?\$_secret/);
  });

  test("a scheme without the build cache kind falls back to the inline cache of the protected moving tag", () => {
    const noCache = new TagScheme("cfg/noCache", { use: ["mergeRequest", "commit", "latest", "release", "inputs"] });
    const jobs = jobsOf(imageReuseTemplate("cfg/t", { tagScheme: noCache }).content);
    expect(jobs["build-app-image"]!.variables).toEqual(expect.objectContaining({ CACHE_IMAGE: "$PLATFORM_APP_IMAGE:latest", CACHE_EXPORT: "inline", CACHE_TRUSTED_REPOSITORY: "" }));
    // The builder image still uses the moving `latest`, never the build cache tag.
    expect(jobsOf(imageReuseTemplate("cfg/t", { tagScheme: scheme }).content)[".platform-docker"]!.image).toBe("$PLATFORM_TOOLBOX_URL:latest");
  });

  test("an image whose unprotected repository is its protected one is refused: unprotected builds would write the cache protected builds import", () => {
    const error = violationOf(() => imageReuseTemplate("cfg/t", { tagScheme: scheme, images: [{ name: "app", repository: "$MY_REPO", unprotectedRepository: "$MY_REPO" }] }));
    expect(error.message).toMatch(/^cfg\/t\/images\[0\]: invalid unprotectedRepository "\$MY_REPO"\. Rule: protected and unprotected pipelines need distinct repositories/);
  });

  test("property: every pipeline exports its build cache only to its own trust level's repository, and protected pipelines import only protected caches", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const images = fc.uniqueArray(fc.record({ name, custom: fc.boolean(), registry: fc.constantFrom("ecr" as const, "gitlab" as const) }), { minLength: 1, maxLength: 4, selector: (i) => i.name });
    fc.assert(
      fc.property(images, fc.constantFrom("ecr" as const, "gitlab" as const), (spec, registry) => {
        const list: TemplateImage[] = spec.map((s) => (s.custom ? { name: s.name, repository: `reg.example/${s.name}/p`, unprotectedRepository: `reg.example/${s.name}/u` } : { name: s.name }));
        const template = imageReuseTemplate("cfg/t", { tagScheme: scheme, registry, images: list });
        const protectedRepo = (i: TemplateImage) => i.repository ?? (registry === "ecr" ? `P-${i.name}` : `CI/${i.name}`);
        const unprotectedRepo = (i: TemplateImage) => i.unprotectedRepository ?? (registry === "ecr" ? `U-${i.name}` : `CI/unprotected/${i.name}`);
        // Project variables: each image's protected and unprotected repository under distinct names.
        const project: Record<string, string> = { CI_REGISTRY_IMAGE: "CI" };
        for (const i of list) {
          project[`PLATFORM_${i.name.toUpperCase()}_IMAGE`] = `P-${i.name}`;
          project[`PLATFORM_${i.name.toUpperCase()}_UNPROTECTED_IMAGE`] = `U-${i.name}`;
        }
        for (const rule of template.config.workflow!.rules) {
          const pipeline = { ...project, ...rule.variables };
          const trust = rule.variables!.PLATFORM_TRUST;
          for (const i of list) {
            const vars = template.config.jobs[`build-${i.name}-image`]!.variables!;
            const exported = expand(vars.CACHE_IMAGE!, pipeline);
            const importedToo = expand(vars.CACHE_TRUSTED_REPOSITORY!, pipeline);
            const own = trust === "protected" ? protectedRepo(i) : unprotectedRepo(i);
            if (exported !== `${own}:buildcache`) return false;
            if (trust === "protected" && importedToo !== "") return false;
            if (trust === "unprotected" && importedToo !== protectedRepo(i)) return false;
            // An unprotected pipeline never writes where a protected pipeline reads.
            if (trust === "unprotected" && exported.startsWith(`${protectedRepo(i)}:`)) return false;
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });
});

describe("the example application Dockerfile", () => {
  test("uses BuildKit cache mounts for the dependency install and a secret mount for the registry token, never a build argument", () => {
    const lines = EXAMPLE_APP_DOCKERFILE.split("\n");
    expect(lines[0]).toBe("# syntax=docker/dockerfile:1");
    expect(EXAMPLE_APP_DOCKERFILE).toMatch(/^RUN --mount=type=cache,target=\/root\/\.npm --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci/m);
    expect(EXAMPLE_APP_DOCKERFILE).not.toMatch(/^ARG .*TOKEN/m);
    expect(EXAMPLE_APP_DOCKERFILE).not.toMatch(/^ENV .*TOKEN/m);
  });
});
