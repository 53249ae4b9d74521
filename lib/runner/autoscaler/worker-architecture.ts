import { check } from "../../core/errors";
import { isUnresolved } from "../../core/tokens";
import { type MirrorEndpoint, helperImageTag } from "../../mirror/mirror-endpoint";
import { architectureOfHelperImage, architectureOfInstanceType, fleetArchitecture, validateHelperImageArchitecture } from "../architecture";
import { type RunnerHostArchitecture } from "../user-data";
import { type AutoscalerRunnerDefinition, DEFAULT_WORKER_INSTANCE_TYPES, type DockerAutoscalerFleetProps } from "./fleet-props";

/**
 * The manager's instance type when none is given: a burstable type of the
 * fleet's `architecture` (2 vCPU, 2 GiB; `t4g` is Graviton, EC2 instance type
 * naming conventions), so an arm64 fleet does not get an x86_64 manager type
 * with an arm64 AMI.
 */
export const DEFAULT_MANAGER_INSTANCE_TYPE: Readonly<Record<RunnerHostArchitecture, string>> = {
  x86_64: "t3.small",
  arm64: "t4g.small",
};

/** The worker types of a runner (its own, or the defaults of the fleet's `architecture`). */
export function workerInstanceTypes(props: DockerAutoscalerFleetProps, runner: AutoscalerRunnerDefinition): readonly string[] {
  return runner.workerInstanceTypes ?? DEFAULT_WORKER_INSTANCE_TYPES[props.architecture ?? "x86_64"];
}

/**
 * The CPU architecture of a runner's workers, derived from its worker
 * instance types as the runner fleet derives its hosts'
 * ({@link fleetArchitecture}): one worker group has one AMI, so the types may
 * not mix architectures, and an explicit fleet `architecture` must agree.
 * Runners of one manager may differ (each has its own group, AMI and helper image).
 * @throws ValidationError for mixed types or a disagreeing `architecture`
 */
export function workerArchitectureOf(path: string, props: DockerAutoscalerFleetProps, runner: AutoscalerRunnerDefinition): RunnerHostArchitecture {
  return fleetArchitecture(path, workerInstanceTypes(props, runner), props.architecture, "workerInstanceTypes");
}

/** The manager's instance type: given, or {@link DEFAULT_MANAGER_INSTANCE_TYPE} of the fleet's `architecture`. */
export function managerInstanceTypeOf(props: DockerAutoscalerFleetProps): string {
  return props.managerInstanceType ?? DEFAULT_MANAGER_INSTANCE_TYPE[props.architecture ?? "x86_64"];
}

/**
 * The manager's CPU architecture: its instance type's (the AMI and the
 * gitlab-runner package follow it). The workers' architecture is independent:
 * the manager reaches them over SSH and gives their daemons the helper image
 * of their architecture.
 */
export function managerArchitectureOf(props: DockerAutoscalerFleetProps): RunnerHostArchitecture {
  const type = managerInstanceTypeOf(props);
  return isUnresolved(type) ? (props.architecture ?? "x86_64") : architectureOfInstanceType(type);
}

/**
 * The `helper_image` of a runner whose workers have `architecture`:
 *
 * - the runner's own `docker.helperImage`, refused when its tag names another
 *   architecture;
 * - else, with a mirror that gives its helper repository
 *   ({@link MirrorEndpoint.helperImageRepository}), that repository with the
 *   workers' tag (`arm64-v${CI_RUNNER_VERSION}` or `x86_64-v…`,
 *   {@link helperImageTag}): the mirror's own `helperImage` carries the tag of
 *   the architecture the mirror was built for, which need not be the workers';
 * - else the mirror's `helperImage`, refused when its tag names another architecture;
 * - else none: the runner picks the helper of the worker daemon's architecture.
 *
 * A helper of the wrong architecture fails every job at its first step
 * (`exec format error`); GitLab Runner names helper tags `<arch>-<revision>`
 * (helpers/container/helperimage/linux_info.go).
 * @throws ValidationError for a helper image of another architecture
 */
export function workerHelperImage(
  path: string,
  runner: AutoscalerRunnerDefinition,
  mirror: MirrorEndpoint | undefined,
  architecture: RunnerHostArchitecture,
): string | undefined {
  if (runner.docker.helperImage !== undefined) {
    validateHelperImageArchitecture(path, runner.docker.helperImage, architecture);
    return runner.docker.helperImage;
  }
  if (mirror?.helperImageRepository !== undefined) return `${mirror.helperImageRepository}:${helperImageTag(architecture)}`;
  if (mirror?.helperImage === undefined) return undefined;
  const named = architectureOfHelperImage(mirror.helperImage);
  check(isUnresolved(mirror.helperImage) || named === undefined || named === architecture, {
    path: `${path}/mirror`,
    subject: "helperImage",
    value: mirror.helperImage,
    rule: `the mirror's helper image is tagged for ${named}, but this runner's workers are ${architecture}; jobs would fail at their first step`,
    fix: `give the mirror endpoint a helperImageRepository (the fleet then uses the ${architecture}-v<version> tag), build the mirror for ${architecture} (runnerArchitecture), or set the runner's docker.helperImage`,
  });
  return mirror.helperImage;
}
