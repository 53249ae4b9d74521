import { check } from "../core/errors";
import { isUnresolved } from "../core/tokens";
import { type RunnerHostArchitecture } from "./user-data";

/**
 * EC2 instance families with AWS Graviton (arm64) processors. Source: the
 * EC2 instance type naming conventions ("g" after the generation number means
 * AWS Graviton; Amazon EC2 Instance Types guide, "Instance type naming
 * conventions") and the families AWS lists in aws/aws-graviton-getting-started
 * (C6g[d][n], M6g[d], R6g[d], T4g, X2gd, I4g, Im4gn, Is4gen, G5g, C7g[d][n],
 * M7g[d], R7g[d], the 8th generation C8g, M8g, R8g, X8g, I8g) and the first
 * Graviton family, A1. Families not listed follow the naming convention.
 */
export const GRAVITON_FAMILIES: readonly string[] = [
  "a1",
  "c6g", "c6gd", "c6gn", "c7g", "c7gd", "c7gn", "c8g", "c8gd", "c8gn",
  "g5g",
  "hpc7g",
  "i4g", "i8g", "i8ge", "im4gn", "is4gen",
  "m6g", "m6gd", "m7g", "m7gd", "m8g", "m8gd",
  "r6g", "r6gd", "r7g", "r7gd", "r8g", "r8gd",
  "t4g",
  "x2gd", "x8g",
];

/** The naming convention: family letters, generation number, then `g` (Graviton) before other capability letters. */
const GRAVITON_NAME = /^[a-z]+\d+g[a-z]*(-flex)?$/;

/** The CPU architecture of an instance type such as `c7g.large` (arm64) or `m7i.xlarge` (x86_64). */
export function architectureOfInstanceType(instanceType: string): RunnerHostArchitecture {
  const family = instanceType.split(".")[0]!.toLowerCase();
  return GRAVITON_FAMILIES.includes(family) || GRAVITON_NAME.test(family) ? "arm64" : "x86_64";
}

/**
 * The architecture of a fleet (or of one Auto Scaling group): derived from its
 * instance types, which must all share one architecture (an AMI and a runner
 * package serve one); an explicit `architecture` must agree with them.
 * @param subject the name of the instance types in error messages (`instanceTypes`, `workerInstanceTypes`)
 * @throws ValidationError for mixed architectures or a disagreeing `architecture`
 */
export function fleetArchitecture(
  path: string,
  instanceTypes: readonly string[],
  explicit: RunnerHostArchitecture | undefined,
  subject = "instanceTypes",
): RunnerHostArchitecture {
  if (explicit !== undefined) {
    check(explicit === "x86_64" || explicit === "arm64", {
      path,
      subject: "architecture",
      value: explicit,
      rule: "one of x86_64, arm64",
      fix: "leave it unset: the instance types decide it",
    });
  }
  const literal = instanceTypes.filter((t) => !isUnresolved(t));
  const byArchitecture = new Map<RunnerHostArchitecture, string[]>();
  for (const type of literal) {
    const architecture = architectureOfInstanceType(type);
    byArchitecture.set(architecture, [...(byArchitecture.get(architecture) ?? []), type]);
  }
  check(byArchitecture.size <= 1, {
    path,
    subject,
    value: instanceTypes,
    rule: `the instances of one group share one AMI (and a fleet's hosts one runner package), so all instance types must have one CPU architecture, but these mix x86_64 (${(byArchitecture.get("x86_64") ?? []).join(", ")}) and arm64 (${(byArchitecture.get("arm64") ?? []).join(", ")})`,
    fix: "list only Graviton types (e.g. m7g.xlarge, m6g.xlarge) or only x86_64 types (e.g. m7i.xlarge, m6i.xlarge); use two fleets (or two docker-autoscaler runners, each with its own worker group) for both",
  });
  const derived = [...byArchitecture.keys()][0];
  if (explicit !== undefined && derived !== undefined) {
    check(explicit === derived, {
      path,
      subject: "architecture",
      value: explicit,
      rule: `the instance types (${literal.join(", ")}) are ${derived}; an AMI of another architecture cannot boot on them`,
      fix: `remove architecture (it is derived from the instance types) or set it to "${derived}"`,
    });
  }
  return derived ?? explicit ?? "x86_64";
}

/** AWS's public SSM parameter of the latest Amazon Linux 2023 AMI for an architecture. */
export function al2023AmiParameter(architecture: RunnerHostArchitecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/**
 * The CPU architecture an AMI SSM parameter names, for `resolve:ssm:<parameter>`
 * image ids whose parameter path carries an architecture as a word: AWS's
 * public AMI parameters do (`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`,
 * `.../al2023-ami-kernel-default-arm64`, Canonical's `.../amd64/...`, Bottlerocket's
 * `.../aarch64/...`; "Query for the latest Amazon Linux AMI IDs using Systems Manager
 * Parameter Store", AWS Systems Manager User Guide). `amd64` is x86_64 and `aarch64`
 * is arm64.
 * @returns the architecture, or undefined for an AMI id, a token or a parameter naming none (or both)
 */
export function architectureOfImageId(imageId: string): RunnerHostArchitecture | undefined {
  if (isUnresolved(imageId) || !imageId.startsWith("resolve:ssm:")) return undefined;
  const words = imageId.slice("resolve:ssm:".length).toLowerCase().split(/[/_.:-]+/);
  // x86_64 splits into "x86" and "64".
  const x86 = words.includes("amd64") || words.some((w, i) => w === "x86" && words[i + 1] === "64");
  const arm = words.includes("arm64") || words.includes("aarch64");
  return x86 === arm ? undefined : x86 ? "x86_64" : "arm64";
}

/**
 * Refuses an `imageId` whose SSM parameter names another architecture than the
 * hosts' instance types: the launch fails ("The architecture 'x86_64' of the
 * specified instance type does not match the architecture 'arm64' of the
 * specified AMI", EC2 RunInstances).
 * @throws ValidationError naming `path`, the image id, both architectures and the fix
 */
export function validateImageIdArchitecture(path: string, imageId: string | undefined, architecture: RunnerHostArchitecture, instanceTypes: readonly string[], subject = "imageId"): void {
  if (imageId === undefined) return;
  const named = architectureOfImageId(imageId);
  check(named === undefined || named === architecture, {
    path,
    subject,
    value: imageId,
    rule: `the SSM parameter names an ${named ?? ""} AMI, but the instance types (${instanceTypes.filter((t) => !isUnresolved(t)).join(", ") || "the defaults"}) are ${architecture}: EC2 refuses to launch an AMI on instance types of another architecture`,
    fix: `use the ${architecture} parameter (e.g. resolve:ssm:${al2023AmiParameter(architecture)}), leave ${subject} unset (the default follows the instance types), or pick ${named ?? ""} instance types`,
  });
}

/** The architecture words of GitLab Runner's helper image tags (helpers/container/helperimage/linux_info.go, and the published s390x, ppc64le, riscv64 and loong64 helpers). */
const HELPER_TAG_ARCHITECTURES: readonly string[] = ["x86_64", "arm64", "arm", "s390x", "ppc64le", "riscv64", "loong64"];

/**
 * The architecture a helper image's tag names, or undefined for a tag that
 * names none. GitLab Runner 18.11.2 builds helper tags as
 * `<flavour->?<arch>-<revision>[-<shell>]` (helpers/container/helperimage/linux_info.go:
 * `fmt.Sprintf("%s%s-%s", prefix, arch, revision)`, `tag + "-" + shell`), and
 * flavours may themselves hold hyphens and dots: `x86_64-v18.11.2`,
 * `ubuntu-arm64-v…`, `alpine3.21-x86_64-v…`, `alpine-latest-arm64-v…`,
 * `ubi-fips-x86_64-v…`, `x86_64-v18.11.2-pwsh`. The architecture is the first
 * hyphen-separated word of the tag that is one, followed by a revision.
 */
export function architectureOfHelperImage(helperImage: string): string | undefined {
  const name = helperImage.split("@")[0]!;
  const last = name.slice(name.lastIndexOf("/") + 1);
  const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : "";
  const words = tag.split("-");
  return words.slice(0, -1).find((word) => HELPER_TAG_ARCHITECTURES.includes(word));
}

/**
 * A helper image tag that names an architecture (`x86_64-v…`, `arm64-v…`)
 * must name the fleet's, or every job fails at prepare (exec format error).
 */
export function validateHelperImageArchitecture(path: string, helperImage: string | undefined, architecture: RunnerHostArchitecture): void {
  if (helperImage === undefined || isUnresolved(helperImage)) return;
  const named = architectureOfHelperImage(helperImage);
  check(named === undefined || named === architecture, {
    path,
    subject: "docker.helperImage",
    value: helperImage,
    rule: `the helper image tag names the ${named} architecture, but the fleet's hosts are ${architecture}`,
    fix: `use the ${architecture}-v<version> tag, or leave helperImage unset to use the helper bundled with the runner package`,
  });
}
