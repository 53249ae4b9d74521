import { check } from "../core/errors";
import { type TagSelector, wildcardCount } from "./glob";

/*
 * The rules every tag selector and retention obeys: docker's tag grammar and ECR's lifecycle
 * policy limits (Amazon ECR User Guide, "Lifecycle policy properties": countNumber > 0, at most
 * 4 wildcards per tagPatternList entry; docker reference, "docker image tag": a tag is up to 128
 * characters of [A-Za-z0-9_.-], not starting with '.' or '-').
 */

/** How long images of a tag kind are kept: the newest N, or for N days after push. */
export type Retention = { readonly maxCount: number } | { readonly maxAgeDays: number };

/** Docker tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. A selector adds `*`. */
export const TAG_CHARS = /^[A-Za-z0-9_.*-]+$/;
const MAX_TAG_LENGTH = 128;

/** Checks that `value` is a whole number greater than 0 (ECR countNumber). */
export function assertPositiveInteger(path: string, subject: string, value: number, fix: string): void {
  check(typeof value === "number" && Number.isInteger(value) && value > 0, {
    path,
    subject,
    value,
    rule: "must be a whole number greater than 0 (ECR countNumber > 0)",
    fix,
  });
}

/** Checks a selector against ECR's and docker's rules. */
export function validateSelector(path: string, selector: TagSelector): void {
  const text = "prefix" in selector ? selector.prefix : selector.pattern;
  const subject = "prefix" in selector ? "tag prefix" : "tag pattern";
  check(text.length > 0 && text.length <= MAX_TAG_LENGTH && TAG_CHARS.test(text) && /^[A-Za-z0-9_*]/.test(text), {
    path,
    subject,
    value: text,
    rule: `a docker tag is 1-${MAX_TAG_LENGTH} characters of letters, digits, '_', '.', '-', starting with a letter, digit or '_'`,
    fix: "use only those characters",
  });
  if ("prefix" in selector) {
    check(!text.includes("*"), {
      path,
      subject,
      value: text,
      rule: "a prefix is literal (tagPrefixList); wildcards belong in a pattern",
      fix: "use `pattern` for wildcards",
    });
  } else {
    check(wildcardCount(text) <= 4, {
      path,
      subject,
      value: text,
      rule: "an ECR tag pattern may hold at most 4 '*' wildcards",
      fix: "use fewer wildcards",
    });
  }
}

/** Checks a retention: exactly one of maxCount and maxAgeDays, a whole number > 0. */
export function validateRetention(path: string, retention: Retention): void {
  const r = retention as { maxCount?: number; maxAgeDays?: number };
  check((r.maxCount === undefined) !== (r.maxAgeDays === undefined), {
    path,
    subject: "retention",
    value: retention,
    rule: "a retention is either { maxCount } or { maxAgeDays }",
    fix: "give exactly one of them",
  });
  const [field, value] = r.maxCount !== undefined ? ["maxCount", r.maxCount] : ["maxAgeDays", r.maxAgeDays!];
  assertPositiveInteger(path, `retention ${field}`, value, "keep at least 1 image or 1 day; to keep everything, mark the kind protected");
}
