import { check } from "./errors";
import { isUnresolved } from "./tokens";

/** The URL's parts, or undefined when it does not parse. */
function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

/** True when `url` is `https://<host>` with no port, path, query, fragment, credentials or trailing slash. */
function isInstanceUrl(url: string, parsed: URL | undefined): parsed is URL {
  return (
    parsed !== undefined &&
    parsed.protocol === "https:" &&
    parsed.pathname === "/" &&
    !url.endsWith("/") &&
    parsed.search === "" &&
    parsed.hash === "" &&
    parsed.username === "" &&
    parsed.password === "" &&
    !/:\d*$/.test(url)
  );
}

/**
 * Checks a GitLab instance URL (tokens pass): `https://<host>`, without a
 * port, path, query, fragment, credentials or trailing slash. The URL is also
 * the OIDC issuer of the instance's ID tokens and the URL of the account's IAM
 * OIDC provider, and IAM's `CreateOpenIDConnectProvider` says "The URL should
 * not contain a port number" (IAM API reference, CreateOpenIDConnectProvider,
 * `Url`): a GitLab on another port cannot federate, so it is refused here,
 * before any construct is built.
 */
export function validateGitLabUrl(path: string, url: string): void {
  if (isUnresolved(url)) return;
  const parsed = typeof url === "string" ? parse(url) : undefined;
  const hasPort = parsed !== undefined && (parsed.port !== "" || /^https:\/\/[^/]+:\d*\/?$/.test(url));
  check(!hasPort, {
    path,
    subject: "GitLab URL",
    value: url,
    rule: "the instance URL carries no port: it is the OIDC issuer, and IAM OIDC provider URLs cannot contain a port number",
    fix: `serve GitLab (at least /.well-known/openid-configuration and /oauth/discovery/keys) on port 443 and use ${JSON.stringify(`https://${parsed?.hostname ?? "gitlab.example.com"}`)}`,
  });
  check(isInstanceUrl(url, parsed), {
    path,
    subject: "GitLab URL",
    value: url,
    rule: "the instance URL is https://<host> with no path, query or trailing slash, and no credentials (it is also the OIDC issuer)",
    fix: `use e.g. ${parsed?.hostname ? `https://${parsed.hostname}` : "https://gitlab.example.com"} (or https://gitlab.com)`,
  });
  check(!isInstanceUrl(url, parsed) || url === `https://${parsed.hostname}`, {
    path,
    subject: "GitLab URL",
    value: url,
    rule: "the host is written in lower case: host names are case-insensitive, but the platform tells GitLab instances apart by their URL as written and names the shared GitLab stack after it, and IAM compares the token's issuer with the OIDC provider's URL as text",
    fix: `use ${JSON.stringify(`https://${parsed?.hostname ?? "gitlab.example.com"}`)}`,
  });
}

/**
 * Whether {@link validateGitLabUrl} accepts `url` (tokens included). Rules that group or name
 * things by the URL skip a malformed one: the URL check reports it, and what they derive from it
 * (a shared stack's name and state key) would be its follow-on.
 */
export function isGitLabInstanceUrl(url: unknown): boolean {
  if (typeof url !== "string") return false;
  if (isUnresolved(url)) return true;
  const parsed = parse(url);
  return isInstanceUrl(url, parsed) && url === `https://${parsed.hostname}`;
}

/** The host of a GitLab instance URL, e.g. `gitlab.example.com`. */
export function gitLabHostOf(url: string): string {
  return url.replace(/^https:\/\//, "");
}

/**
 * A valid GitLab namespace path close to `value`, for a fix: wildcards, empty
 * segments and leading or trailing slashes removed; `example` when nothing
 * valid is left (never an empty path, which GitLab has not).
 */
export function suggestGitLabPath(value: string, example: string): string {
  const cleaned = String(value)
    .replace(/[*?].*$/, "")
    .split("/")
    .map((s) => s.trim())
    .filter((s) => /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/.test(s))
    .join("/");
  return cleaned === "" ? example : cleaned;
}
