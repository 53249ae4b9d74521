import { check } from "./errors";
import { isUnresolved } from "./tokens";

/** True when `url` is `https://<host>[:port]` with no path, query, fragment, credentials or trailing slash. */
function isInstanceUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === "https:" &&
    parsed.pathname === "/" &&
    !url.endsWith("/") &&
    parsed.search === "" &&
    parsed.hash === "" &&
    parsed.username === "" &&
    parsed.password === ""
  );
}

/** Checks a GitLab instance URL: https, a host, no path, query, fragment or trailing slash (tokens pass). */
export function validateGitLabUrl(path: string, url: string): void {
  if (isUnresolved(url)) return;
  check(isInstanceUrl(url), {
    path,
    subject: "GitLab URL",
    value: url,
    rule: "the instance URL is https://<host>[:port] with no path, query or trailing slash (it is also the OIDC issuer)",
    fix: "use e.g. https://gitlab.com or https://gitlab.example.com",
  });
}

/** The host (and port, if any) of a GitLab instance URL, e.g. `gitlab.example.com`. */
export function gitLabHostOf(url: string): string {
  return url.replace(/^https:\/\//, "");
}
