import { check } from "../core/errors";

/**
 * Build-time variables that buildpacks read to download from somewhere other than their
 * default S3 hosts: pointed at the mirror's raw proxies, buildpack builds fetch through the
 * mirror. Only names a supported buildpack reads are accepted: a variable no buildpack reads
 * changes nothing and hides that the downloads still go to the internet.
 *
 * Auto DevOps builds projects without a Dockerfile with Cloud Native Buildpacks by default
 * (auto-build-image v1.0.0, GitLab 14.0; Herokuish only with `AUTO_BUILD_IMAGE_CNB_ENABLED:
 * "false"`), with the builder `heroku/builder:22` (auto-build-image MR 176), and passes every
 * variable named in `AUTO_DEVOPS_BUILD_IMAGE_FORWARDED_CI_VARIABLES` to `pack build --env`
 * (auto-build-image src/build.sh). In that builder Heroku's Gradle, Scala and Clojure buildpacks
 * are the classic buildpacks run through cnb-shim (heroku/buildpacks-jvm README, "External
 * Buildpacks"); Heroku's Java (Maven) buildpack is a native one that reads neither variable.
 */

/** A variable a supported buildpack reads, with where it is read. */
export interface BuildpackVariableSpec {
  /** What the value is. */
  readonly value: string;
  /** Where upstream the buildpack reads it (repository and file). */
  readonly readBy: readonly string[];
  /** The default the buildpack uses when the variable is unset, i.e. what the mirror's raw proxy must serve. */
  readonly upstreamDefault: string;
  /** The raw proxy path that matches the default, relative to the proxy of `upstreamDefault`'s host. */
  readonly path: string;
}

/**
 * The build-time variables of supported buildpacks, by name:
 * - `JVM_COMMON_BUILDPACK`: the tarball of Heroku's JVM common buildpack that the classic Java and
 *   Gradle buildpacks download to install OpenJDK (`${JVM_COMMON_BUILDPACK:-https://buildpack-registry.s3.us-east-1.amazonaws.com/buildpacks/heroku/jvm.tgz}`
 *   in heroku/heroku-buildpack-java lib/openjdk.sh and heroku/heroku-buildpack-gradle lib/openjdk.sh).
 * - `JVM_BUILDPACK_ASSETS_BASE_URL`: the base URL of OpenJDK downloads in Heroku's JVM common
 *   buildpack v110 to v158 (`${JVM_BUILDPACK_ASSETS_BASE_URL:-"https://lang-jvm.s3.amazonaws.com"}`
 *   in heroku/heroku-buildpack-jvm-common lib/jvm.sh); v159 (2025-02-17) removed it and downloads
 *   the versions of its inventory file (CHANGELOG "Removed"), so it only helps a project that pins
 *   an older JVM common buildpack through `JVM_COMMON_BUILDPACK`.
 */
export const BUILDPACK_VARIABLES: Readonly<Record<string, BuildpackVariableSpec>> = {
  JVM_COMMON_BUILDPACK: {
    value: "URL of the heroku/jvm buildpack tarball",
    readBy: ["heroku/heroku-buildpack-java lib/openjdk.sh", "heroku/heroku-buildpack-gradle lib/openjdk.sh"],
    upstreamDefault: "https://buildpack-registry.s3.us-east-1.amazonaws.com/buildpacks/heroku/jvm.tgz",
    path: "buildpacks/heroku/jvm.tgz",
  },
  JVM_BUILDPACK_ASSETS_BASE_URL: {
    value: "base URL of OpenJDK downloads (JVM common buildpack v110 to v158)",
    readBy: ["heroku/heroku-buildpack-jvm-common lib/jvm.sh (v110 to v158)"],
    upstreamDefault: "https://lang-jvm.s3.amazonaws.com",
    path: "",
  },
};

/**
 * Checks that a configured buildpack variable name is one a supported buildpack reads.
 * @throws ValidationError naming `path`, the name, the supported names and, for a near miss, the right one
 */
export function validateBuildpackVariableName(path: string, name: string): void {
  const known = Object.keys(BUILDPACK_VARIABLES);
  const near = known.find((k) => k.replace(/_/g, "").toLowerCase() === String(name).replace(/[_-]/g, "").toLowerCase());
  check(typeof name === "string" && Object.hasOwn(BUILDPACK_VARIABLES, name), {
    path,
    subject: "buildpack variable",
    value: name,
    rule: `no supported buildpack reads this name, so the build would still download from the internet; supported names: ${known.join(", ")}`,
    fix: near ? `did you mean ${near}?` : "use one of the supported names, or put a variable of your own into rawProxyVariables",
  });
}
