/*
 * What a RunnerFleet derives per runner and from its mirror: the config.toml
 * entry of a runner definition (job environment with the ECR credential
 * helpers, images through the mirror, the dind mirror volume, the cache) and
 * the mirror ports the hosts' security group opens.
 */
import { check } from "../core/errors";
import { isUnresolved, replaceTokens } from "../core/tokens";
import { type MirrorEndpoint } from "../mirror/mirror-endpoint";
import { type RunnerEntry, STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT } from "./config-toml";
import { type RunnerDefinition, type RunnerFleetProps } from "./fleet-props";
import { validateHelperImageArchitecture } from "./architecture";
import { SECRET_LITERAL } from "./fleet-validation";
import { DIND_DAEMON_JSON_VOLUME, imageThroughMirror, validateDindServiceCommands } from "./image-mirror";
import { type RunnerHostArchitecture, tokenPlaceholder } from "./user-data";

/** The config.toml entry of runner `index` of a fleet (validates its environment, helper image and dind services). */
export function runnerEntry(path: string, r: RunnerDefinition, index: number, props: RunnerFleetProps, registryHosts: readonly string[], architecture: RunnerHostArchitecture): RunnerEntry {
  const environment = { ...r.environment };
  check(!("DOCKER_AUTH_CONFIG" in environment), {
    path,
    subject: "environment DOCKER_AUTH_CONFIG",
    value: "(set)",
    rule: "DOCKER_AUTH_CONFIG is derived from the fleet's repositories (credHelpers ecr-login, no secret); static credentials would be a secret in user data",
    fix: "pass the repositories to the fleet; put static registry credentials in a masked CI/CD variable and set writeStaticDockerAuthForJobs",
  });
  for (const [key, value] of Object.entries(environment)) {
    check(isUnresolved(value) || !SECRET_LITERAL.test(value), {
      path,
      subject: `environment ${key}`,
      value: "(a secret-looking value, not shown)",
      rule: "job environment variables are written into user data, so they must not hold secrets (runner tokens, access keys, registry credentials)",
      fix: "store the secret as a masked CI/CD variable in GitLab instead",
    });
  }
  if (registryHosts.length > 0) {
    environment.DOCKER_AUTH_CONFIG = JSON.stringify({ credHelpers: Object.fromEntries(registryHosts.map((h) => [h, "ecr-login"])) });
  }
  validateHelperImageArchitecture(path, r.docker.helperImage, architecture);
  const mirror = props.mirror;
  const mountsDaemonJson = r.docker.dockerAccess === "dind" && mirror !== undefined && mirror.registryMirrors.length > 0;
  if (mountsDaemonJson) validateDindServiceCommands(path, r.docker.services ?? [], mirror);
  const volumes = mountsDaemonJson ? [...(r.docker.volumes ?? ["/cache"]), DIND_DAEMON_JSON_VOLUME] : r.docker.volumes;
  return {
    name: r.name,
    url: props.gitlabUrl,
    token: tokenPlaceholder(index),
    limit: r.limit,
    requestConcurrency: r.requestConcurrency,
    outputLimitKb: r.outputLimitKb,
    environment,
    ...(r.writeStaticDockerAuthForJobs ? { preBuildScript: STATIC_DOCKER_AUTH_PRE_BUILD_SCRIPT } : {}),
    docker: {
      ...r.docker,
      image: imageThroughMirror(r.docker.image, mirror),
      ...(volumes !== undefined ? { volumes } : {}),
      ...(r.docker.services ? { services: r.docker.services.map((service) => ({ ...service, name: imageThroughMirror(service.name, mirror) })) } : {}),
    },
    ...(props.cache && r.useCache !== false ? { cache: props.cache.settings } : {}),
  };
}

/** Ports of a mirror (registry mirrors, insecure registries, helper image host, raw proxies), literal parts only. */
export function mirrorPorts(mirror: MirrorEndpoint): number[] {
  const ports = new Set<number>();
  const fromUrl = (url: string) => {
    try {
      const u = new URL(replaceTokens(url, "token-host"));
      ports.add(Number(u.port || (u.protocol === "https:" ? 443 : 80)));
    } catch {
      // Not a URL (a token as a whole): nothing to derive.
    }
  };
  mirror.registryMirrors.forEach(fromUrl);
  Object.values(mirror.rawProxyUrls).forEach(fromUrl);
  for (const hostPort of [...mirror.insecureRegistries, ...(mirror.helperImage ? [mirror.helperImage.split("/")[0]!] : [])]) {
    const port = /:(\d{1,5})$/.exec(replaceTokens(hostPort, "token-host"))?.[1];
    if (port) ports.add(Number(port));
  }
  return [...ports].sort((a, b) => a - b);
}
